package steps

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/sqlversion"
)

// Every release of the table is one the steps can set up, by year and by the major
// version a node reports, with the table's folder and service names.
func TestVersionsFollowTheTable(t *testing.T) {
	for _, r := range sqlversion.All() {
		byYear, err := VersionFromYear(r.Year)
		if err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		byMajor, err := VersionFromMajor(r.Major)
		if err != nil || byMajor != byYear {
			t.Fatalf("%s: by major %v %v, by year %v", r.Name, byMajor, err, byYear)
		}
		if byYear.Folder() != r.Folder || byYear.MasterService() != r.MasterService || byYear.WorkerService() != r.WorkerService {
			t.Errorf("%s: %s %s %s", r.Name, byYear.Folder(), byYear.MasterService(), byYear.WorkerService())
		}
		if !strings.Contains(byYear.MasterSettingsPath(), `\`+r.Folder+`\DTS\Binn\`) {
			t.Errorf("%s: settings at %s", r.Name, byYear.MasterSettingsPath())
		}
	}
	if _, err := VersionFromYear(2016); err == nil || !strings.Contains(err.Error(), sqlversion.NameList()) {
		t.Errorf("2016: %v", err)
	}
	if _, err := VersionFromMajor(13); err == nil || !strings.Contains(err.Error(), sqlversion.MajorList()) {
		t.Errorf("13: %v", err)
	}
}
