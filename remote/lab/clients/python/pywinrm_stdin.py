"""Runs one PowerShell script on a lab node with pywinrm over HTTPS (NTLM, the lab
CA verified) and feeds its stdin with WS-Management Send, in two messages, the
second with End="true"; only then does it ask for the output, as a client that
writes all of a command's input first does. The command asks for a pipe as its
stdin (WINRS_CONSOLEMODE_STDIN=FALSE), or its End would not end the input.

usage: pywinrm_stdin.py URL USER PASSWORD_VAR CA_FILE SCRIPT INPUT_VAR
The password comes from the environment variable PASSWORD_VAR and the input from
INPUT_VAR. Prints "exit <code>" and the output.
"""
import base64
import os
import sys

import winrm
import xmltodict

SHELL_NS = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"


def send(protocol, shell_id, command_id, data, end):
    env = protocol._get_soap_header(resource_uri=SHELL_NS + "/cmd", action=SHELL_NS + "/Send", shell_id=shell_id)
    env["env:Body"] = {"rsp:Send": {"rsp:Stream": {
        "@xmlns:rsp": SHELL_NS, "@Name": "stdin", "@CommandId": command_id,
        "@End": "true" if end else "false",
        "#text": base64.b64encode(data).decode("ascii"),
    }}}
    protocol.send_message(xmltodict.unparse({"env:Envelope": env}))


def main():
    url, user, pw_var, ca, script, input_var = sys.argv[1:7]
    s = winrm.Session(url, auth=(user, os.environ.get(pw_var, "")), transport="ntlm",
                      server_cert_validation="validate", ca_trust_path=ca)
    p = s.protocol
    data = os.environ.get(input_var, "").encode("utf-8")
    encoded = base64.b64encode(script.encode("utf_16_le")).decode("ascii")
    shell_id = p.open_shell()
    # A fed stdin must be a pipe: in console mode End is no end of file.
    command_id = p.run_command(shell_id, "powershell -encodedcommand " + encoded, console_mode_stdin=False)
    half = len(data) // 2
    send(p, shell_id, command_id, data[:half], False)
    send(p, shell_id, command_id, data[half:], True)
    out, err, code = p.get_command_output(shell_id, command_id)
    p.cleanup_command(shell_id, command_id)
    p.close_shell(shell_id)
    print("exit", code)
    sys.stdout.write(out.decode("utf-8", "replace"))
    sys.stdout.write(err.decode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
