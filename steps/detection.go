package steps

// Small helpers every step's detection and verification use.

// blockedDetection is det blocked with the reason and the fix, and no actions.
func blockedDetection(det Detection, reason, fix string) Detection {
	det.State, det.Reason, det.Fix, det.Actions = StateBlocked, reason, fix, nil
	return det
}

// passFail is a Success or Failed check.
func passFail(name string, ok bool, detail, fix string) Check {
	if ok {
		return Check{Name: name, Status: CheckSuccess, Detail: detail}
	}
	return Check{Name: name, Status: CheckFailed, Detail: detail, Fix: fix}
}

func noneIfEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func newIfEmpty(s string) string {
	if s == "" {
		return "the new master certificate"
	}
	return s
}
