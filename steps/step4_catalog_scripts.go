package steps

// The scripts of step 4 that make SSISDB work in the availability group: the catalog
// itself, the master key credential, the server objects of Always On support and the
// CLR assembly loading a replica needs to run the catalog's code. The group, its
// endpoint and listener are in step4_availability_group_scripts.go.

import "github.com/ssisha/ssisha/remote/script"

// psCatalogCreate creates SSISDB on the node's own instance, dataSource (. for the
// default instance, .\NAME for a named one), through the Integration Services
// management API, which restores it from the template backup that ships with the
// binaries; there is no T-SQL way to do it.
func psCatalogCreate(masterKeyPassword script.Secret, assemblyVersion, dataSource string) script.PowerShell {
	return withInflightMarker(script.PowerShell{Op: "ssisdb.catalog.create", Timeout: limitCatalog,
		Params: map[string]any{"masterKeyPassword": masterKeyPassword, "assemblyVersion": assemblyVersion, "dataSource": dataSource},
		Body: `$csb = New-Object System.Data.SqlClient.SqlConnectionStringBuilder
$csb['Data Source'] = $p.dataSource
$csb['Initial Catalog'] = 'master'
$csb['Integrated Security'] = $true
$cn = New-Object System.Data.SqlClient.SqlConnection $csb.ConnectionString
$cn.Open()
try {
  $cmd = $cn.CreateCommand()
  $cmd.CommandText = "SELECT CAST(value_in_use AS int) FROM sys.configurations WHERE name = N'clr enabled'"
  $clr = [int]$cmd.ExecuteScalar() -eq 1
  $cmd.CommandText = "SELECT COUNT(*) FROM sys.databases WHERE name = N'SSISDB'"
  if ([int]$cmd.ExecuteScalar() -gt 0) {
    [pscustomobject]@{ created = $false; clrWasEnabled = $clr } | ConvertTo-Json -Compress -Depth 5
    return
  }
  if (-not $clr) {
    $cmd.CommandText = "EXEC sys.sp_configure N'clr enabled', 1; RECONFIGURE;"
    [void]$cmd.ExecuteNonQuery()
  }
} finally { $cn.Close() }
Add-Type -AssemblyName ("Microsoft.SqlServer.Management.IntegrationServices, Version=" + $p.assemblyVersion + ", Culture=neutral, PublicKeyToken=89845dcd8080cc91")
$is = New-Object Microsoft.SqlServer.Management.IntegrationServices.IntegrationServices $cn
$cat = New-Object Microsoft.SqlServer.Management.IntegrationServices.Catalog ($is, 'SSISDB', $p.masterKeyPassword)
$cat.Create()
[pscustomobject]@{ created = $true; clrWasEnabled = $clr } | ConvertTo-Json -Compress -Depth 5`})
}

// tsqlCatalogDrop removes the catalog and the server objects that came with it; it
// destroys projects and history, so undo only runs it when this run created SSISDB.
func tsqlCatalogDrop(disableCLR bool) script.TSQL {
	return script.TSQL{Op: "ssisdb.catalog.drop",
		Params: []script.Param{{Name: "DisableClr", Value: disableCLR}},
		Text: `SET NOCOUNT ON;
IF DB_ID(N'SSISDB') IS NOT NULL
BEGIN
    ALTER DATABASE [SSISDB] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;
    DROP DATABASE [SSISDB];
END;
IF EXISTS (SELECT 1 FROM msdb.dbo.sysjobs WHERE name = N'SSIS Server Maintenance Job')
    EXEC msdb.dbo.sp_delete_job @job_name = N'SSIS Server Maintenance Job';
IF OBJECT_ID(N'master.dbo.sp_ssis_startup') IS NOT NULL
    EXEC (N'USE [master]; DROP PROCEDURE [dbo].[sp_ssis_startup];');
IF SUSER_ID(N'##MS_SSISServerCleanupJobLogin##') IS NOT NULL DROP LOGIN [##MS_SSISServerCleanupJobLogin##];
IF SUSER_ID(N'##MS_SSISLogDBWorkerAgentLogin##') IS NOT NULL DROP LOGIN [##MS_SSISLogDBWorkerAgentLogin##];
IF @DisableClr = 1
BEGIN
    EXEC sys.sp_configure N'clr enabled', 0;
    RECONFIGURE;
END;`}
}

