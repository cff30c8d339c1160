package steps

import "github.com/ssisha/ssisha/remote/script"

// The scripts that create and change SSISDB: the catalog, Scale Out, the master key
// credential, Always On support, logging, the master address and worker agents.
// Batches that change SSISDB run on the current primary (through the listener once
// it exists).

// psCatalogCreate creates the catalog through the Integration Services management
// API, which restores SSISDB from the template backup that ships with the binaries;
// there is no T-SQL way to do it.
func psCatalogCreate(masterKeyPassword script.Secret, folder string) script.PowerShell {
	return script.PowerShell{Op: "ssisdb.catalog.create",
		Params: map[string]any{"masterKeyPassword": masterKeyPassword, "assemblyVersion": folder[:2] + ".0.0.0"},
		Body: `$cn = New-Object System.Data.SqlClient.SqlConnection 'Data Source=.;Initial Catalog=master;Integrated Security=SSPI;'
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
[pscustomobject]@{ created = $true; clrWasEnabled = $clr } | ConvertTo-Json -Compress -Depth 5`}
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

func tsqlCatalogFacts(masterAccount string) script.TSQL {
	return script.TSQL{Op: "ssisdb.catalog.facts", ReadOnly: true,
		Params: []script.Param{{Name: "MasterAccount", Value: masterAccount}},
		Text: `SET NOCOUNT ON;
DECLARE @state nvarchar(60) = ISNULL((SELECT state_desc FROM sys.databases WHERE name = N'SSISDB'), N'');
DECLARE @facts TABLE (catalog int, scaleout_enabled nvarchar(max), master_user_admin int, alwayson_replicas nvarchar(max),
                      master_address nvarchar(max), logdb_server nvarchar(max), machine_name nvarchar(max), last_online_time nvarchar(max));
IF @state = N'ONLINE' AND ISNULL(sys.fn_hadr_is_primary_replica(N'SSISDB'), 1) = 1
    INSERT @facts EXEC sys.sp_executesql N'
    SELECT 1,
        ISNULL((SELECT CAST(property_value AS nvarchar(max)) FROM SSISDB.catalog.master_properties WHERE property_name = N''IS_SCALEOUT_ENABLED''), N''''),
        CASE WHEN EXISTS (SELECT 1 FROM SSISDB.sys.database_principals u
                          JOIN SSISDB.sys.database_role_members rm ON rm.member_principal_id = u.principal_id
                          JOIN SSISDB.sys.database_principals r ON r.principal_id = rm.role_principal_id
                          WHERE u.name = @MasterAccount AND r.name = N''ssis_admin'') THEN 1 ELSE 0 END,
        ISNULL((SELECT STRING_AGG(CAST(server_name AS nvarchar(max)), N'','') WITHIN GROUP (ORDER BY server_name) FROM SSISDB.catalog.alwayson_replicas), N''''),
        ISNULL((SELECT CAST(property_value AS nvarchar(max)) FROM SSISDB.catalog.master_properties WHERE property_name = N''MASTER_ADDRESS''), N''''),
        ISNULL((SELECT CAST(property_value AS nvarchar(max)) FROM SSISDB.catalog.master_properties WHERE property_name = N''CLUSTER_LOGDB_SERVER''), N''''),
        ISNULL((SELECT CAST(property_value AS nvarchar(max)) FROM SSISDB.catalog.master_properties WHERE property_name = N''MACHINE_NAME''), N''''),
        ISNULL((SELECT CAST(property_value AS nvarchar(max)) FROM SSISDB.catalog.master_properties WHERE property_name = N''LAST_ONLINE_TIME''), N'''');',
        N'@MasterAccount sysname', @MasterAccount = @MasterAccount;
SELECT CAST(SERVERPROPERTY('ServerName') AS nvarchar(256)) AS server_name, ISNULL(f.catalog, 0) AS catalog, @state AS db_state,
       ISNULL(f.scaleout_enabled, N'') AS scaleout_enabled, ISNULL(f.master_user_admin, 0) AS master_user_admin,
       ISNULL(f.alwayson_replicas, N'') AS alwayson_replicas, ISNULL(f.master_address, N'') AS master_address,
       ISNULL(f.logdb_server, N'') AS logdb_server, ISNULL(f.machine_name, N'') AS machine_name,
       ISNULL(f.last_online_time, N'') AS last_online_time
FROM (SELECT 1 AS one) AS x LEFT JOIN @facts f ON 1 = 1;`}
}

func tsqlSchemaCheck() script.TSQL {
	return script.TSQL{Op: "ssisdb.schema.check", ReadOnly: true, Text: `SET NOCOUNT ON;
DECLARE @present int = CASE WHEN DB_ID(N'SSISDB') IS NULL THEN 0 ELSE 1 END, @matches int = 0;
IF @present = 1
BEGIN TRY
    EXEC SSISDB.catalog.check_schema_version @use32bitruntime = 0;
    SET @matches = 1;
END TRY
BEGIN CATCH
    SET @matches = 0;
END CATCH;
SELECT @present AS present, @matches AS matches;`}
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
// creates there: the server objects of the catalog that do not live in SSISDB.
func tsqlAlwaysOnSupport() script.TSQL {
	return script.TSQL{Op: "ssisdb.alwayson.support", Idempotent: true, Text: `SET NOCOUNT ON;
DECLARE @created TABLE (name nvarchar(20));
DECLARE @pwd nvarchar(128) = CONVERT(nvarchar(128), NEWID()) + N'Aa1!', @sql nvarchar(max);
IF SUSER_ID(N'##MS_SSISServerCleanupJobLogin##') IS NULL
BEGIN
    SET @sql = N'CREATE LOGIN [##MS_SSISServerCleanupJobLogin##] WITH PASSWORD = N''' + REPLACE(@pwd, N'''', N'''''')
        + N''', CHECK_POLICY = OFF; ALTER LOGIN [##MS_SSISServerCleanupJobLogin##] DISABLE;';
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
IF NOT EXISTS (SELECT 1 FROM msdb.dbo.sysjobs WHERE name = N'SSIS Server Maintenance Job')
BEGIN
    EXEC msdb.dbo.sp_add_job @job_name = N'SSIS Server Maintenance Job', @owner_login_name = N'##MS_SSISServerCleanupJobLogin##';
    EXEC msdb.dbo.sp_add_jobstep @job_name = N'SSIS Server Maintenance Job', @step_name = N'SSIS Server Operation Records Maintenance',
        @subsystem = N'TSQL', @database_name = N'msdb',
        @command = N'IF DB_ID(N''SSISDB'') IS NOT NULL AND sys.fn_hadr_is_primary_replica(N''SSISDB'') = 1 EXEC [SSISDB].[internal].[cleanup_server_retention_window];';
    EXEC msdb.dbo.sp_add_jobschedule @job_name = N'SSIS Server Maintenance Job', @name = N'SSISDB Scheduler',
        @freq_type = 4, @freq_interval = 1, @active_start_time = 0;
    EXEC msdb.dbo.sp_add_jobserver @job_name = N'SSIS Server Maintenance Job';
    INSERT @created VALUES (N'maintenance');
END;
IF NOT EXISTS (SELECT 1 FROM msdb.dbo.sysjobs WHERE name = N'SSIS Failover Monitor Job')
BEGIN
    EXEC msdb.dbo.sp_add_job @job_name = N'SSIS Failover Monitor Job', @owner_login_name = N'sa';
    EXEC msdb.dbo.sp_add_jobstep @job_name = N'SSIS Failover Monitor Job', @step_name = N'AlwaysOn Failover Monitor',
        @subsystem = N'TSQL', @database_name = N'msdb',
        @command = N'IF DB_ID(N''SSISDB'') IS NOT NULL AND sys.fn_hadr_is_primary_replica(N''SSISDB'') = 1 EXEC [SSISDB].[catalog].[startup];';
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

func tsqlAlwaysOnReplicaAdd(server string) script.TSQL {
	return script.TSQL{Op: "ssisdb.alwayson.replica.add", Idempotent: true,
		Params: []script.Param{{Name: "Server", Value: server}},
		Text: `SET NOCOUNT ON;
DECLARE @added bit = 0;
IF NOT EXISTS (SELECT 1 FROM SSISDB.internal.alwayson_support_state WHERE server_name = @Server)
BEGIN
    INSERT SSISDB.internal.alwayson_support_state (server_name, state) VALUES (@Server, 1);
    SET @added = 1;
END;
SELECT @added AS added;`}
}

func tsqlAlwaysOnReplicaRemove(server string) script.TSQL {
	return script.TSQL{Op: "ssisdb.alwayson.replica.remove", Idempotent: true,
		Params: []script.Param{{Name: "Server", Value: server}},
		Text:   `DELETE FROM SSISDB.internal.alwayson_support_state WHERE server_name = @Server;`}
}

// tsqlLogDBUpdate builds the logging connection string on the server, with the
// password single-quoted and its quotes doubled as catalog.enable_scaleout does.
func tsqlLogDBUpdate(server, login string, password script.Secret) script.TSQL {
	return script.TSQL{Op: "ssisdb.logdb.update", Idempotent: true,
		Params: []script.Param{{Name: "ServerName", Value: server}, {Name: "Login", Value: login}, {Name: "Password", Value: password}},
		Text: `SET NOCOUNT ON;
DECLARE @prev nvarchar(max) = ISNULL((SELECT CAST(property_value AS nvarchar(max)) FROM SSISDB.catalog.master_properties
                                      WHERE property_name = N'CLUSTER_LOGDB_SERVER'), N'');
DECLARE @cs nvarchar(max) = N'Data Source=' + @ServerName + N';Initial Catalog=SSISDB;User Id=' + @Login
    + N';Password=''' + REPLACE(@Password, N'''', N'''''') + N''';';
EXEC SSISDB.catalog.update_logdb_info @server_name = @ServerName, @connection_string = @cs;
SELECT @prev AS previous_server;`}
}

func tsqlMasterAddressSet(address string) script.TSQL {
	return script.TSQL{Op: "ssisdb.master.address.set", Idempotent: true,
		Params: []script.Param{{Name: "MasterAddress", Value: address}},
		Text: `SET NOCOUNT ON;
DECLARE @prev nvarchar(256) = ISNULL((SELECT CAST(property_value AS nvarchar(256)) FROM SSISDB.catalog.master_properties
                                      WHERE property_name = N'MASTER_ADDRESS'), N'');
EXEC SSISDB.catalog.update_master_address @MasterAddress = @MasterAddress;
SELECT @prev AS previous;`}
}

func tsqlWorkerGet(agentID string) script.TSQL {
	return script.TSQL{Op: "ssisdb.worker.get", ReadOnly: true,
		Params: []script.Param{{Name: "AgentId", Value: agentID}},
		Text: `SELECT CONVERT(nvarchar(36), WorkerAgentId) AS WorkerAgentId, MachineName, CAST(IsEnabled AS int) AS IsEnabled,
       CONVERT(nvarchar(40), LastOnlineTime, 127) AS LastOnlineTime, UserAccount
FROM SSISDB.catalog.worker_agents WHERE WorkerAgentId = TRY_CONVERT(uniqueidentifier, @AgentId);`}
}

func tsqlWorkerCall(op, proc, agentID string) script.TSQL {
	return script.TSQL{Op: op, Idempotent: true,
		Params: []script.Param{{Name: "AgentId", Value: agentID}},
		Text: `DECLARE @id uniqueidentifier = TRY_CONVERT(uniqueidentifier, @AgentId);
EXEC SSISDB.catalog.` + proc + ` @WorkerAgentId = @id;`}
}

func tsqlWorkerEnable(agentID string) script.TSQL {
	return tsqlWorkerCall("ssisdb.worker.enable", "enable_worker_agent", agentID)
}

func tsqlWorkerDisable(agentID string) script.TSQL {
	return tsqlWorkerCall("ssisdb.worker.disable", "disable_worker_agent", agentID)
}

func tsqlWorkerDelete(agentID string) script.TSQL {
	return script.TSQL{Op: "ssisdb.worker.delete", Idempotent: true,
		Params: []script.Param{{Name: "AgentId", Value: agentID}},
		Text: `DECLARE @id uniqueidentifier = TRY_CONVERT(uniqueidentifier, @AgentId);
IF EXISTS (SELECT 1 FROM SSISDB.catalog.worker_agents WHERE WorkerAgentId = @id)
    EXEC SSISDB.catalog.delete_worker_agent @WorkerAgentId = @id;`}
}
