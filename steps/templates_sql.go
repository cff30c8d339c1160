package steps

import "github.com/ssisha/ssisha/remote/script"

// The T-SQL of steps 4, 6, 8 and 9 and of the SQL Server preflight. Values travel only
// as parameters; where DDL needs a name or a password, the batch builds the statement
// on the server with QUOTENAME and doubled quotes and runs it with sp_executesql.

// LoggingLoginName is the SQL login Scale Out Workers write execution logs with.
const LoggingLoginName = "##MS_SSISLogDBWorkerAgentLogin##"

// HadrEndpointName is the database mirroring endpoint ssisha creates when a replica
// has none.
const HadrEndpointName = "Hadr_endpoint"

func tsqlServerFacts() script.TSQL {
	return script.TSQL{Op: "sql.server.facts", ReadOnly: true, Text: `SELECT
    CAST(SERVERPROPERTY('ServerName') AS nvarchar(256))          AS server_name,
    CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128))      AS product_version,
    CAST(SERVERPROPERTY('ProductLevel') AS nvarchar(128))        AS product_level,
    ISNULL(CAST(SERVERPROPERTY('ProductUpdateLevel') AS nvarchar(128)), N'') AS update_level,
    CAST(SERVERPROPERTY('Edition') AS nvarchar(128))             AS edition,
    CAST(SERVERPROPERTY('EngineEdition') AS int)                 AS engine_edition,
    ISNULL(CAST(SERVERPROPERTY('IsHadrEnabled') AS int), 0)      AS hadr_enabled,
    CAST(SERVERPROPERTY('IsIntegratedSecurityOnly') AS int)      AS integrated_only,
    (SELECT CAST(value_in_use AS int) FROM sys.configurations WHERE name = N'clr enabled') AS clr_enabled,
    CAST(SERVERPROPERTY('InstanceDefaultDataPath') AS nvarchar(512)) AS data_path,
    CAST(SERVERPROPERTY('InstanceDefaultLogPath') AS nvarchar(512))  AS log_path,
    (SELECT TOP (1) service_account FROM sys.dm_server_services WHERE servicename LIKE N'SQL Server (%') AS service_account;`}
}

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

func tsqlLoginDrop(login string) script.TSQL {
	return script.TSQL{Op: "sql.login.drop", Idempotent: true,
		Params: []script.Param{{Name: "Login", Value: login}},
		Text: `DECLARE @sql nvarchar(max);
IF SUSER_ID(@Login) IS NOT NULL
BEGIN
    SET @sql = N'DROP LOGIN ' + QUOTENAME(@Login) + N';';
    EXEC sys.sp_executesql @sql;
END;`}
}

// tsqlLoggingFacts compares the password with PWDCOMPARE, so it is checked without
// ever being read back.
func tsqlLoggingFacts(login string, password script.Secret) script.TSQL {
	return script.TSQL{Op: "sql.login.logging.facts", ReadOnly: true,
		Params: []script.Param{{Name: "Login", Value: login}, {Name: "Password", Value: password}},
		Text: `SELECT
    CASE WHEN sp.principal_id IS NULL THEN 0 ELSE 1 END AS login_exists,
    sp.sid AS sid,
    ISNULL(CAST(sp.is_disabled AS int), 0) AS is_disabled,
    ISNULL(PWDCOMPARE(@Password, sl.password_hash), 0) AS password_matches,
    CAST(SERVERPROPERTY('IsIntegratedSecurityOnly') AS int) AS integrated_only
FROM (SELECT 1 AS one) AS x
LEFT JOIN sys.server_principals sp ON sp.name = @Login
LEFT JOIN sys.sql_logins sl ON sl.principal_id = sp.principal_id;`}
}

