package steps

// The scripts of step 4: the mirroring endpoint, the availability group and its
// listener, the SSISDB catalog, the master key credential and Always On support.

import "github.com/ssisha/ssisha/remote/script"

// HadrEndpointName is the database mirroring endpoint ssisha creates when a replica
// has none.
const HadrEndpointName = "Hadr_endpoint"

// tsqlEndpointEnsure creates the mirroring endpoint when the instance has none, gives
// each partner engine identity a login and CONNECT on it, and gives NT AUTHORITY\SYSTEM
// the permissions the cluster's health checks need. It says exactly what it added (the
// logins, the CONNECT grants, each SYSTEM permission), so that undo takes back only that.
func tsqlEndpointEnsure(name string, port int, accounts string) script.TSQL {
	return script.TSQL{Op: "sql.endpoint.ensure", Idempotent: true,
		Params: []script.Param{{Name: "Name", Value: name}, {Name: "Port", Value: int64(port)}, {Name: "Accounts", Value: accounts}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @ep sysname, @epid int, @created bit = 0, @acct sysname, @perm nvarchar(60);
DECLARE @logins TABLE (name sysname);
DECLARE @grants TABLE (name sysname);
DECLARE @system TABLE (perm nvarchar(60));
SELECT @ep = name, @epid = endpoint_id FROM sys.database_mirroring_endpoints;
IF @ep IS NULL
BEGIN
    SET @sql = N'CREATE ENDPOINT ' + QUOTENAME(@Name) + N' STATE = STARTED AS TCP (LISTENER_PORT = '
        + CAST(@Port AS nvarchar(10)) + N', LISTENER_IP = ALL) FOR DATABASE_MIRRORING (ROLE = ALL, '
        + N'AUTHENTICATION = WINDOWS NEGOTIATE, ENCRYPTION = REQUIRED ALGORITHM AES);';
    EXEC sys.sp_executesql @sql;
    SELECT @ep = name, @epid = endpoint_id, @created = 1 FROM sys.database_mirroring_endpoints;
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
    IF NOT EXISTS (SELECT 1 FROM sys.server_permissions pe
                   WHERE pe.class_desc = N'ENDPOINT' AND pe.major_id = @epid AND pe.permission_name = N'CONNECT'
                     AND pe.state IN ('G', 'W') AND pe.grantee_principal_id = SUSER_ID(@acct))
    BEGIN
        SET @sql = N'GRANT CONNECT ON ENDPOINT::' + QUOTENAME(@ep) + N' TO ' + QUOTENAME(@acct) + N';';
        EXEC sys.sp_executesql @sql;
        INSERT @grants VALUES (@acct);
    END;
    FETCH NEXT FROM accounts INTO @acct;
END;
CLOSE accounts;
DEALLOCATE accounts;
-- Each permission only where SYSTEM lacks it: setup already grants CONNECT SQL.
DECLARE perms CURSOR LOCAL FAST_FORWARD FOR
    SELECT p FROM (VALUES (N'ALTER ANY AVAILABILITY GROUP'), (N'CONNECT SQL'), (N'VIEW SERVER STATE')) AS v(p);
OPEN perms;
FETCH NEXT FROM perms INTO @perm;
WHILE @@FETCH_STATUS = 0
BEGIN
    IF NOT EXISTS (SELECT 1 FROM sys.server_permissions pe JOIN sys.server_principals pr ON pr.principal_id = pe.grantee_principal_id
                   WHERE pr.name = N'NT AUTHORITY\SYSTEM' AND pe.permission_name = @perm AND pe.state IN ('G', 'W'))
    BEGIN
        SET @sql = N'GRANT ' + @perm + N' TO [NT AUTHORITY\SYSTEM];';
        EXEC sys.sp_executesql @sql;
        INSERT @system VALUES (@perm);
    END;
    FETCH NEXT FROM perms INTO @perm;
END;
CLOSE perms;
DEALLOCATE perms;
SELECT @ep AS endpoint_name, @created AS endpoint_created,
       ISNULL((SELECT STRING_AGG(CAST(name AS nvarchar(max)), NCHAR(10)) FROM @logins), N'') AS logins_created,
       ISNULL((SELECT STRING_AGG(CAST(name AS nvarchar(max)), NCHAR(10)) FROM @grants), N'') AS connect_granted,
       ISNULL((SELECT STRING_AGG(CAST(perm AS nvarchar(max)), N',') FROM @system), N'') AS system_granted;`}
}

// tsqlEndpointDrop takes back what tsqlEndpointEnsure said it added: the endpoint it
// created, the logins it created, the CONNECT grants it made, and the SYSTEM
// permissions it granted (only those three, whatever the list holds).
func tsqlEndpointDrop(name string, dropEndpoint bool, logins, connectGrants, systemGrants string) script.TSQL {
	return script.TSQL{Op: "sql.endpoint.drop", Idempotent: true,
		Params: []script.Param{{Name: "Name", Value: name}, {Name: "DropEndpoint", Value: dropEndpoint}, {Name: "Logins", Value: logins},
			{Name: "ConnectGrants", Value: connectGrants}, {Name: "SystemGrants", Value: systemGrants}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @login sysname, @perm nvarchar(60);
IF @DropEndpoint = 1 AND EXISTS (SELECT 1 FROM sys.endpoints WHERE name = @Name)
BEGIN
    SET @sql = N'DROP ENDPOINT ' + QUOTENAME(@Name) + N';';
    EXEC sys.sp_executesql @sql;
END;
IF EXISTS (SELECT 1 FROM sys.endpoints WHERE name = @Name)
BEGIN
    DECLARE granted CURSOR LOCAL FAST_FORWARD FOR
        SELECT LTRIM(RTRIM(value)) FROM STRING_SPLIT(@ConnectGrants, NCHAR(10)) WHERE LTRIM(RTRIM(value)) <> N'';
    OPEN granted;
    FETCH NEXT FROM granted INTO @login;
    WHILE @@FETCH_STATUS = 0
    BEGIN
        IF SUSER_ID(@login) IS NOT NULL
        BEGIN
            SET @sql = N'REVOKE CONNECT ON ENDPOINT::' + QUOTENAME(@Name) + N' FROM ' + QUOTENAME(@login) + N';';
            EXEC sys.sp_executesql @sql;
        END;
        FETCH NEXT FROM granted INTO @login;
    END;
    CLOSE granted;
    DEALLOCATE granted;
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
DECLARE perms CURSOR LOCAL FAST_FORWARD FOR
    SELECT v.p FROM (VALUES (N'ALTER ANY AVAILABILITY GROUP'), (N'CONNECT SQL'), (N'VIEW SERVER STATE')) AS v(p)
    JOIN STRING_SPLIT(@SystemGrants, N',') AS s ON LTRIM(RTRIM(s.value)) = v.p;
OPEN perms;
FETCH NEXT FROM perms INTO @perm;
WHILE @@FETCH_STATUS = 0
BEGIN
    SET @sql = N'REVOKE ' + @perm + N' FROM [NT AUTHORITY\SYSTEM];';
    EXEC sys.sp_executesql @sql;
    FETCH NEXT FROM perms INTO @perm;
END;
CLOSE perms;
DEALLOCATE perms;`}
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
// psCatalogCreate creates SSISDB on the node's own instance, dataSource (. for the
// default instance, .\NAME for a named one), as the SSIS catalog API does.
func psCatalogCreate(masterKeyPassword script.Secret, folder, dataSource string) script.PowerShell {
	return withInflightMarker(script.PowerShell{Op: "ssisdb.catalog.create", Timeout: limitCatalog,
		Params: map[string]any{"masterKeyPassword": masterKeyPassword, "assemblyVersion": folder[:2] + ".0.0.0", "dataSource": dataSource},
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
// creates there: the server objects of the catalog that do not live in SSISDB.
// tsqlAlwaysOnSupport creates the cleanup-job login with the SID the primary's has
// (cleanupSID), so SSISDB's ##MS_SSISServerCleanupJobUser## maps to it after a
// failover; a login with another SID is dropped and created again.
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

// tsqlReplicaReadiness reads what a replica needs beyond the group itself: which of
// its partners' engine identities (partners, one a line) its mirroring endpoint does
// not admit (no login, or neither CONNECT on the endpoint nor sysadmin), whether SQL
// Server Agent runs (it runs the SSIS jobs), and whether SSISDB's CLR code can run
// here (clr enabled, the assembly-loading key and its login with UNSAFE ASSEMBLY).
func tsqlReplicaReadiness(partners string) script.TSQL {
	return script.TSQL{Op: "ag.replica.readiness", ReadOnly: true,
		Params: []script.Param{{Name: "Partners", Value: partners}},
		Text: `SET NOCOUNT ON;
DECLARE @epid int = (SELECT TOP (1) endpoint_id FROM sys.database_mirroring_endpoints);
SELECT
    ISNULL((SELECT STRING_AGG(CAST(LTRIM(RTRIM(v.value)) AS nvarchar(max)), NCHAR(10))
            FROM STRING_SPLIT(@Partners, NCHAR(10)) AS v
            WHERE LTRIM(RTRIM(v.value)) <> N''
              AND ISNULL(IS_SRVROLEMEMBER(N'sysadmin', LTRIM(RTRIM(v.value))), 0) = 0
              AND NOT EXISTS (SELECT 1 FROM sys.server_permissions pe
                              WHERE pe.class_desc = N'ENDPOINT' AND pe.major_id = @epid AND pe.permission_name = N'CONNECT'
                                AND pe.state IN ('G', 'W') AND pe.grantee_principal_id = SUSER_ID(LTRIM(RTRIM(v.value))))), N'') AS connect_missing,
    CASE WHEN EXISTS (SELECT 1 FROM sys.dm_server_services WHERE servicename LIKE N'SQL Server Agent (%' AND status_desc = N'Running')
         THEN 1 ELSE 0 END AS agent_running,
    CASE WHEN (SELECT CAST(value_in_use AS int) FROM sys.configurations WHERE name = N'clr enabled') = 1
          AND EXISTS (SELECT 1 FROM master.sys.asymmetric_keys WHERE name = N'MS_SQLEnableSystemAssemblyLoadingKey')
          AND EXISTS (SELECT 1 FROM sys.server_permissions pe JOIN sys.server_principals p ON p.principal_id = pe.grantee_principal_id
                      WHERE p.name = N'##MS_SQLEnableSystemAssemblyLoadingUser##' AND pe.permission_name = N'UNSAFE ASSEMBLY')
         THEN 1 ELSE 0 END AS clr_ready;`}
}
