package steps

import (
	"fmt"
	"strconv"

	"github.com/ssisha/ssisha/sqlversion"
)

// Version is a SQL Server version as the Scale Out names and paths need it. Its names
// come from the release table in package sqlversion.
type Version struct {
	Year  int // the release year, sqlversion.Release.Year
	Major int // the product major version, sqlversion.Release.Major
}

func versionOf(r sqlversion.Release) Version { return Version{Year: r.Year, Major: r.Major} }

// VersionFromYear maps a release year to its version.
func VersionFromYear(year int) (Version, error) {
	if r, ok := sqlversion.ByYear(year); ok {
		return versionOf(r), nil
	}
	return Version{}, fmt.Errorf("SQL Server %d has no Scale Out support ssisha knows (%s)", year, sqlversion.NameList())
}

// VersionFromMajor maps a product major version (from SERVERPROPERTY('ProductVersion'))
// to its version.
func VersionFromMajor(major int) (Version, error) {
	if r, ok := sqlversion.ByMajor(major); ok {
		return versionOf(r), nil
	}
	return Version{}, fmt.Errorf("SQL Server major version %d is not one ssisha supports (%s)", major, sqlversion.MajorList())
}

// Release is the table row of v. A Version is only made from the table, so the row
// is always there.
func (v Version) Release() sqlversion.Release {
	r, _ := sqlversion.ByMajor(v.Major)
	return r
}

// Folder is the version folder under Microsoft SQL Server, for example "150".
func (v Version) Folder() string { return v.Release().Folder }

// MasterService is the Scale Out Master service name, for example SSISScaleOutMaster150.
func (v Version) MasterService() string { return v.Release().MasterService }

// WorkerService is the Scale Out Worker service name.
func (v Version) WorkerService() string { return v.Release().WorkerService }

// Number is the version as setup records it for a feature, for example "15.0".
func (v Version) Number() string { return strconv.Itoa(v.Major) + ".0" }

// AssemblyVersion is the .NET assembly version of the release's Integration Services
// libraries, for example "15.0.0.0".
func (v Version) AssemblyVersion() string { return v.Number() + ".0.0" }

// BinnPath is the DTS\Binn folder setup uses when its shared features stay in the
// default folder on C:. It is a last resort: setup may put them on another drive, so
// the scripts find the real folder on the node (the service's executable, the
// registry's DTSPath or VerSpecificRootDir: see install_paths.go).
func (v Version) BinnPath() string {
	return `C:\Program Files\Microsoft SQL Server\` + v.Folder() + `\DTS\Binn`
}

// MasterSettingsPath is MasterSettings.config in BinnPath, a last resort: the scripts
// take the one next to the service's executable.
func (v Version) MasterSettingsPath() string { return v.BinnPath() + `\MasterSettings.config` }

// WorkerSettingsPath is WorkerSettings.config in BinnPath, a last resort: the scripts
// take the one next to the service's executable, else the one in the folder the
// registry names.
func (v Version) WorkerSettingsPath() string { return v.BinnPath() + `\WorkerSettings.config` }
