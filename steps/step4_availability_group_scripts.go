package steps

// The scripts of step 4: the mirroring endpoint, the availability group and its
// listener, the SSISDB catalog, the master key credential and Always On support.

import "github.com/ssisha/ssisha/remote/script"

// HadrEndpointName is the database mirroring endpoint ssisha creates when a replica
// has none.
const HadrEndpointName = "Hadr_endpoint"

func tsqlEndpointEnsure(name string, port int, accounts string) script.TSQL {
	return script.TSQL{Op: "sql.endpoint.ensure", Idempotent: true,
		Params: []script.Param{{Name: "Name", Value: name}, {Name: "Port", Value: int64(port)}, {Name: "Accounts", Value: accounts}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @ep sysname, @created bit = 0, @system bit = 0, @acct sysname;
DECLARE @logins TABLE (name sysname);
SELECT @ep = name FROM sys.database_mirroring_endpoints;
IF @ep IS NULL
BEGIN
    SET @sql = N'CREATE ENDPOINT ' + QUOTENAME(@Name) + N' STATE = STARTED AS TCP (LISTENER_PORT = '
        + CAST(@Port AS nvarchar(10)) + N', LISTENER_IP = ALL) FOR DATABASE_MIRRORING (ROLE = ALL, '
        + N'AUTHENTICATION = WINDOWS NEGOTIATE, ENCRYPTION = REQUIRED ALGORITHM AES);';
    EXEC sys.sp_executesql @sql;
    SELECT @ep = @Name, @created = 1;
END;
DECLARE accounts CURSOR LOCAL FAST_FORWARD FOR
    SELECT LTRIM(RTRIM(value)) FROM STRING_SPLIT(@Accounts, NCHAR(10)) WHERE LTRIM(RTRIM(value)) <> N'';
OPEN accounts;
FETCH NEXT FROM accounts INTO @acct;
WHILE @@FETCH_STATUS = 0
BEGIN
    IF SUSER_ID(@acct) IS NULL
    BEGIN
        SET @sql = N'CREATE LOGIN ' + QUOTENAME(@acct) + N' FROM WINDOWS;';
        EXEC sys.sp_executesql @sql;
        INSERT @logins VALUES (@acct);
    END;
    SET @sql = N'GRANT CONNECT ON ENDPOINT::' + QUOTENAME(@ep) + N' TO ' + QUOTENAME(@acct) + N';';
    EXEC sys.sp_executesql @sql;
    FETCH NEXT FROM accounts INTO @acct;
END;
CLOSE accounts;
DEALLOCATE accounts;
IF NOT EXISTS (SELECT 1 FROM sys.server_permissions pe JOIN sys.server_principals pr ON pr.principal_id = pe.grantee_principal_id
               WHERE pr.name = N'NT AUTHORITY\SYSTEM' AND pe.permission_name = N'ALTER ANY AVAILABILITY GROUP')
BEGIN
    GRANT ALTER ANY AVAILABILITY GROUP, CONNECT SQL, VIEW SERVER STATE TO [NT AUTHORITY\SYSTEM];
    SET @system = 1;
END;
SELECT @ep AS endpoint_name, @created AS endpoint_created,
       ISNULL(STRING_AGG(CAST(name AS nvarchar(max)), NCHAR(10)), N'') AS logins_created, @system AS system_granted
FROM @logins;`}
}

func tsqlEndpointDrop(name string, dropEndpoint bool, logins string, revokeSystem bool) script.TSQL {
	return script.TSQL{Op: "sql.endpoint.drop", Idempotent: true,
		Params: []script.Param{{Name: "Name", Value: name}, {Name: "DropEndpoint", Value: dropEndpoint}, {Name: "Logins", Value: logins}, {Name: "RevokeSystem", Value: revokeSystem}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @login sysname;
IF @DropEndpoint = 1 AND EXISTS (SELECT 1 FROM sys.endpoints WHERE name = @Name)
BEGIN
    SET @sql = N'DROP ENDPOINT ' + QUOTENAME(@Name) + N';';
    EXEC sys.sp_executesql @sql;
END;
DECLARE created CURSOR LOCAL FAST_FORWARD FOR
    SELECT LTRIM(RTRIM(value)) FROM STRING_SPLIT(@Logins, NCHAR(10)) WHERE LTRIM(RTRIM(value)) <> N'';
OPEN created;
FETCH NEXT FROM created INTO @login;
WHILE @@FETCH_STATUS = 0
BEGIN
    IF SUSER_ID(@login) IS NOT NULL
    BEGIN
        SET @sql = N'DROP LOGIN ' + QUOTENAME(@login) + N';';
        EXEC sys.sp_executesql @sql;
    END;
    FETCH NEXT FROM created INTO @login;
END;
CLOSE created;
DEALLOCATE created;
IF @RevokeSystem = 1
    REVOKE ALTER ANY AVAILABILITY GROUP, CONNECT SQL, VIEW SERVER STATE FROM [NT AUTHORITY\SYSTEM];`}
}

func tsqlWindowsLoginEnsure(login string) script.TSQL {
	return script.TSQL{Op: "sql.login.windows.ensure", Idempotent: true,
		Params: []script.Param{{Name: "Login", Value: login}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @created bit = 0;
IF SUSER_ID(@Login) IS NULL
BEGIN
    SET @sql = N'CREATE LOGIN ' + QUOTENAME(@Login) + N' FROM WINDOWS;';
    EXEC sys.sp_executesql @sql;
    SET @created = 1;
END;
SELECT @created AS created;`}
}

func tsqlAGCreate(ag, replicasJSON string) script.TSQL {
	return script.TSQL{Op: "ag.create", Timeout: limitAG,
		Params: []script.Param{{Name: "AGName", Value: ag}, {Name: "Replicas", Value: replicasJSON}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @dir nvarchar(4000), @file nvarchar(4000), @replicas nvarchar(max), @created bit = 0;
DECLARE @prev nvarchar(60) = (SELECT recovery_model_desc FROM sys.databases WHERE name = N'SSISDB');
IF NOT EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = @AGName)
BEGIN
    IF @prev <> N'FULL' ALTER DATABASE [SSISDB] SET RECOVERY FULL;
    EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', N'Software\Microsoft\MSSQLServer\MSSQLServer', N'BackupDirectory', @dir OUTPUT;
    SET @file = @dir + N'\SSISDB_ssisha_preAG_' + FORMAT(SYSUTCDATETIME(), 'yyyyMMddHHmmss') + N'.bak';
    BACKUP DATABASE [SSISDB] TO DISK = @file WITH INIT, CHECKSUM;
    SELECT @replicas = STRING_AGG(CAST(QUOTENAME(r.server, '''') + N' WITH (ENDPOINT_URL = ' + QUOTENAME(r.endpointUrl, '''')
        + N', AVAILABILITY_MODE = SYNCHRONOUS_COMMIT, FAILOVER_MODE = AUTOMATIC, SEEDING_MODE = AUTOMATIC, '
        + N'SECONDARY_ROLE (ALLOW_CONNECTIONS = NO))' AS nvarchar(max)), N', ')
    FROM OPENJSON(@Replicas) WITH (server nvarchar(128) '$.server', endpointUrl nvarchar(256) '$.endpointUrl') AS r;
    SET @sql = N'CREATE AVAILABILITY GROUP ' + QUOTENAME(@AGName)
        + N' WITH (AUTOMATED_BACKUP_PREFERENCE = PRIMARY, DB_FAILOVER = ON, CLUSTER_TYPE = WSFC)'
        + N' FOR DATABASE [SSISDB] REPLICA ON ' + @replicas + N';';
    EXEC sys.sp_executesql @sql;
    SET @created = 1;
END;
SELECT @created AS created, @prev AS prev_recovery;`}
}

func tsqlAGDrop(ag string) script.TSQL {
	return script.TSQL{Op: "ag.drop", Timeout: limitAG, Idempotent: true,
		Params: []script.Param{{Name: "AGName", Value: ag}},
		Text: `DECLARE @sql nvarchar(max);
IF EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = @AGName)
BEGIN
    SET @sql = N'DROP AVAILABILITY GROUP ' + QUOTENAME(@AGName) + N';';
    EXEC sys.sp_executesql @sql;
END;`}
}

func tsqlAGJoin(ag string) script.TSQL {
	return script.TSQL{Op: "ag.join", Timeout: limitAG, Idempotent: true,
		Params: []script.Param{{Name: "AGName", Value: ag}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @seeded bit = 0;
IF NOT EXISTS (SELECT 1 FROM sys.dm_hadr_availability_replica_states rs
               JOIN sys.availability_groups g ON g.group_id = rs.group_id
               WHERE g.name = @AGName AND rs.is_local = 1)
BEGIN
    SET @sql = N'ALTER AVAILABILITY GROUP ' + QUOTENAME(@AGName) + N' JOIN;';
    EXEC sys.sp_executesql @sql;
END;
SET @sql = N'ALTER AVAILABILITY GROUP ' + QUOTENAME(@AGName) + N' GRANT CREATE ANY DATABASE;';
EXEC sys.sp_executesql @sql;
IF DB_ID(N'SSISDB') IS NOT NULL SET @seeded = 1;
SELECT @seeded AS seeded;`}
}

func tsqlAGReplicaRemove(ag, server string) script.TSQL {
	return script.TSQL{Op: "ag.replica.remove", Idempotent: true,
		Params: []script.Param{{Name: "AGName", Value: ag}, {Name: "Server", Value: server}},
		Text: `DECLARE @sql nvarchar(max);
IF EXISTS (SELECT 1 FROM sys.availability_replicas r JOIN sys.availability_groups g ON g.group_id = r.group_id
           WHERE g.name = @AGName AND r.replica_server_name = @Server)
BEGIN
    SET @sql = N'ALTER AVAILABILITY GROUP ' + QUOTENAME(@AGName) + N' REMOVE REPLICA ON ' + QUOTENAME(@Server, '''') + N';';
    EXEC sys.sp_executesql @sql;
END;`}
}

// tsqlAGSecondaryCleanup drops the copy of SSISDB a removed replica keeps in
// RESTORING, and the seeding permission.
func tsqlAGSecondaryCleanup(ag string) script.TSQL {
	return script.TSQL{Op: "ag.secondary.cleanup", Idempotent: true,
		Params: []script.Param{{Name: "AGName", Value: ag}},
		Text: `DECLARE @sql nvarchar(max);
IF EXISTS (SELECT 1 FROM sys.databases WHERE name = N'SSISDB' AND state_desc = N'RESTORING' AND group_database_id IS NULL)
    DROP DATABASE [SSISDB];
IF EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = @AGName)
BEGIN
    SET @sql = N'ALTER AVAILABILITY GROUP ' + QUOTENAME(@AGName) + N' DENY CREATE ANY DATABASE;';
    EXEC sys.sp_executesql @sql;
END;`}
}

func tsqlListenerAdd(ag, dns, ip, mask string, port int) script.TSQL {
	return script.TSQL{Op: "ag.listener.add", Timeout: limitAG,
		Params: []script.Param{{Name: "AGName", Value: ag}, {Name: "DNSName", Value: dns}, {Name: "IP", Value: ip}, {Name: "Mask", Value: mask}, {Name: "Port", Value: int64(port)}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @created bit = 0;
IF NOT EXISTS (SELECT 1 FROM sys.availability_group_listeners l JOIN sys.availability_groups g ON g.group_id = l.group_id
               WHERE g.name = @AGName AND l.dns_name = @DNSName)
BEGIN
    SET @sql = N'ALTER AVAILABILITY GROUP ' + QUOTENAME(@AGName) + N' ADD LISTENER ' + QUOTENAME(@DNSName, '''')
        + N' (WITH IP ((' + QUOTENAME(@IP, '''') + N', ' + QUOTENAME(@Mask, '''') + N')), PORT = '
        + CAST(@Port AS nvarchar(10)) + N');';
    EXEC sys.sp_executesql @sql;
    SET @created = 1;
END;
SELECT @created AS created;`}
}

func tsqlListenerRemove(ag, dns string) script.TSQL {
	return script.TSQL{Op: "ag.listener.remove", Timeout: limitAG, Idempotent: true,
		Params: []script.Param{{Name: "AGName", Value: ag}, {Name: "DNSName", Value: dns}},
		Text: `DECLARE @sql nvarchar(max);
IF EXISTS (SELECT 1 FROM sys.availability_group_listeners l JOIN sys.availability_groups g ON g.group_id = l.group_id
           WHERE g.name = @AGName AND l.dns_name = @DNSName)
BEGIN
    SET @sql = N'ALTER AVAILABILITY GROUP ' + QUOTENAME(@AGName) + N' REMOVE LISTENER ' + QUOTENAME(@DNSName, '''') + N';';
    EXEC sys.sp_executesql @sql;
END;`}
}

// psCatalogCreate creates the catalog through the Integration Services management
// API, which restores SSISDB from the template backup that ships with the binaries;
// there is no T-SQL way to do it.
func psCatalogCreate(masterKeyPassword script.Secret, folder string) script.PowerShell {
	return script.PowerShell{Op: "ssisdb.catalog.create", Timeout: limitCatalog,
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