func tsqlScaleoutEnable() script.TSQL {
	return script.TSQL{Op: "ssisdb.scaleout.enable", Text: `SET NOCOUNT ON;
IF ISNULL((SELECT CAST(property_value AS nvarchar(10)) FROM SSISDB.catalog.master_properties
           WHERE property_name = N'IS_SCALEOUT_ENABLED'), N'') <> N'TRUE'
    EXEC SSISDB.catalog.enable_scaleout;`}
}

func tsqlMasterUserEnsure(login string) script.TSQL {
	return script.TSQL{Op: "ssisdb.user.master.ensure", Idempotent: true,
		Params: []script.Param{{Name: "Login", Value: login}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @created bit = 0, @role bit = 0;
IF NOT EXISTS (SELECT 1 FROM SSISDB.sys.database_principals WHERE name = @Login)
BEGIN
    SET @sql = N'USE [SSISDB]; CREATE USER ' + QUOTENAME(@Login) + N' FOR LOGIN ' + QUOTENAME(@Login) + N';';
    EXEC sys.sp_executesql @sql;
    SET @created = 1;
END;
IF NOT EXISTS (SELECT 1 FROM SSISDB.sys.database_role_members rm
               JOIN SSISDB.sys.database_principals u ON u.principal_id = rm.member_principal_id
               JOIN SSISDB.sys.database_principals r ON r.principal_id = rm.role_principal_id
               WHERE u.name = @Login AND r.name = N'ssis_admin')
BEGIN
    SET @sql = N'USE [SSISDB]; ALTER ROLE [ssis_admin] ADD MEMBER ' + QUOTENAME(@Login) + N';';
    EXEC sys.sp_executesql @sql;
    SET @role = 1;
END;
SELECT @created AS created, @role AS role_added;`}
}

func tsqlUserDrop(user string) script.TSQL {
	return script.TSQL{Op: "ssisdb.user.drop", Idempotent: true,
		Params: []script.Param{{Name: "User", Value: user}},
		Text: `DECLARE @sql nvarchar(max);
IF EXISTS (SELECT 1 FROM SSISDB.sys.database_principals WHERE name = @User)
BEGIN
    SET @sql = N'USE [SSISDB]; DROP USER ' + QUOTENAME(@User) + N';';
    EXEC sys.sp_executesql @sql;
END;`}
}

// tsqlDMKCredentialAdd lets a secondary open SSISDB's master key once it becomes
// primary, without the old primary's service master key.
func tsqlDMKCredentialAdd(password script.Secret) script.TSQL {
	return script.TSQL{Op: "ssisdb.dmk.credential.add", Idempotent: true,
		Params: []script.Param{{Name: "DBName", Value: "SSISDB"}, {Name: "Password", Value: password}},
		Text: `SET NOCOUNT ON;
DECLARE @created bit = 0;
IF NOT EXISTS (SELECT 1 FROM sys.master_key_passwords mkp
               JOIN sys.database_recovery_status drs ON drs.family_guid = mkp.family_guid
               WHERE drs.database_id = DB_ID(@DBName))
BEGIN
    EXEC sys.sp_control_dbmasterkey_password @db_name = @DBName, @password = @Password, @action = N'add';
    SET @created = 1;
END;
SELECT @created AS created;`}
}

// tsqlDMKCredentialDrop finds the credential by the family GUID recorded when it was
// added, so it works after the database copy is gone too.
func tsqlDMKCredentialDrop(familyGUID string) script.TSQL {
	return script.TSQL{Op: "ssisdb.dmk.credential.drop", Idempotent: true,
		Params: []script.Param{{Name: "FamilyGUID", Value: familyGUID}},
		Text: `DECLARE @sql nvarchar(max), @name sysname;
SELECT @name = c.name FROM sys.master_key_passwords mkp JOIN sys.credentials c ON c.credential_id = mkp.credential_id
WHERE mkp.family_guid = TRY_CONVERT(uniqueidentifier, @FamilyGUID);
IF @name IS NOT NULL
BEGIN
    SET @sql = N'DROP CREDENTIAL ' + QUOTENAME(@name) + N';';
    EXEC sys.sp_executesql @sql;
END;`}
}

// tsqlAlwaysOnSupport creates on a secondary what SSMS's "Enable Always On support"
// creates there: the server objects of the catalog that do not live in SSISDB. The
// cleanup-job login gets the SID the primary's has (cleanupSID), so SSISDB's
// ##MS_SSISServerCleanupJobUser## maps to it after a failover; a login with another
// SID is dropped and created again.
func tsqlAlwaysOnSupport(cleanupSID []byte) script.TSQL {
	return script.TSQL{Op: "ssisdb.alwayson.support", Idempotent: true,
		Params: []script.Param{{Name: "CleanupSID", Value: cleanupSID}},
		Text: `SET NOCOUNT ON;
DECLARE @created TABLE (name nvarchar(20));
DECLARE @pwd nvarchar(128) = CONVERT(nvarchar(128), NEWID()) + N'Aa1!', @sql nvarchar(max);
IF SUSER_ID(N'##MS_SSISServerCleanupJobLogin##') IS NOT NULL AND @CleanupSID IS NOT NULL
   AND SUSER_SID(N'##MS_SSISServerCleanupJobLogin##') <> @CleanupSID
    DROP LOGIN [##MS_SSISServerCleanupJobLogin##];
IF SUSER_ID(N'##MS_SSISServerCleanupJobLogin##') IS NULL
BEGIN
    SET @sql = N'CREATE LOGIN [##MS_SSISServerCleanupJobLogin##] WITH PASSWORD = N''' + REPLACE(@pwd, N'''', N'''''')
        + N''', CHECK_POLICY = OFF' + CASE WHEN @CleanupSID IS NULL THEN N'' ELSE N', SID = ' + CONVERT(nvarchar(max), @CleanupSID, 1) END
        + N'; ALTER LOGIN [##MS_SSISServerCleanupJobLogin##] DISABLE;';
    EXEC sys.sp_executesql @sql;
    INSERT @created VALUES (N'login');
END;
IF OBJECT_ID(N'master.dbo.sp_ssis_startup') IS NULL
BEGIN
    EXEC (N'USE [master]; EXEC (N''CREATE PROCEDURE [dbo].[sp_ssis_startup] AS
        SET NOCOUNT ON;
        IF DB_ID(N''''SSISDB'''') IS NOT NULL AND sys.fn_hadr_is_primary_replica(N''''SSISDB'''') = 1
            EXEC [SSISDB].[catalog].[startup];'');');
    EXEC master.dbo.sp_procoption @ProcName = N'sp_ssis_startup', @OptionName = N'startup', @OptionValue = N'on';
    INSERT @created VALUES (N'startup');
END;
-- The jobs are the product's: each step acts only where SSISDB is read-write, the
-- monitor job runs catalog.startup only when internal.refresh_replica_status finds
-- that this replica was a secondary at its last run (once per role change), and the
-- owner is the login whose SID is 0x01, whatever it is called.
DECLARE @owner sysname = SUSER_SNAME(0x01);
IF NOT EXISTS (SELECT 1 FROM msdb.dbo.sysjobs WHERE name = N'SSIS Server Maintenance Job')
BEGIN
    EXEC msdb.dbo.sp_add_job @job_name = N'SSIS Server Maintenance Job', @owner_login_name = N'##MS_SSISServerCleanupJobLogin##';
    EXEC msdb.dbo.sp_add_jobstep @job_name = N'SSIS Server Maintenance Job', @step_name = N'SSIS Server Operation Records Maintenance',
        @subsystem = N'TSQL', @database_name = N'msdb', @on_success_action = 3, @retry_attempts = 3, @retry_interval = 3,
        @command = N'DECLARE @role int = (SELECT hars.role FROM sys.dm_hadr_availability_replica_states hars
    JOIN sys.availability_databases_cluster adc ON adc.group_id = hars.group_id WHERE hars.is_local = 1 AND adc.database_name = N''SSISDB'');
IF DB_ID(N''SSISDB'') IS NOT NULL AND (@role IS NULL OR @role = 1)
    EXEC [SSISDB].[internal].[cleanup_server_retention_window];';
    EXEC msdb.dbo.sp_add_jobstep @job_name = N'SSIS Server Maintenance Job', @step_name = N'SSIS Server Max Version Per Project Maintenance',
        @subsystem = N'TSQL', @database_name = N'msdb', @retry_attempts = 3, @retry_interval = 3,
        @command = N'DECLARE @role int = (SELECT hars.role FROM sys.dm_hadr_availability_replica_states hars
    JOIN sys.availability_databases_cluster adc ON adc.group_id = hars.group_id WHERE hars.is_local = 1 AND adc.database_name = N''SSISDB'');
IF DB_ID(N''SSISDB'') IS NOT NULL AND (@role IS NULL OR @role = 1)
    EXEC [SSISDB].[internal].[cleanup_server_project_version];';
    EXEC msdb.dbo.sp_add_jobschedule @job_name = N'SSIS Server Maintenance Job', @name = N'SSISDB Scheduler',
        @freq_type = 4, @freq_interval = 1, @active_start_time = 0;
    EXEC msdb.dbo.sp_add_jobserver @job_name = N'SSIS Server Maintenance Job';
    INSERT @created VALUES (N'maintenance');
END;
IF NOT EXISTS (SELECT 1 FROM msdb.dbo.sysjobs WHERE name = N'SSIS Failover Monitor Job')
BEGIN
    EXEC msdb.dbo.sp_add_job @job_name = N'SSIS Failover Monitor Job', @owner_login_name = @owner;
    EXEC msdb.dbo.sp_add_jobstep @job_name = N'SSIS Failover Monitor Job', @step_name = N'AlwaysOn Failover Monitor',
        @subsystem = N'TSQL', @database_name = N'msdb', @retry_attempts = 3, @retry_interval = 3,
        @command = N'DECLARE @status tinyint;
DECLARE @role int = (SELECT hars.role FROM sys.dm_hadr_availability_replica_states hars
    JOIN sys.availability_databases_cluster adc ON adc.group_id = hars.group_id WHERE hars.is_local = 1 AND adc.database_name = N''SSISDB'');
IF DB_ID(N''SSISDB'') IS NOT NULL AND @role = 1
BEGIN
    EXEC [SSISDB].[internal].[refresh_replica_status] @server_name = @@SERVERNAME, @status = @status OUTPUT;
    IF @status = 1 EXEC [SSISDB].[catalog].[startup];
END;';
    EXEC msdb.dbo.sp_add_jobschedule @job_name = N'SSIS Failover Monitor Job', @name = N'SSISDB Failover Monitor',
        @freq_type = 4, @freq_interval = 1, @freq_subday_type = 4, @freq_subday_interval = 2;
    EXEC msdb.dbo.sp_add_jobserver @job_name = N'SSIS Failover Monitor Job';
    INSERT @created VALUES (N'monitor');
END;
SELECT ISNULL(STRING_AGG(name, N','), N'') AS created FROM @created;`}
}

func tsqlAlwaysOnSupportRemove(objects string) script.TSQL {
	return script.TSQL{Op: "ssisdb.alwayson.support.remove", Idempotent: true,
		Params: []script.Param{{Name: "Objects", Value: objects}},
		Text: `SET NOCOUNT ON;
DECLARE @o TABLE (name nvarchar(20));
INSERT @o SELECT LTRIM(RTRIM(value)) FROM STRING_SPLIT(@Objects, N',');
IF EXISTS (SELECT 1 FROM @o WHERE name = N'monitor') AND EXISTS (SELECT 1 FROM msdb.dbo.sysjobs WHERE name = N'SSIS Failover Monitor Job')
    EXEC msdb.dbo.sp_delete_job @job_name = N'SSIS Failover Monitor Job';
IF EXISTS (SELECT 1 FROM @o WHERE name = N'maintenance') AND EXISTS (SELECT 1 FROM msdb.dbo.sysjobs WHERE name = N'SSIS Server Maintenance Job')
    EXEC msdb.dbo.sp_delete_job @job_name = N'SSIS Server Maintenance Job';
IF EXISTS (SELECT 1 FROM @o WHERE name = N'startup') AND OBJECT_ID(N'master.dbo.sp_ssis_startup') IS NOT NULL
    EXEC (N'USE [master]; DROP PROCEDURE [dbo].[sp_ssis_startup];');
IF EXISTS (SELECT 1 FROM @o WHERE name = N'login') AND SUSER_ID(N'##MS_SSISServerCleanupJobLogin##') IS NOT NULL
    DROP LOGIN [##MS_SSISServerCleanupJobLogin##];`}
}

// Replica states of internal.alwayson_support_state, as internal.refresh_replica_status
// reads them: the replica that is primary, and one that is secondary (its monitor job
// runs catalog.startup once when it finds itself primary).
const (
	replicaStatePrimary   = 1
	replicaStateSecondary = 2
)

// tsqlAlwaysOnReplicaAdd registers a replica for Always On support (as
// internal.add_replica_info does) with the state the catalog expects of its role.
func tsqlAlwaysOnReplicaAdd(server string, state int) script.TSQL {
	return script.TSQL{Op: "ssisdb.alwayson.replica.add", Idempotent: true,
		Params: []script.Param{{Name: "Server", Value: server}, {Name: "State", Value: int64(state)}},
		Text: `SET NOCOUNT ON;
DECLARE @added bit = 0;
IF NOT EXISTS (SELECT 1 FROM SSISDB.internal.alwayson_support_state WHERE server_name = @Server)
BEGIN
    INSERT SSISDB.internal.alwayson_support_state (server_name, state) VALUES (@Server, @State);
    SET @added = 1;
END;
SELECT @added AS added;`}
}

func tsqlAlwaysOnReplicaRemove(server string) script.TSQL {
	return script.TSQL{Op: "ssisdb.alwayson.replica.remove", Idempotent: true,
		Params: []script.Param{{Name: "Server", Value: server}},
		Text:   `DELETE FROM SSISDB.internal.alwayson_support_state WHERE server_name = @Server;`}
}

// tsqlCLRAssemblyEnsure gives an instance what SSISDB's CLR code needs there, as
// catalog creation does on its own instance: clr enabled, the asymmetric key from the
// Integration Services server assembly of the installed version, and the login made
// from it with UNSAFE ASSEMBLY. Each is made only when missing, and said, for undo.
func tsqlCLRAssemblyEnsure(assemblyPath string) script.TSQL {
	return script.TSQL{Op: "sql.clr.assembly.ensure", Idempotent: true,
		Params: []script.Param{{Name: "AssemblyPath", Value: assemblyPath}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @clr bit, @key bit = 0, @login bit = 0;
SELECT @clr = CAST(value_in_use AS bit) FROM sys.configurations WHERE name = N'clr enabled';
IF @clr = 0
BEGIN
    EXEC sys.sp_configure N'clr enabled', 1;
    RECONFIGURE;
END;
IF NOT EXISTS (SELECT 1 FROM master.sys.asymmetric_keys WHERE name = N'MS_SQLEnableSystemAssemblyLoadingKey')
BEGIN
    SET @sql = N'USE [master]; CREATE ASYMMETRIC KEY [MS_SQLEnableSystemAssemblyLoadingKey] FROM EXECUTABLE FILE = N'''
        + REPLACE(@AssemblyPath, N'''', N'''''') + N''';';
    EXEC sys.sp_executesql @sql;
    SET @key = 1;
END;
IF SUSER_ID(N'##MS_SQLEnableSystemAssemblyLoadingUser##') IS NULL
BEGIN
    CREATE LOGIN [##MS_SQLEnableSystemAssemblyLoadingUser##] FROM ASYMMETRIC KEY [MS_SQLEnableSystemAssemblyLoadingKey];
    SET @login = 1;
END;
GRANT UNSAFE ASSEMBLY TO [##MS_SQLEnableSystemAssemblyLoadingUser##];
SELECT @clr AS clr_was_enabled, @key AS key_created, @login AS login_created;`}
}

// tsqlCLRAssemblyDrop removes what tsqlCLRAssemblyEnsure made, as its result said.
func tsqlCLRAssemblyDrop(dropLogin, dropKey, disableClr bool) script.TSQL {
	return script.TSQL{Op: "sql.clr.assembly.drop", Idempotent: true,
		Params: []script.Param{{Name: "DropLogin", Value: dropLogin}, {Name: "DropKey", Value: dropKey}, {Name: "DisableClr", Value: disableClr}},
		Text: `SET NOCOUNT ON;
IF @DropLogin = 1 AND SUSER_ID(N'##MS_SQLEnableSystemAssemblyLoadingUser##') IS NOT NULL
    DROP LOGIN [##MS_SQLEnableSystemAssemblyLoadingUser##];
IF @DropKey = 1 AND EXISTS (SELECT 1 FROM master.sys.asymmetric_keys WHERE name = N'MS_SQLEnableSystemAssemblyLoadingKey')
    EXEC (N'USE [master]; DROP ASYMMETRIC KEY [MS_SQLEnableSystemAssemblyLoadingKey];');
IF @DisableClr = 1
BEGIN
    EXEC sys.sp_configure N'clr enabled', 0;
    RECONFIGURE;
END;`}
}

// tsqlLoginSID reads a login's SID (NULL when there is none).
func tsqlLoginSID(login string) script.TSQL {
	return script.TSQL{Op: "sql.login.sid", ReadOnly: true,
		Params: []script.Param{{Name: "Login", Value: login}},
		Text:   `SELECT SUSER_SID(@Login) AS sid;`}
}
