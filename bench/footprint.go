package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/ssisha/ssisha/app/labsetup"
	"github.com/ssisha/ssisha/steps/answers"
)

// BinarySize builds the main package in srcDir (the module root) into a temporary
// directory and returns the size of the result, as a release would ship it (no
// debug stripping beyond the defaults).
func BinarySize(ctx context.Context, srcDir string) (int64, error) {
	tmp, err := os.MkdirTemp("", "ssisha-size-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "ssisha")
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = srcDir
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build in %s: %v: %s", srcDir, err, strings.TrimSpace(string(b)))
	}
	fi, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// ExecutableSize is the size of the running program: the binary-size figure when no
// source tree is at hand.
func ExecutableSize() (int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// PlanPeakRSS starts a lab of shape e and runs `self... plan` against it as a separate
// process, so that the figure is ssisha's own peak resident memory and not the lab's.
// self is how to start ssisha (for example os.Executable()).
func PlanPeakRSS(ctx context.Context, e Estate, self []string) (int64, error) {
	le, err := startEstate(ctx, e)
	if err != nil {
		return 0, err
	}
	defer le.Close()
	ansPath := filepath.Join(le.dir, "answers.yaml")
	if err := answers.Save(ansPath, le.ans); err != nil {
		return 0, err
	}
	values := le.lab.Secrets()
	values[answers.EnvWaitScale] = strconv.FormatFloat(labsetup.WaitScale(e.Speed), 'g', -1, 64)
	secPath := filepath.Join(le.dir, "secrets.env")
	if err := answers.WriteSecretsFile(secPath, values); err != nil {
		return 0, err
	}
	args := append(append([]string(nil), self[1:]...), "plan", "-f", ansPath, "--secrets", secPath, "--output", "json")
	cmd := exec.CommandContext(ctx, self[0], args...)
	cmd.Env = append(os.Environ(), "SSISHA_STATE_DIR="+filepath.Join(le.dir, "state"))
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("ssisha plan against the lab: %v: %s", err, firstLine(string(b)))
	}
	rss := maxRSS(cmd.ProcessState)
	if rss <= 0 {
		return 0, fmt.Errorf("this system does not report the peak memory of a child process")
	}
	return rss, nil
}

// SelfPeakRSS is this process's peak resident memory (VmHWM) where the system reports
// it, else the memory the Go runtime obtained: the fallback when ssisha cannot be
// started as a separate process (in tests), which counts the lab as well.
func SelfPeakRSS() int64 {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.Sys)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
