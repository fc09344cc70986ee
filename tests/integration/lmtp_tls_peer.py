# SPDX-License-Identifier: ISC
"""A one-connection LMTP server on 127.0.0.1 that offers STARTTLS (the
test CA's certificate), for test-lmtp.sh: Dovecot's LMTP listens on a
unix socket only and Cyrus's TCP lmtpd is preauthenticated (no
STARTTLS).  Prints its port, then serves one client: refuses MAIL
before TLS, and writes each message's data, dot-unstuffed, to OUT.

usage: lmtp_tls_peer.py CERT KEY OUT
"""
import socket
import ssl
import sys


def serve(conn, ctx, out):
    f = conn.makefile("rb")
    tls = False

    def say(s):
        conn.sendall(s.encode())

    say("220 peer LMTP\r\n")
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.decode("latin-1").strip().upper()
        if cmd.startswith("LHLO"):
            say("250-peer\r\n250-PIPELINING\r\n" +
                ("" if tls else "250-STARTTLS\r\n") + "250 8BITMIME\r\n")
        elif cmd == "STARTTLS" and not tls:
            say("220 go ahead\r\n")
            conn = ctx.wrap_socket(conn, server_side=True)
            f = conn.makefile("rb")
            tls = True
        elif cmd.startswith("MAIL") and not tls:
            say("530 5.7.0 STARTTLS first\r\n")
        elif cmd.startswith(("MAIL", "RCPT", "RSET")):
            say("250 ok\r\n")
        elif cmd == "DATA":
            say("354 go\r\n")
            data = b""
            while True:
                d = f.readline()
                if d in (b".\r\n", b""):
                    break
                data += d[1:] if d.startswith(b".") else d
            with open(out, "ab") as o:
                o.write(data + b"--end--\r\n")
            say("250 2.0.0 saved\r\n")
        elif cmd == "QUIT":
            say("221 bye\r\n")
            return
        else:
            say("500 what\r\n")


def main():
    cert, key, out = sys.argv[1:4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    s.settimeout(60)
    print(s.getsockname()[1], flush=True)
    try:
        conn, _ = s.accept()
    except socket.timeout:
        return
    conn.settimeout(60)
    try:
        serve(conn, ctx, out)
    except (OSError, ssl.SSLError):
        pass


if __name__ == "__main__":
    main()
