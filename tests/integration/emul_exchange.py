#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
emul_exchange.py - an EMULATION of Microsoft 365 / Exchange's IMAP and
POP3 quirks, for test-exchange.sh.  It is NOT Exchange: real Exchange
Online cannot be reached from the test machines, so this small fake
server reproduces, on loopback and without TLS, only the behaviour that
public descriptions document (each quirk's sources are listed in
tests/integration/README.md, "Exchange emulation"):

  - greeting and CAPABILITY as Exchange sends them: no SPECIAL-USE, no
    ENABLE, and no MOVE (--move offers it, as Exchange Online does
    after login; --no-uidplus removes UIDPLUS);
  - --not-connected N: in the first N sessions the login succeeds but
    every later command is answered "BAD User is authenticated but not
    connected.", and after the second one "* BYE Connection closed. 14"
    ends the session;
  - --bye-after N / --drop-after N: in the first session, after N
    message bodies of a UID FETCH, "* BYE Connection is closed. 13" and
    the connection closed (throttling), or just closed;
  - --quit-err N: in the first N POP3 sessions QUIT after DELE is
    answered "-ERR Server Unavailable. 21" and nothing is deleted.

The store lives in memory for the process's life: --gen FOLDER:N makes
N messages in FOLDER; --deleted FOLDER:UID and --seen FOLDER:UID mark
one \\Deleted or \\Seen, as another client would.  --ports FILE
receives "imap=P" and "pop3=P" (ports picked free) once listening; --log
FILE gets every command ("imap S1 a3 SELECT INBOX", passwords
redacted), --dump FILE the store as JSON after every change.  Stop it
with SIGTERM.

