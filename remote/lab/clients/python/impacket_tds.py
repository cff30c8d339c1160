"""Logs in to a lab instance with impacket's TDS client (a TDS 7.1 client that
encrypts only LOGIN7) and runs the batches given, one per argument.

usage: impacket_tds.py HOST PORT USER PASSWORD DOMAIN BATCH...
DOMAIN "" means a SQL login; anything else an NTLM (Windows) login. The password
comes from the environment variable named by PASSWORD, never the command line.
Prints one line per batch: "ok <rows as JSON>" or "error <number> <message>".
"""
import json
import os
import sys

from impacket import tds


def main():
    host, port, user, pw_var, domain = sys.argv[1:6]
    password = os.environ[pw_var]
    conn = tds.MSSQL(host, int(port))
    conn.connect()
    try:
        if not conn.login(None, user, password, domain, None, domain != ""):
            print("login-failed", last_error(conn))
            return 1
        print("login-ok")
        for batch in sys.argv[6:]:
            conn.sql_query(batch)
            err = last_error(conn)
            if err:
                print("error", err)
            else:
                print("ok", json.dumps(conn.rows, default=str))
    finally:
        conn.disconnect()
    return 0


def last_error(conn):
    """The number and text of the last ERROR token of the reply, or ""."""
    for key, reply in conn.replies.items():
        if key == tds.TDS_ERROR_TOKEN:
            e = reply[-1]
            return "%d %s" % (e["Number"], e["MsgText"].decode("utf-16le"))
    return ""


if __name__ == "__main__":
    sys.exit(main())
