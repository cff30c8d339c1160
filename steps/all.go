package steps

// All returns the nine steps in procedure order.
func All() []Step {
	return []Step{
		NewClusterStep(),
		NewPrimaryMasterStep(),
		NewSecondaryMasterStep(),
		NewAvailabilityGroupStep(),
		NewMasterSettingsStep(),
		NewLoggingStep(),
		NewClusterRoleStep(),
		NewMasterAddressStep(),
		NewWorkersStep(),
	}
}
