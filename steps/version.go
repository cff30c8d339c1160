package steps

import "fmt"

// Version is a SQL Server version as the Scale Out names and paths need it.
type Version struct {
	Year  int // 2017, 2019, 2022
	Major int // 14, 15, 16
}

// VersionFromYear maps a release year to its version.
func VersionFromYear(year int) (Version, error) {
	switch year {
	case 2017:
		return Version{2017, 14}, nil
	case 2019:
		return Version{2019, 15}, nil
	case 2022:
		return Version{2022, 16}, nil
	}
	return Version{}, fmt.Errorf("SQL Server %d has no Scale Out support ssisha knows (2017, 2019 or 2022)", year)
}

// VersionFromMajor maps a product major version (from SERVERPROPERTY('ProductVersion'))
// to its version.
func VersionFromMajor(major int) (Version, error) {
	switch major {
	case 14:
		return Version{2017, 14}, nil
	case 15:
		return Version{2019, 15}, nil
	case 16:
		return Version{2022, 16}, nil
	}
	return Version{}, fmt.Errorf("SQL Server major version %d is not one ssisha supports (14, 15 or 16)", major)
}

// Folder is the version folder under Microsoft SQL Server, for example "150". It is
// derived the way internal.enable_scaleout builds its registry path.
func (v Version) Folder() string { return fmt.Sprintf("%d0", v.Major) }

// MasterService is the Scale Out Master service name, for example SSISScaleOutMaster150.
func (v Version) MasterService() string { return "SSISScaleOutMaster" + v.Folder() }

// WorkerService is the Scale Out Worker service name.
func (v Version) WorkerService() string { return "SSISScaleOutWorker" + v.Folder() }

// BinnPath is the DTS\Binn folder that holds the settings files.
func (v Version) BinnPath() string {
	return `C:\Program Files\Microsoft SQL Server\` + v.Folder() + `\DTS\Binn`
}

// MasterSettingsPath is the default path of MasterSettings.config; steps prefer the
// folder of the service executable when the node reports it.
func (v Version) MasterSettingsPath() string { return v.BinnPath() + `\MasterSettings.config` }

// WorkerSettingsPath is the default path of WorkerSettings.config.
func (v Version) WorkerSettingsPath() string { return v.BinnPath() + `\WorkerSettings.config` }
