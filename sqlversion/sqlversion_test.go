package sqlversion

import (
	"strconv"
	"testing"
)

// Each row must follow the rules SQL Server setup follows, so a new row cannot name a
// folder or a service that setup would not create.
func TestReleasesFollowSetupNaming(t *testing.T) {
	seenYear, seenMajor := map[int]bool{}, map[int]bool{}
	for _, r := range All() {
		if r.Name != strconv.Itoa(r.Year) {
			t.Errorf("%s: name and year %d differ", r.Name, r.Year)
		}
		if want := strconv.Itoa(r.Major) + "0"; r.Folder != want {
			t.Errorf("%s: folder %s, want %s", r.Name, r.Folder, want)
		}
		if r.MasterService != "SSISScaleOutMaster"+r.Folder || r.WorkerService != "SSISScaleOutWorker"+r.Folder {
			t.Errorf("%s: services %s and %s do not carry folder %s", r.Name, r.MasterService, r.WorkerService, r.Folder)
		}
		if v, err := strconv.Atoi(r.Build[:len(strconv.Itoa(r.Major))]); err != nil || v != r.Major {
			t.Errorf("%s: build %s is not of major version %d", r.Name, r.Build, r.Major)
		}
		if seenYear[r.Year] || seenMajor[r.Major] {
			t.Errorf("%s appears twice", r.Name)
		}
		seenYear[r.Year], seenMajor[r.Major] = true, true
	}
}

func TestLookups(t *testing.T) {
	r, ok := ByYear(2019)
	if !ok || r.Major != 15 || r.MasterService != "SSISScaleOutMaster150" || r.StrictTDS {
		t.Errorf("ByYear(2019) = %+v, %v", r, ok)
	}
	if r, ok := ByMajor(16); !ok || r.Year != 2022 || !r.StrictTDS {
		t.Errorf("ByMajor(16) = %+v, %v", r, ok)
	}
	for _, y := range []int{0, 2016, 2025} {
		if _, ok := ByYear(y); ok {
			t.Errorf("ByYear(%d) is supported", y)
		}
	}
	if _, ok := ByMajor(13); ok {
		t.Error("ByMajor(13) is supported")
	}
	if got := NameList(); got != "2017, 2019 or 2022" {
		t.Errorf("NameList() = %q", got)
	}
	if got := MajorList(); got != "14, 15 or 16" {
		t.Errorf("MajorList() = %q", got)
	}
	if _, ok := ByYear(Default); !ok {
		t.Errorf("Default %d is not supported", Default)
	}
}