FakeImap/FakePop3 are plain socketserver handlers, one do_COMMAND method
per command; the quirks are methods (after_login, fetch_body_hook, caps,
do_QUIT) that another emulation can override in a subclass.
"""
import argparse
import base64
import json
import os
import re
import signal
import socketserver
import sys
import threading

GREETING_IMAP = ("* OK The Microsoft Exchange IMAP4 service is ready. "
                 "[RU1VTEFUSU9O]")
GREETING_POP3 = "+OK The Microsoft Exchange POP3 service is ready. [RU1V]"
# as in the traces of MailKit #1494 and #849 (before login)
CAPS = ["IMAP4", "IMAP4rev1", "AUTH=PLAIN", "AUTH=XOAUTH2", "SASL-IR",
        "UIDPLUS", "ID", "UNSELECT", "CHILDREN", "IDLE", "NAMESPACE",
        "LITERAL+"]
NOT_CONNECTED = "BAD User is authenticated but not connected."


class Store:
    """Folders of messages; one lock for all."""

    def __init__(self, dump):
        self.lock = threading.RLock()
        self.dump_path = dump
        self.folders = {"INBOX": {"uidvalidity": 1, "uidnext": 1,
                                  "msgs": []}}
        self.sessions = {"imap": 0, "pop3": 0}

    def add(self, folder, data, flags=()):
        with self.lock:
            f = self.folders.setdefault(folder, {"uidvalidity": 7,
                                                 "uidnext": 1, "msgs": []})
            f["msgs"].append({"uid": f["uidnext"], "data": data,
                              "flags": set(flags)})
            f["uidnext"] += 1
            self.dump()

    def next_session(self, proto):
        with self.lock:
            self.sessions[proto] += 1
            return self.sessions[proto]

    def dump(self):
        if not self.dump_path:
            return
        out = {}
        for name, f in self.folders.items():
            out[name] = []
            for m in f["msgs"]:
                subj = re.search(rb"^Subject: (.*?)\r?$", m["data"], re.M)
                out[name].append({
                    "uid": m["uid"],
                    "subject": subj.group(1).decode() if subj else "",
                    "flags": sorted(m["flags"])})
        tmp = self.dump_path + ".tmp"
        with open(tmp, "w") as fp:
            json.dump(out, fp, sort_keys=True)
        os.replace(tmp, self.dump_path)


def log(server, line):
    if server.log_path:
        with server.log_lock, open(server.log_path, "a") as fp:
            fp.write(line + "\n")


def uid_set(spec, uids):
    """The UIDs of uids (sorted) in an IMAP sequence set."""
    out = set()
    top = uids[-1] if uids else 0
    for part in spec.split(","):
        a, _, b = part.partition(":")
        lo = top if a == "*" else int(a)
        hi = lo if not b else (top if b == "*" else int(b))
        lo, hi = min(lo, hi), max(lo, hi)
        out.update(u for u in uids if lo <= u <= hi)
    return sorted(out)


class Closed(Exception):
    pass


class FakeImap(socketserver.StreamRequestHandler):
    """Just enough IMAP4rev1 for mailsift; quirks are overridable."""

    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def caps(self):
        c = list(CAPS)
        if self.server.opts.move:
            c.append("MOVE")
        if self.server.opts.no_uidplus:
            c.remove("UIDPLUS")
        return " ".join(c)

    def handle(self):
        self.store = self.server.store
        self.n = self.store.next_session("imap")
        self.authed = False
        self.selected = None
        self.readonly = False
        self.bad_count = 0
        self.send(GREETING_IMAP)
        try:
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                line = line.rstrip(b"\r\n").decode("utf-8", "replace")
                if not self.command(line):
                    return
        except (Closed, ConnectionError):
            return

    def command(self, line):
        tag, _, rest = line.partition(" ")
        cmd, _, args = rest.partition(" ")
        cmd = cmd.upper()
        shown = line
        if cmd in ("LOGIN", "AUTHENTICATE"):
            shown = "%s %s <redacted>" % (tag, cmd)
        log(self.server, "imap S%d %s" % (self.n, shown))
        if cmd == "UID":
            sub, _, args = args.partition(" ")
            cmd = "UID " + sub.upper()
        if self.authed and self.after_login(tag, cmd) is not None:
            return not self.closed_by_quirk
        fn = getattr(self, "do_" + cmd.replace(" ", "_"), None)
        if fn is None:
            self.send("%s BAD Command Error. 10" % tag)
            return True
        with self.store.lock:
            return fn(tag, args) is not False

    # --- quirks ---------------------------------------------------------
    closed_by_quirk = False

    def after_login(self, tag, cmd):
        """The "authenticated but not connected" sessions: None to go
        on, anything else when the command was answered here."""
        # CAPABILITY still works (the traces of MailKit #1494, #1496)
        if self.n > self.server.opts.not_connected or \
                cmd in ("LOGOUT", "CAPABILITY"):
            return None
        self.send("%s %s" % (tag, NOT_CONNECTED))
        self.bad_count += 1
        if self.bad_count >= 2:
            self.send("* BYE Connection closed. 14")
            self.closed_by_quirk = True
        return True

    def fetch_body_hook(self, sent):
        """Throttling in the first session: after N bodies."""
        o = self.server.opts
        if self.n != 1:
            return
        if o.bye_after is not None and sent >= o.bye_after:
            self.send("* BYE Connection is closed. 13")
            raise Closed()
        if o.drop_after is not None and sent >= o.drop_after:
            raise Closed()

    # --- commands -------------------------------------------------------
    def do_CAPABILITY(self, tag, args):
        self.send("* CAPABILITY " + self.caps())
        self.send("%s OK CAPABILITY completed." % tag)

    def do_NOOP(self, tag, args):
        self.send("%s OK NOOP completed." % tag)

    def do_ID(self, tag, args):
        self.send('* ID NIL')
        self.send("%s OK ID completed." % tag)

    def do_LOGOUT(self, tag, args):
        self.send("* BYE Microsoft Exchange Server IMAP4 server signing off.")
        self.send("%s OK LOGOUT completed." % tag)
        return False

    def login_ok(self, user, password):
        return user == self.server.opts.user and \
            password == self.server.opts.password

    def do_LOGIN(self, tag, args):
        m = re.match(r'("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$',
                     args)
        unq = (lambda s: re.sub(r'\\(.)', r'\1', s[1:-1])
               if s.startswith('"') else s)
        if m and self.login_ok(unq(m.group(1)), unq(m.group(2))):
            self.authed = True
            self.send("%s OK LOGIN completed." % tag)
        else:
            self.send("%s NO LOGIN failed." % tag)

    def do_AUTHENTICATE(self, tag, args):
        mech, _, ir = args.partition(" ")
        if mech.upper() != "PLAIN":
            self.send("%s NO AUTHENTICATE failed." % tag)
            return
        if not ir:
            self.send("+ ")
            ir = self.rfile.readline().strip().decode()
        try:
            _, user, password = base64.b64decode(ir).decode().split("\0")
        except ValueError:
            self.send("%s BAD AUTHENTICATE failed." % tag)
            return
        if self.login_ok(user, password):
            self.authed = True
            self.send("%s OK AUTHENTICATE completed." % tag)
        else:
            self.send("%s NO AUTHENTICATE failed." % tag)

    def do_NAMESPACE(self, tag, args):
        self.send('* NAMESPACE (("" "/")) NIL NIL')
        self.send("%s OK NAMESPACE completed." % tag)

    def do_LIST(self, tag, args):
        if args.endswith('""'):
            self.send('* LIST (\\Noselect \\HasChildren) "/" ""')
        else:
            for name in sorted(self.store.folders):
                self.send('* LIST (\\HasNoChildren) "/" "%s"' % name)
        self.send("%s OK LIST completed." % tag)

    def do_LSUB(self, tag, args):
        self.send("%s OK LSUB completed." % tag)

    @staticmethod
    def folder_arg(args):
        args = args.strip()
        if args.startswith('"'):
            return re.sub(r'\\(.)', r'\1', args[1:-1])
        return args

    def do_SELECT(self, tag, args, readonly=False):
        name = self.folder_arg(args)
        if name.upper() == "INBOX":
            name = "INBOX"
        f = self.store.folders.get(name)
        if f is None:
            self.send("%s NO The requested item could not be found." % tag)
            return
        self.selected, self.readonly = name, readonly
        self.send("* %d EXISTS" % len(f["msgs"]))
        self.send("* 0 RECENT")
        self.send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
        self.send("* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged "
                  "\\Deleted \\Draft)] Permanent flags")
        self.send("* OK [UIDVALIDITY %d] UIDVALIDITY value" %
                  f["uidvalidity"])
        self.send("* OK [UIDNEXT %d] The next unique identifier value" %
                  f["uidnext"])
        self.send("%s OK [%s] %s completed." % (
            tag, "READ-ONLY" if readonly else "READ-WRITE",
            "EXAMINE" if readonly else "SELECT"))

    def do_EXAMINE(self, tag, args):
        self.do_SELECT(tag, args, True)

    def do_CREATE(self, tag, args):
        name = self.folder_arg(args)
        if name in self.store.folders:
            self.send("%s NO Mailbox already exists." % tag)
            return
        self.store.folders[name] = {"uidvalidity": 9, "uidnext": 1,
                                    "msgs": []}
        self.store.dump()
        self.send("%s OK CREATE completed." % tag)

    def do_SUBSCRIBE(self, tag, args):
        self.send("%s OK SUBSCRIBE completed." % tag)

    def msgs(self):
        return self.store.folders[self.selected]["msgs"]

    def need_selected(self, tag):
        if self.selected is None:
            self.send("%s BAD Command received in Invalid state." % tag)
            return False
        return True

    def do_UID_SEARCH(self, tag, args):
        if not self.need_selected(tag):
            return
        crit = args.upper().split()
        uids = [m["uid"] for m in self.msgs()
                if ("UNSEEN" not in crit or "\\Seen" not in m["flags"]) and
                ("DELETED" not in crit or "\\Deleted" in m["flags"])]
        self.send("* SEARCH" + "".join(" %d" % u for u in uids))
        self.send("%s OK SEARCH completed." % tag)

    def do_UID_FETCH(self, tag, args):
        if not self.need_selected(tag):
            return
        spec, _, items = args.partition(" ")
        msgs = self.msgs()
        want = uid_set(spec, [m["uid"] for m in msgs])
        sent = 0
        for i, m in enumerate(msgs):
            if m["uid"] not in want:
                continue
            if "BODY" in items.upper():
                self.fetch_body_hook(sent)
                self.wfile.write(("* %d FETCH (UID %d BODY[] {%d}\r\n" % (
                    i + 1, m["uid"], len(m["data"]))).encode() +
                    m["data"] + b")\r\n")
                sent += 1
            else:
                self.send("* %d FETCH (UID %d RFC822.SIZE %d)" % (
                    i + 1, m["uid"], len(m["data"])))
        self.send("%s OK FETCH completed." % tag)

    def do_UID_STORE(self, tag, args):
        if not self.need_selected(tag):
            return
        spec, _, rest = args.partition(" ")
        op, _, flags = rest.partition(" ")
        flags = set(flags.strip("()").split())
        want = uid_set(spec, [m["uid"] for m in self.msgs()])
        for m in self.msgs():
            if m["uid"] in want:
                if op.upper().startswith("+"):
                    m["flags"] |= flags
                elif op.upper().startswith("-"):
                    m["flags"] -= flags
                else:
                    m["flags"] = set(flags)
        self.store.dump()
        self.send("%s OK STORE completed." % tag)

    def copy(self, tag, args):
        spec, _, dest = args.partition(" ")
        dest = self.folder_arg(dest)
        if dest not in self.store.folders:
            self.send("%s NO [TRYCREATE] The requested item could not be "
                      "found." % tag)
            return None
        want = uid_set(spec, [m["uid"] for m in self.msgs()])
        moved = [m for m in self.msgs() if m["uid"] in want]
        for m in moved:
            self.store.add(dest, m["data"], m["flags"] - {"\\Deleted"})
        return moved

    def do_UID_COPY(self, tag, args):
        if not self.need_selected(tag):
            return
        if self.copy(tag, args) is not None:
            self.send("%s OK COPY completed." % tag)

    def do_UID_MOVE(self, tag, args):
        if not self.server.opts.move:
            self.send("%s BAD Command Argument Error. 11" % tag)
            return
        if not self.need_selected(tag):
            return
        moved = self.copy(tag, args)
        if moved is None:
            return
        self.expunge([m["uid"] for m in moved], deleted_only=False)
        self.send("%s OK MOVE completed." % tag)

    def expunge(self, uids, deleted_only=True):
        msgs = self.msgs()
        for i in range(len(msgs) - 1, -1, -1):
            m = msgs[i]
            if (uids is None or m["uid"] in uids) and \
                    (not deleted_only or "\\Deleted" in m["flags"]):
                del msgs[i]
                self.send("* %d EXPUNGE" % (i + 1))
        self.store.dump()

    def do_EXPUNGE(self, tag, args):
        if not self.need_selected(tag):
            return
        self.expunge(None)
        self.send("%s OK EXPUNGE completed." % tag)

    def do_UID_EXPUNGE(self, tag, args):
        if self.server.opts.no_uidplus:
            self.send("%s BAD Command Argument Error. 11" % tag)
            return
        if not self.need_selected(tag):
            return
        self.expunge(uid_set(args, [m["uid"] for m in self.msgs()]))
        self.send("%s OK EXPUNGE completed." % tag)

    def do_IDLE(self, tag, args):
        self.send("+ IDLE accepted, awaiting DONE command.")
        self.server.store.lock.release()
        try:
            while True:
                line = self.rfile.readline()
                if not line:
                    raise Closed()
                if line.strip().upper() == b"DONE":
                    break
        finally:
            self.server.store.lock.acquire()
        self.send("%s OK IDLE completed." % tag)


class FakePop3(socketserver.StreamRequestHandler):
    """Just enough POP3 for mailsift, over the INBOX of the store."""

    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.store = self.server.store
        self.n = self.store.next_session("pop3")
        self.user = None
        self.authed = False
        self.dele = set()
        self.send(GREETING_POP3)
        try:
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                line = line.rstrip(b"\r\n").decode("utf-8", "replace")
                cmd, _, args = line.partition(" ")
                cmd = cmd.upper()
                log(self.server, "pop3 S%d %s" % (
                    self.n, cmd + " <redacted>" if cmd in ("PASS", "AUTH")
                    else line))
                fn = getattr(self, "do_" + cmd, None)
                if fn is None:
                    self.send("-ERR Protocol error. 14")
                    continue
                with self.store.lock:
                    if fn(args) is False:
                        return
        except ConnectionError:
            return

    def inbox(self):
        return self.store.folders["INBOX"]["msgs"]

    def do_CAPA(self, args):
        self.send("+OK")
        for c in ("TOP", "UIDL", "SASL PLAIN", "USER", "."):
            self.send(c)

    def do_USER(self, args):
        self.user = args
        self.send("+OK")

    def do_PASS(self, args):
        if self.user == self.server.opts.user and \
                args == self.server.opts.password:
            self.authed = True
            self.snapshot = list(self.inbox())
            self.send("+OK User successfully logged on.")
        else:
            self.send("-ERR Logon failure: unknown user name or bad "
                      "password.")

    def do_AUTH(self, args):
        mech, _, ir = args.partition(" ")
        if mech.upper() != "PLAIN":
            self.send("-ERR Unrecognized authentication type.")
            return
        if not ir:
            self.send("+ ")
            ir = self.rfile.readline().strip().decode()
        try:
            _, user, password = base64.b64decode(ir).decode().split("\0")
        except ValueError:
            self.send("-ERR Protocol error. 14")
            return
        self.user = user
        self.do_PASS(password)

    def do_STAT(self, args):
        self.send("+OK %d %d" % (len(self.snapshot), sum(
            len(m["data"]) for m in self.snapshot)))

    def do_LIST(self, args):
        self.send("+OK")
        for i, m in enumerate(self.snapshot):
            self.send("%d %d" % (i + 1, len(m["data"])))
        self.send(".")

    def do_UIDL(self, args):
        self.send("+OK")
        for i, m in enumerate(self.snapshot):
            self.send("%d AAMkAD%08d" % (i + 1, m["uid"]))
        self.send(".")

    def do_RETR(self, args):
        m = self.snapshot[int(args) - 1]
        self.send("+OK")
        for line in m["data"].split(b"\r\n"):
            if line.startswith(b"."):
                line = b"." + line
            self.wfile.write(line + b"\r\n")
        self.send(".")

    def do_DELE(self, args):
        self.dele.add(self.snapshot[int(args) - 1]["uid"])
        self.send("+OK")

    def do_NOOP(self, args):
        self.send("+OK")

    def do_RSET(self, args):
        self.dele.clear()
        self.send("+OK")

    def do_QUIT(self, args):
        if self.dele and self.n <= self.server.opts.quit_err:
            self.send("-ERR Server Unavailable. 21")
            return False
        inbox = self.inbox()
        inbox[:] = [m for m in inbox if m["uid"] not in self.dele]
        self.store.dump()
        self.send("+OK Microsoft Exchange Server POP3 server signing off.")
        return False


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def message(folder, i):
    return ("From: sender@example.test\r\nTo: user@example.test\r\n"
            "Subject: %s-%d\r\nMessage-ID: <%s-%d@emul.test>\r\n\r\n"
            "body %d\r\n" % (folder, i, folder.replace("/", "-"), i,
                             i)).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--ports", required=True)
    ap.add_argument("--log")
    ap.add_argument("--dump")
    ap.add_argument("--user", default="user@example.test")
    ap.add_argument("--password", default="emul-secret")
    ap.add_argument("--gen", action="append", default=[])
    ap.add_argument("--deleted", action="append", default=[])
    ap.add_argument("--seen", action="append", default=[])
    ap.add_argument("--move", action="store_true")
    ap.add_argument("--no-uidplus", action="store_true")
    ap.add_argument("--not-connected", type=int, default=0)
    ap.add_argument("--bye-after", type=int)
    ap.add_argument("--drop-after", type=int)
    ap.add_argument("--quit-err", type=int, default=0)
    opts = ap.parse_args()
    store = Store(opts.dump)
    for g in opts.gen:
        folder, _, n = g.rpartition(":")
        for i in range(1, int(n) + 1):
            store.add(folder, message(folder, i))
    for flag, marks in (("\\Deleted", opts.deleted),
                        ("\\Seen", opts.seen)):
        for d in marks:  # another client's "mark as deleted", "read"
            folder, _, uid = d.rpartition(":")
            for m in store.folders[folder]["msgs"]:
                if m["uid"] == int(uid):
                    m["flags"].add(flag)
    store.dump()
    servers = []
    for handler in (FakeImap, FakePop3):
        s = Server(("127.0.0.1", 0), handler)
        s.opts, s.store = opts, store
        s.log_path, s.log_lock = opts.log, threading.Lock()
        servers.append(s)
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(opts.ports + ".tmp", "w") as fp:
        fp.write("imap=%d\npop3=%d\n" % (servers[0].server_address[1],
                                         servers[1].server_address[1]))
    os.replace(opts.ports + ".tmp", opts.ports)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    done.wait()
    for s in servers:
        s.shutdown()
        s.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
