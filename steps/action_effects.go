package steps

// What some actions do besides their change, as the apply confirmation counts it: a
// DBA plans a maintenance window around the restarts of the database engine and the
// runs of SQL Server setup.

// RestartsSQLServer reports whether a restarts a SQL Server database engine.
func RestartsSQLServer(a Action) bool { return a.ID == actEnableHadr.ID }

// RunsSetup reports whether a runs SQL Server setup.
func RunsSetup(a Action) bool { return a.ID == actInstallMaster.ID || a.ID == actInstallWorker.ID }
