package lab

import (
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// Names of the estate model that callers outside the lab reach through this package
// until they import remote/lab/estate themselves.
type (
	Estate       = estate.Estate
	Node         = estate.Node
	Service      = estate.Service
	Cert         = estate.Cert
	Cluster      = estate.Cluster
	ClusterGroup = estate.ClusterGroup
	SeedOptions  = estate.SeedOptions
)

const (
	StoreRoot                             = estate.StoreRoot
	StoreMy                               = estate.StoreMy
	SetupMediaPath                        = estate.SetupMediaPath
	WorkerServiceAccount                  = estate.WorkerServiceAccount
	MasterServiceAccount                  = estate.MasterServiceAccount
	FileServer                            = estate.FileServer
	WitnessShare                          = estate.WitnessShare
	WorkerRegistrationDelay time.Duration = estate.WorkerRegistrationDelay
)

var (
	ShortName         = estate.ShortName
	ProductVersion    = estate.ProductVersion
	NewEstate         = estate.NewEstate
	MasterSettingsXML = estate.MasterSettingsXML
	XMLGet            = estate.XMLGet
	MasterMarkerKey   = estate.MasterMarkerKey
)

// KnownOps lists the operations the lab carries out.
func KnownOps() (ps, sql []string) { return estate.NewOperations().Names() }
