/* ssisha-op: failover.ag.move */
-- @Database = N'SSISDB'
SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @msg nvarchar(2048), @ag sysname, @role nvarchar(60), @mode nvarchar(60), @moved bit = 0;
DECLARE @server nvarchar(256) = CAST(SERVERPROPERTY('ServerName') AS nvarchar(256));
SELECT @ag = ag.name
FROM sys.availability_databases_cluster adc
JOIN sys.availability_groups ag ON ag.group_id = adc.group_id
WHERE adc.database_name = @Database;
IF @ag IS NULL
BEGIN
    SET @msg = N'ssisha: ' + @Database + N' is in no availability group that ' + @server + N' is a replica of; run step 4 first.';
    THROW 50000, @msg, 1;
END;
SELECT @role = ars.role_desc, @mode = ar.availability_mode_desc
FROM sys.dm_hadr_availability_replica_states ars
JOIN sys.availability_replicas ar ON ar.replica_id = ars.replica_id
JOIN sys.availability_groups ag ON ag.group_id = ars.group_id
WHERE ag.name = @ag AND ars.is_local = 1;
IF ISNULL(@role, N'') <> N'PRIMARY'
BEGIN
    IF @role IS NULL OR @role = N'RESOLVING'
    BEGIN
        SET @msg = N'ssisha: ' + @server + N' has not joined availability group ' + @ag + N', so it cannot become its primary replica; run step 4 on ' + @server + N'.';
        THROW 50000, @msg, 1;
    END;
    IF @mode <> N'SYNCHRONOUS_COMMIT'
    BEGIN
        SET @msg = N'ssisha: the replica of ' + @ag + N' on ' + @server + N' is ' + @mode + N'; only a synchronous-commit replica can take a planned failover.';
        THROW 50000, @msg, 1;
    END;
    -- Every database of the group must be SYNCHRONIZED here, not only SSISDB: the
    -- failover moves them all.
    SELECT TOP (1) @msg = N'ssisha: the copy of ' + adc.database_name + N' on ' + @server + N' is '
        + ISNULL(drs.synchronization_state_desc, N'NOT JOINED') + N', not SYNCHRONIZED; a planned failover of ' + @ag
        + N' to it is refused, and ssisha never forces one (that loses data). Wait until the AG dashboard shows it SYNCHRONIZED, then move again.'
    FROM sys.availability_databases_cluster adc
    JOIN sys.availability_groups ag ON ag.group_id = adc.group_id
    LEFT JOIN sys.dm_hadr_database_replica_states drs ON drs.group_database_id = adc.group_database_id AND drs.is_local = 1
    WHERE ag.name = @ag AND ISNULL(drs.synchronization_state_desc, N'') <> N'SYNCHRONIZED';
    IF @@ROWCOUNT > 0
        THROW 50000, @msg, 1;
    SET @sql = N'ALTER AVAILABILITY GROUP ' + QUOTENAME(@ag) + N' FAILOVER;';
    EXEC sys.sp_executesql @sql;
    SET @moved = 1;
END;
SELECT @ag AS ag_name, @server AS server_name, @moved AS moved,
    (SELECT ars.role_desc FROM sys.dm_hadr_availability_replica_states ars
     JOIN sys.availability_groups ag ON ag.group_id = ars.group_id
     WHERE ag.name = @ag AND ars.is_local = 1) AS local_role;
