package steps

// The T-SQL of step 8: the master address in SSISDB.

import "github.com/ssisha/ssisha/remote/script"

func tsqlMasterAddressSet(address string) script.TSQL {
	return script.TSQL{Op: "ssisdb.master.address.set", Idempotent: true,
		Params: []script.Param{{Name: "MasterAddress", Value: address}},
		Text: `SET NOCOUNT ON;
DECLARE @prev nvarchar(256) = ISNULL((SELECT CAST(property_value AS nvarchar(256)) FROM SSISDB.catalog.master_properties
                                      WHERE property_name = N'MASTER_ADDRESS'), N'');
EXEC SSISDB.catalog.update_master_address @MasterAddress = @MasterAddress;
SELECT @prev AS previous;`}
}
