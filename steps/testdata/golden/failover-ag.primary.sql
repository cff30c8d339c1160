/* ssisha-op: failover.ag.primary */
-- @Database = N'SSISDB'
SELECT
    CAST(SERVERPROPERTY('ServerName') AS nvarchar(256)) AS server_name,
    ISNULL(ag.name, N'') AS ag_name,
    ISNULL(ars.role_desc, N'') AS local_role,
    ISNULL(ags.primary_replica, N'') AS primary_replica,
    ISNULL(drs.synchronization_state_desc, N'') AS sync_state,
    ISNULL(ar.availability_mode_desc, N'') AS availability_mode
FROM (SELECT 1 AS one) AS x
LEFT JOIN sys.availability_databases_cluster adc ON adc.database_name = @Database
LEFT JOIN sys.availability_groups ag ON ag.group_id = adc.group_id
LEFT JOIN sys.dm_hadr_availability_group_states ags ON ags.group_id = ag.group_id
LEFT JOIN sys.dm_hadr_availability_replica_states ars ON ars.group_id = ag.group_id AND ars.is_local = 1
LEFT JOIN sys.availability_replicas ar ON ar.replica_id = ars.replica_id
LEFT JOIN sys.dm_hadr_database_replica_states drs ON drs.group_database_id = adc.group_database_id AND drs.is_local = 1;
