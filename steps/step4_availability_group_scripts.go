package steps

// The scripts of step 4: the mirroring endpoint, the availability group and its
// listener, and what a replica must have before it joins. The catalog's scripts are
// in step4_catalog_scripts.go.

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
