"""Runs one PowerShell script on a lab node with pywinrm over HTTPS, verifying
the lab CA (the script goes as powershell -EncodedCommand).

usage: pywinrm_shell.py URL USER PASSWORD_VAR TRANSPORT CA_FILE SCRIPT [SPN_HOST]
TRANSPORT is ntlm, basic or kerberos. The password comes from the environment
variable PASSWORD_VAR; Kerberos takes the ticket in KRB5CCNAME instead, for the SPN
HTTP/SPN_HOST (the node's name, when URL names its loopback address). Prints
"exit <code>" and the output, or "refused <error>" when the node refuses the
credentials (HTTP 401).
"""
import os
import sys

import winrm
from winrm.exceptions import InvalidCredentialsError


def main():
    url, user, pw_var, transport, ca, script = sys.argv[1:7]
    extra = {}
    if transport == "kerberos":
        extra["kerberos_hostname_override"] = sys.argv[7]
    s = winrm.Session(url, auth=(user, os.environ.get(pw_var, "")), transport=transport,
                      server_cert_validation="validate", ca_trust_path=ca, **extra)
    try:
        r = s.run_ps(script)
    except InvalidCredentialsError as e:
        print("refused", e)
        return 0
    print("exit", r.status_code)
    sys.stdout.write(r.std_out.decode("utf-8", "replace"))
    sys.stdout.write(r.std_err.decode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
