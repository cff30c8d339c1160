package steps

// The T-SQL of step 6: the logging login and the logging connection.

import "github.com/ssisha/ssisha/remote/script"

// LoggingLoginName is the SQL login Scale Out Workers write execution logs with.
const LoggingLoginName = "##MS_SSISLogDBWorkerAgentLogin##"

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