func tsqlLoggingSet(login string, password script.Secret) script.TSQL {
	return script.TSQL{Op: "sql.login.logging.set", Idempotent: true,
		Params: []script.Param{{Name: "Login", Value: login}, {Name: "Password", Value: password}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max) = N'ALTER LOGIN ' + QUOTENAME(@Login) + N' WITH PASSWORD = N'''
    + REPLACE(@Password, N'''', N'''''') + N''';';
EXEC sys.sp_executesql @sql;
SELECT sid FROM sys.server_principals WHERE name = @Login;`}
}

// tsqlLoggingEnsure gives a secondary the logging login with the primary's SID, so the
// SSISDB user maps after a failover; a login with another SID is recreated.
func tsqlLoggingEnsure(login string, password script.Secret, sid []byte) script.TSQL {
	return script.TSQL{Op: "sql.login.logging.ensure", Idempotent: true,
		Params: []script.Param{{Name: "Login", Value: login}, {Name: "Password", Value: password}, {Name: "SID", Value: sid}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @action nvarchar(16), @old varbinary(85) = SUSER_SID(@Login);
DECLARE @pwd nvarchar(max) = N'N''' + REPLACE(@Password, N'''', N'''''') + N'''';
IF @old = @SID
BEGIN
    SET @sql = N'ALTER LOGIN ' + QUOTENAME(@Login) + N' WITH PASSWORD = ' + @pwd + N';';
    SET @action = N'altered';
END
ELSE
BEGIN
    IF @old IS NOT NULL
    BEGIN
        SET @sql = N'DROP LOGIN ' + QUOTENAME(@Login) + N';';
        EXEC sys.sp_executesql @sql;
        SET @action = N'recreated';
    END
    ELSE SET @action = N'created';
    SET @sql = N'CREATE LOGIN ' + QUOTENAME(@Login) + N' WITH PASSWORD = ' + @pwd
        + N', SID = ' + CONVERT(nvarchar(max), @SID, 1) + N', CHECK_POLICY = OFF;';
END;
EXEC sys.sp_executesql @sql;
SELECT @action AS action, @old AS old_sid;`}
}

func tsqlAGReplicaFacts(ag, masterAccount string) script.TSQL {
	return script.TSQL{Op: "ag.replica.facts", ReadOnly: true,
		Params: []script.Param{{Name: "AGName", Value: ag}, {Name: "MasterAccount", Value: masterAccount}},
		Text: `SELECT
    CAST(SERVERPROPERTY('ServerName') AS nvarchar(256)) AS server_name,
    ISNULL(CAST(SERVERPROPERTY('IsHadrEnabled') AS int), 0) AS hadr_enabled,
    CAST(SERVERPROPERTY('IsIntegratedSecurityOnly') AS int) AS integrated_only,
    ep.name AS endpoint_name, tep.port AS endpoint_port, ep.state_desc AS endpoint_state,
    CASE WHEN SUSER_ID(@MasterAccount) IS NULL THEN 0 ELSE 1 END AS master_login,
    ISNULL(d.state_desc, N'') AS ssisdb_state, ISNULL(d.recovery_model_desc, N'') AS ssisdb_recovery,
    ISNULL(CONVERT(nvarchar(36), drs.family_guid), N'') AS family_guid,
    CASE WHEN EXISTS (SELECT 1 FROM sys.master_key_passwords mkp WHERE mkp.family_guid = drs.family_guid) THEN 1 ELSE 0 END AS dmk_credential,
    CASE WHEN ag.group_id IS NULL THEN 0 ELSE 1 END AS ag_exists,
    ISNULL(ars.role_desc, N'') AS ag_role,
    CASE WHEN ars.is_local = 1 AND ars.role IS NOT NULL THEN 1 ELSE 0 END AS ag_joined,
    CASE WHEN d.group_database_id IS NULL THEN 0 ELSE 1 END AS db_in_ag,
    ISNULL(l.dns_name, N'') AS listener_dns, ISNULL(l.port, 0) AS listener_port,
    CASE WHEN SUSER_ID(N'##MS_SSISServerCleanupJobLogin##') IS NOT NULL
          AND OBJECT_ID(N'master.dbo.sp_ssis_startup') IS NOT NULL
          AND (SELECT COUNT(*) FROM msdb.dbo.sysjobs WHERE name IN (N'SSIS Server Maintenance Job', N'SSIS Failover Monitor Job')) = 2
         THEN 1 ELSE 0 END AS ssis_support,
    CONCAT_WS(N',',
        CASE WHEN SUSER_ID(N'##MS_SSISServerCleanupJobLogin##') IS NULL THEN N'login' END,
        CASE WHEN OBJECT_ID(N'master.dbo.sp_ssis_startup') IS NULL THEN N'startup' END,
        CASE WHEN NOT EXISTS (SELECT 1 FROM msdb.dbo.sysjobs WHERE name = N'SSIS Server Maintenance Job') THEN N'maintenance' END,
        CASE WHEN NOT EXISTS (SELECT 1 FROM msdb.dbo.sysjobs WHERE name = N'SSIS Failover Monitor Job') THEN N'monitor' END) AS ssis_support_missing
FROM (SELECT 1 AS one) AS x
LEFT JOIN sys.database_mirroring_endpoints ep ON 1 = 1
LEFT JOIN sys.tcp_endpoints tep ON tep.endpoint_id = ep.endpoint_id
LEFT JOIN sys.databases d ON d.name = N'SSISDB'
LEFT JOIN sys.database_recovery_status drs ON drs.database_id = d.database_id
LEFT JOIN sys.availability_groups ag ON ag.name = @AGName
LEFT JOIN sys.dm_hadr_availability_replica_states ars ON ars.group_id = ag.group_id AND ars.is_local = 1
LEFT JOIN sys.availability_group_listeners l ON l.group_id = ag.group_id;`}
}

func tsqlAGCreate(ag, replicasJSON string) script.TSQL {
	return script.TSQL{Op: "ag.create",
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
	return script.TSQL{Op: "ag.drop", Idempotent: true,
		Params: []script.Param{{Name: "AGName", Value: ag}},
		Text: `DECLARE @sql nvarchar(max);
IF EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = @AGName)
BEGIN
    SET @sql = N'DROP AVAILABILITY GROUP ' + QUOTENAME(@AGName) + N';';
    EXEC sys.sp_executesql @sql;
END;`}
}

func tsqlAGJoin(ag string) script.TSQL {
	return script.TSQL{Op: "ag.join", Idempotent: true,
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
	return script.TSQL{Op: "ag.listener.add",
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
	return script.TSQL{Op: "ag.listener.remove", Idempotent: true,
		Params: []script.Param{{Name: "AGName", Value: ag}, {Name: "DNSName", Value: dns}},
		Text: `DECLARE @sql nvarchar(max);
IF EXISTS (SELECT 1 FROM sys.availability_group_listeners l JOIN sys.availability_groups g ON g.group_id = l.group_id
           WHERE g.name = @AGName AND l.dns_name = @DNSName)
BEGIN
    SET @sql = N'ALTER AVAILABILITY GROUP ' + QUOTENAME(@AGName) + N' REMOVE LISTENER ' + QUOTENAME(@DNSName, '''') + N';';
    EXEC sys.sp_executesql @sql;
END;`}
}
