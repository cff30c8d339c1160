package sqlversion

import (
	"strconv"
	"strings"
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

// The lookups answer for every row, so a new row needs no change here.
func TestLookups(t *testing.T) {
	for _, r := range All() {
		if got, ok := ByYear(r.Year); !ok || got != r {
			t.Errorf("ByYear(%d) = %+v, %v", r.Year, got, ok)
		}
		if got, ok := ByMajor(r.Major); !ok || got != r {
			t.Errorf("ByMajor(%d) = %+v, %v", r.Major, got, ok)
		}
	}
	r, ok := ByYear(2019)
	if !ok || r.Major != 15 || r.MasterService != "SSISScaleOutMaster150" || r.StrictTDS {
		t.Errorf("ByYear(2019) = %+v, %v", r, ok)
	}
	if r, ok := ByMajor(16); !ok || r.Year != 2022 || !r.StrictTDS {
		t.Errorf("ByMajor(16) = %+v, %v", r, ok)
	}
	for _, y := range []int{0, 2016, First().Year - 1, Latest().Year + 1} {
		if _, ok := ByYear(y); ok {
			t.Errorf("ByYear(%d) is supported", y)
		}
	}
	for _, m := range []int{13, First().Major - 1, Latest().Major + 1} {
		if _, ok := ByMajor(m); ok {
			t.Errorf("ByMajor(%d) is supported", m)
		}
	}
	if _, ok := ByYear(Default); !ok {
		t.Errorf("Default %d is not supported", Default)
	}
	if r, ok := FirstStrictTDS(); !ok || r.Year != 2022 {
		t.Errorf("FirstStrictTDS() = %+v, %v; SQL Server 2022 is the first with TDS 8.0", r, ok)
	}
}

func TestLists(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"2019"}, "2019"}, {[]string{"2017", "2019"}, "2017 or 2019"}, {[]string{"14", "15", "16"}, "14, 15 or 16"}} {
		if got := orList(c.in); got != c.want {
			t.Errorf("orList(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if n, r := NameList(), All(); !strings.HasPrefix(n, r[0].Name) || !strings.HasSuffix(n, r[len(r)-1].Name) {
		t.Errorf("NameList() = %q does not run from the first release to the last", n)
	}
	if m := MajorList(); !strings.HasSuffix(m, strconv.Itoa(Latest().Major)) {
		t.Errorf("MajorList() = %q does not end with the latest major version", m)
	}
}
