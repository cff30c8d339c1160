package steps

import "github.com/ssisha/ssisha/remote/script"

// The T-SQL that several steps and the SQL Server preflight share: the facts of an
// instance, its replica and its catalog, and dropping a login. Values travel only as
// parameters; where DDL needs a name or a password, the batch builds the statement on
// the server with QUOTENAME and doubled quotes and runs it with sp_executesql. Each
// step's own batches sit beside it, in its _scripts.go file.

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
        CASE WHEN NOT EXISTS (SELECT 1 FROM msdb.dbo.sysjobs WHERE name = N'SSIS Failover Monitor Job') THEN N'monitor' END) AS ssis_support_missing,
    ISNULL(cs.connected_state_desc, N'') AS connected_state,
    ISNULL(cs.last_connect_error_number, 0) AS last_connect_error_number,
    ISNULL(cs.last_connect_error_description, N'') AS last_connect_error_description
FROM (SELECT 1 AS one) AS x
LEFT JOIN sys.database_mirroring_endpoints ep ON 1 = 1
LEFT JOIN sys.tcp_endpoints tep ON tep.endpoint_id = ep.endpoint_id
LEFT JOIN sys.databases d ON d.name = N'SSISDB'
LEFT JOIN sys.database_recovery_status drs ON drs.database_id = d.database_id
LEFT JOIN sys.availability_groups ag ON ag.name = @AGName
LEFT JOIN sys.dm_hadr_availability_replica_states ars ON ars.group_id = ag.group_id AND ars.is_local = 1
LEFT JOIN sys.availability_group_listeners l ON l.group_id = ag.group_id
-- How the local replica sees its partner (the primary, from a secondary): connected or
-- not, and the last connect error (28034: the endpoint refused this engine's identity).
OUTER APPLY (SELECT TOP (1) s.connected_state_desc, s.last_connect_error_number, s.last_connect_error_description
             FROM sys.dm_hadr_availability_replica_states s
             WHERE s.group_id = ag.group_id AND s.is_local = 0 AND ars.role = 2
             ORDER BY s.role) AS cs;`}
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
