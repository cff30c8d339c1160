// Package sqlversion is the one table of the SQL Server releases ssisha sets up Scale
// Out on: their names, product major versions, folders and service names. Validation,
// the wizard, version detection and the lab all read it, so adding a release is one
// row here. It imports nothing of ssisha, so every layer can use it.
package sqlversion

import (
	"strconv"
	"strings"
)

// Release is one supported SQL Server release.
type Release struct {
	Name          string // the release as DBAs say it and answer files write it: "2019"
	Year          int    // 2019; answers.sqlVersion holds it
	Major         int    // 15, the first number of SERVERPROPERTY('ProductVersion')
	Folder        string // "150", the folder under Microsoft SQL Server and in service names
	MasterService string // SSISScaleOutMaster150
	WorkerService string // SSISScaleOutWorker150
	StrictTDS     bool   // the engine accepts TDS 8.0 (encrypt=strict); 2022 is the first
	Build         string // a released build of the engine, the one the lab installs
}

// releases are the supported releases, oldest first. The folder and service names
// follow internal.enable_scaleout, which builds its registry path from the major
// version followed by a zero.
var releases = []Release{
	{Name: "2017", Year: 2017, Major: 14, Folder: "140", MasterService: "SSISScaleOutMaster140", WorkerService: "SSISScaleOutWorker140", Build: "14.0.3465.1"},
	{Name: "2019", Year: 2019, Major: 15, Folder: "150", MasterService: "SSISScaleOutMaster150", WorkerService: "SSISScaleOutWorker150", Build: "15.0.4345.5"},
	{Name: "2022", Year: 2022, Major: 16, Folder: "160", MasterService: "SSISScaleOutMaster160", WorkerService: "SSISScaleOutWorker160", StrictTDS: true, Build: "16.0.4135.4"},
}

// Default is the release the lab installs and examples show when none is chosen.
const Default = 2019

// All returns the supported releases, oldest first.
func All() []Release { return append([]Release(nil), releases...) }

// ByYear returns the release of a year, such as 2019, and whether it is supported.
func ByYear(year int) (Release, bool) {
	for _, r := range releases {
		if r.Year == year {
			return r, true
		}
	}
	return Release{}, false
}

// ByMajor returns the release of a product major version, such as 15, and whether it
// is supported.
func ByMajor(major int) (Release, bool) {
	for _, r := range releases {
		if r.Major == major {
			return r, true
		}
	}
	return Release{}, false
}

// Names returns the supported release names, oldest first: 2017, 2019, 2022.
func Names() []string {
	out := make([]string, len(releases))
	for i, r := range releases {
		out[i] = r.Name
	}
	return out
}

// Majors returns the supported major versions, oldest first: 14, 15, 16.
func Majors() []int {
	out := make([]int, len(releases))
	for i, r := range releases {
		out[i] = r.Major
	}
	return out
}

// NameList is the release names as a sentence lists them: "2017, 2019 or 2022".
func NameList() string { return orList(Names()) }

// MajorList is the major versions as a sentence lists them: "14, 15 or 16".
func MajorList() string {
	var s []string
	for _, m := range Majors() {
		s = append(s, strconv.Itoa(m))
	}
	return orList(s)
}

// First is the oldest supported release, the first with Scale Out.
func First() Release { return releases[0] }

// Latest is the newest supported release.
func Latest() Release { return releases[len(releases)-1] }

// FirstStrictTDS is the oldest release that speaks TDS 8.0 (encrypt=strict), and
// whether any does.
func FirstStrictTDS() (Release, bool) {
	for _, r := range releases {
		if r.StrictTDS {
			return r, true
		}
	}
	return Release{}, false
}

func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
