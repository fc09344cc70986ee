#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
interop.py - the same `mailsift run` scenarios against any IMAP/POP3
server a harness has started (issue 12): Courier (test-courier.sh),
Cyrus (test-cyrus.sh), ...

The interface is the environment only; each harness's `env` exports:

  MSX_IX_NAME                   the server's name (courier, cyrus, ...):
                                the prefix of every check line, and the
                                switch for checks only one server needs
  MSX_IX_IMAP_PORT              IMAP, STARTTLS offered
  MSX_IX_IMAPS_PORT             IMAP over TLS
  MSX_IX_POP3_PORT              POP3, STLS offered
  MSX_IX_POP3S_PORT             POP3 over TLS
  MSX_IX_USER1, _USER1_PASS     a mailbox the suite may empty at will
  MSX_IX_USER2, _USER2_PASS     a second one
  MSX_HOST                      the address the servers listen on
  MSX_TLS_NAME                  the name in their certificate
                                (mailsift's `host`)
  MSX_CA                        the CA that signed it
  MSX_OTHER_CA                  an unrelated CA (must be refused)
  MSX_DIR                       the harness's directory (work goes in
                                DIR/interop)
  MSX_IX_USER1_MAILDIR          optional; only the Courier-only checks
                                below write there

Mail is loaded and the server's state read back over IMAP (APPEND,
SELECT, FETCH, LIST, NAMESPACE, STATUS as a mail client would), so the
same code serves every server; the server's folder names are computed
from its NAMESPACE and LIST delimiter, as mailsift does.  Only Courier's
raw-UTF-8 POP3 notice and its never-SELECTed INBOX need a file written
into the Maildir.  Messages are compared by SHA-256 after CRLF -> LF.

One line per check, "ok - NAME: ..." / "not ok - NAME: ...", known
findings as "# xfail"/"# xpass" (not counted), then "NAME: N passed, N
failed".  Arguments: names of scenario functions to run alone.
"""
import base64
import hashlib
import imaplib
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MAILSIFT = os.path.join(TOP, "mailsift")
E = os.environ
NEEDED = ("MSX_IX_NAME", "MSX_IX_IMAP_PORT", "MSX_IX_IMAPS_PORT",
          "MSX_IX_POP3_PORT", "MSX_IX_POP3S_PORT", "MSX_IX_USER1",
          "MSX_IX_USER1_PASS", "MSX_IX_USER2", "MSX_IX_USER2_PASS",
          "MSX_HOST", "MSX_CA", "MSX_OTHER_CA", "MSX_DIR")
if [v for v in NEEDED if not E.get(v)]:
    name = E.get("MSX_IX_NAME") or "interop"
    print("not ok - %s: the harness's env exports %s" % (
        name, ", ".join(v for v in NEEDED if not E.get(v))))
    print("%s: 0 passed, 1 failed" % name)
    sys.exit(1)
NAME = E["MSX_IX_NAME"]
D = E["MSX_DIR"]
W = os.path.join(D, "interop")
HOST = E["MSX_HOST"]
TLS_NAME = E.get("MSX_TLS_NAME", "localhost")

USERS = {"user1": (E["MSX_IX_USER1"], E["MSX_IX_USER1_PASS"]),
         "user2": (E["MSX_IX_USER2"], E["MSX_IX_USER2_PASS"])}
MODES = {
    # name: (type, tls, port)
    "imap-starttls": ("imap", "starttls", E["MSX_IX_IMAP_PORT"]),
    "imaps": ("imap", "implicit", E["MSX_IX_IMAPS_PORT"]),
    "pop3-stls": ("pop3", "starttls", E["MSX_IX_POP3_PORT"]),
    "pop3s": ("pop3", "implicit", E["MSX_IX_POP3S_PORT"]),
}

counts = {"passed": 0, "failed": 0}
LOGS = []       # every mailsift output, for the no-password check


def check(ok, desc, detail=""):
    if ok:
        print("ok - %s: %s" % (NAME, desc))
        counts["passed"] += 1
    else:
        print("not ok - %s: %s" % (NAME, desc))
        for line in str(detail).splitlines()[-25:]:
            print("#   " + line)
        counts["failed"] += 1
    sys.stdout.flush()
    return ok


def known(ok, desc, why):
    """A known finding: reported, not counted."""
    print("# %s - %s: %s (known: %s; not counted)"
          % ("xpass" if ok else "xfail", NAME, desc, why))
    sys.stdout.flush()


# --- running mailsift ------------------------------------------------

def mailsift(*args, timeout=120):
    p = subprocess.run([MAILSIFT] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    LOGS.append(out)
    return p.returncode, out


def run_once(conf, *extra):
    return mailsift("run", "-c", conf, "--once", *extra)


def stats(out, name):
    """The counters of the round's log line for account name."""
    m = re.search(r"\]: %s: fetched (\d+), delivered (\d+), skipped (\d+), "
                  r"errors (\d+)" % re.escape(name), out)
    if m is None:
        return None
    return dict(zip(("fetched", "delivered", "skipped", "errors"),
                    map(int, m.groups())))


def state_rows(state):
    """`mailsift state` as {(account, folder): {column: number}}."""
    rc, out = mailsift("state", "-s", state)
    rows = {}
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 8 and all(x.isdigit() for x in f[3:8]):
            rows[(f[0], f[1])] = dict(zip(
                ("delivered", "skipped", "duplicate", "set_aside",
                 "pending"), map(int, f[3:8])))
    return rows


# --- configuration -----------------------------------------------------

def quote(v):
    """A libconfuse single-quoted string: nothing expands in it."""
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"


def value(key, v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int) or key in ("type", "tls", "port"):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "{ " + ", ".join(quote(x) for x in v) + " }"
    return quote(v)


def account(sdir, name, mode, user, **opts):
    """An account on the server under test; options as keyword arguments
    with '_' for '-'."""
    kind, tls, port = MODES[mode]
    login, password = USERS[user]
    o = {"type": kind, "host": TLS_NAME, "port": port, "tls": tls,
         "tls-ca-file": E["MSX_CA"], "user": login, "password": password,
         "deliver": "maildir:" + os.path.join(sdir, name)}
    for k, v in opts.items():
        o[k.replace("_", "-")] = v
    body = "".join("\t%s = %s\n" % (k, value(k, v)) for k, v in o.items())
    return "account %s {\n%s}\n" % (quote(name), body)


def write_conf(sdir, accounts, extra=""):
    path = os.path.join(sdir, "mailsift.conf")
    with open(path, "w") as f:
        f.write("state = %s\n%s\n" % (quote(os.path.join(sdir, "state.db")),
                                       extra))
        f.write("".join(accounts))
    os.chmod(path, 0o600)
    return path


def scenario(name):
    sdir = os.path.join(W, name)
    os.makedirs(sdir)
    return sdir


# --- the server's side, over IMAP ---------------------------------------

def mutf7(name):
    """RFC 3501 modified UTF-7, as folder names go on the wire."""
    out, run = [], ""
    for ch in name + "\0":
        if " " <= ch <= "~" or ch == "\0":
            if run:
                b = base64.b64encode(run.encode("utf-16-be")).decode()
                out.append("&" + b.rstrip("=").replace("/", ",") + "-")
                run = ""
            if ch != "\0":
                out.append("&-" if ch == "&" else ch)
        else:
            run += ch
    return "".join(out)


def iquote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ok_(typ_data, what):
    typ, data = typ_data
    if typ != "OK":
        raise RuntimeError("IMAP %s: %s %r" % (what, typ, data))
    return data


class _Imaps(imaplib.IMAP4_SSL):
    """IMAPS to MSX_HOST, the certificate checked for MSX_TLS_NAME."""

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=TLS_NAME)


class Imap:
    """One IMAPS session as user, the test's own view of the server."""

    def __init__(self, user):
        ctx = ssl.create_default_context(cafile=E["MSX_CA"])
        self.c = _Imaps(HOST, int(E["MSX_IX_IMAPS_PORT"]),
                        ssl_context=ctx, timeout=60)
        login, password = USERS[user]
        ok_(self.c.login(login, password), "LOGIN")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.c.logout()
        except Exception:
            pass

    def namespace(self):
        """(prefix, delimiter) of the first personal namespace."""
        data = ok_(self.c.namespace(), "NAMESPACE")[0].decode()
        m = re.match(r'\(\("([^"]*)" (?:"(.)"|NIL)', data)
        if m is None:
            return "", self.delimiter()
        return m.group(1), m.group(2) or self.delimiter()

    def delimiter(self):
        data = ok_(self.c.list('""', '""'), "LIST")[0].decode()
        m = re.match(r'\([^)]*\) (?:"(.)"|NIL)', data)
        return m.group(1) if m and m.group(1) else "/"

    def folders(self):
        """[(name, attributes)] of LIST "" "*"."""
        out = []
        for line in ok_(self.c.list('""', "*"), "LIST"):
            if not line:        # None, or the b")" end of a literal's
                continue
            if isinstance(line, tuple):     # the name came as a literal
                m = re.match(rb'\(([^)]*)\)', line[0])
                out.append((line[1].decode(), m.group(1).decode()))
                continue
            m = re.match(rb'\(([^)]*)\) (?:"(?:\\.|.)"|NIL) (.*)$', line)
            name = m.group(2).decode()
            if name.startswith('"'):
                name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            out.append((name, m.group(1).decode()))
        return out

    def create(self, name):
        typ, data = self.c.create(iquote(name))
        return typ == "OK"

    def delete(self, name):
        ok_(self.c.delete(iquote(name)), "DELETE " + name)

    def append(self, name, msgs, flags=None):
        for m in msgs:
            ok_(self.c.append(iquote(name), flags, None, m),
                "APPEND " + name)

    def select(self, name, readonly=False):
        """A read-write SELECT, as a mail client's: only then does
        Courier-IMAP save the folder's UIDs (see courier_never_selected)."""
        return int(ok_(self.c.select(iquote(name), readonly),
                       "SELECT " + name)[0])

    def messages(self, name):
        """[(bytes, flags)] of every message in the folder."""
        n = self.select(name, readonly=True)
        if n == 0:
            return []
        data = ok_(self.c.fetch("1:*", "(FLAGS BODY.PEEK[])"), "FETCH")
        out = []
        for item in data:
            # FLAGS may come before the literal or after it (then in
            # the bytes that close the response).
            head = item[0] if isinstance(item, tuple) else item
            m = re.search(rb"FLAGS \(([^)]*)\)", head or b"")
            if isinstance(item, tuple):
                out.append([item[1], ""])
            if m and out:
                out[-1][1] = m.group(1).decode()
        return [tuple(x) for x in out]

    def expunge_all(self, name):
        if self.select(name) > 0:
            ok_(self.c.store("1:*", "+FLAGS.SILENT", "(\\Deleted)"), "STORE")
            ok_(self.c.expunge(), "EXPUNGE")
        self.c.close()

    def uidvalidity(self, name):
        data = ok_(self.c.status(iquote(name), "(UIDVALIDITY)"), "STATUS")
        return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))


_ns = {}


def server_name(path):
    """A folder written with '/' as the server names it: its personal
    prefix and its delimiter (INBOX.Archive.Invoices on Courier)."""
    if path.upper() == "INBOX":
        return "INBOX"
    if "ns" not in _ns:
        with Imap("user1") as s:
            _ns["ns"] = s.namespace()
    prefix, delim = _ns["ns"]
    return prefix + delim.join(mutf7(p) for p in path.split("/"))


def clear(user):
    """Empty INBOX and delete every other folder, children first.  The
    folders of one level go in parallel sessions: Courier takes 2 s
    over each DELETE."""
    with Imap(user) as s:
        names = [n for n, attrs in s.folders() if n.upper() != "INBOX"
                 and "\\noselect" not in attrs.lower() and
                 "\\nonexistent" not in attrs.lower()]
        s.expunge_all("INBOX")
    delim = _server_ns()[1] if names else "/"
    levels = {}
    for n in names:
        levels.setdefault(n.count(delim), []).append(n)
    for depth in sorted(levels, reverse=True):
        errors = []

        def delete(name):
            try:
                with Imap(user) as s:
                    s.delete(name)
            except Exception as e:
                errors.append(e)
        threads = [threading.Thread(target=delete, args=(n,))
                   for n in levels[depth]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]


def load(user, folder, msgs, flags=None):
    """APPEND to the folder (a '/' path; made if missing), then SELECT
    it read-write, as the user's mail client would have."""
    name = server_name(folder)
    with Imap(user) as s:
        if name != "INBOX":
            s.create(name)
        s.append(name, msgs, flags)
        s.select(name)
        s.c.close()


def server(user, folder="INBOX", raw=False):
    """The messages of a folder ('/' path, or the server's name if raw)."""
    with Imap(user) as s:
        return [m for m, _ in s.messages(folder if raw else
                                         server_name(folder))]


def server_flags(user, folder="INBOX"):
    with Imap(user) as s:
        return s.messages(server_name(folder))


def maildir_files(path):
    files = []
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        if os.path.isdir(d):
            files += [os.path.join(d, n) for n in sorted(os.listdir(d))]
    return files


def contents(path):
    out = []
    for f in maildir_files(path):
        with open(f, "rb") as fp:
            out.append(fp.read())
    return out


def subjects(msgs):
    out = []
    for m in msgs:
        hit = re.search(rb"^Subject: (.*?)\r?$", m, re.M)
        out.append(hit.group(1).decode("utf-8", "replace") if hit else "")
    return out


def digest(data):
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def same(got, want):
    """(ok, detail): the same messages, each as often, byte for byte."""
    g = sorted(digest(x) for x in got)
    w = sorted(digest(x) for x in want)
    if g == w and want:
        return True, ""
    return False, "got %d, want %d messages (or different bytes): %s" % (
        len(g), len(w), subjects(got))


# --- mail to load ----------------------------------------------------

_msgno = [0]


def message(subject, body=b"", headers=b""):
    _msgno[0] += 1
    mid = b"<%d.%d@%s.example.test>" % (_msgno[0], os.getpid(),
                                         NAME.encode())
    if isinstance(subject, str):
        subject = subject.encode()
    return (b"From: Test Sender <sender@example.test>\n"
            b"To: user@example.test\n"
            b"Date: Mon, 03 Jun 2024 10:00:00 +0000\n"
            b"Subject: " + subject + b"\n"
            b"Message-ID: " + mid + b"\n" + headers + b"\n" + body)


def ascii_messages(unterminated=False):
    """ASCII headers only: some servers refuse or rewrite raw UTF-8 in
    headers (Courier POP3: see courier_utf8_pop3); 8-bit text in a body
    is common and must pass.  Optionally one without a line end at the
    very end (IMAP only: POP3 must add one)."""
    msgs = [
        message("8-bit body", "Grüße, ☃ — ü\n".encode(),
                b"MIME-Version: 1.0\nContent-Type: text/plain; "
                b"charset=utf-8\nContent-Transfer-Encoding: 8bit\n"),
        message("plain", b"hello\n"),
        message("dots", b".\n..\n.leading dot\n...\nlast line\n"),
        message("From lines", b"From the first line\n>From quoted\n"
                b" From not at the start\nFromage\n"),
        message("long", b"x" * 20000 + b"\n" + b"line\n" * 500),
        message("no body"),
        message("big", b"".join(b"%07d the quick brown fox jumps over "
                                b"the lazy dog\n" % i
                                for i in range(40000))),
    ]
    if unterminated:
        msgs.append(message("no final line end", b"last line, no LF"))
    return msgs


# --- scenarios: fetching ---------------------------------------------

def test_fetch():
    """Byte-identical delivery over each TLS flavour; keep = yes leaves
    mail, keep = no deletes it; a second run fetches nothing."""
    for mode, keep in (("imap-starttls", True), ("imaps", False),
                       ("pop3-stls", True), ("pop3s", False)):
        clear("user1")
        load("user1", "INBOX", ascii_messages(mode.startswith("imap")))
        want = server("user1")
        sdir = scenario(mode)
        conf = write_conf(sdir, [account(sdir, "a", mode, "user1",
                                         keep=keep)])
        rc, out = run_once(conf)
        got = contents(os.path.join(sdir, "a"))
        ok, why = same(got, want)
        check(rc == 0 and ok, "%s: %d messages delivered byte-identical"
              % (mode, len(want)), why + "\n" + out)
        left = server("user1")
        if keep:
            check(same(left, want)[0], "%s: keep = yes leaves all %d on "
                  "the server" % (mode, len(want)), "%d left" % len(left))
        else:
            check(left == [] and ok, "%s: keep = no: the server copies "
                  "are gone" % mode, "%d left on the server" % len(left))
        rc, out = run_once(conf)
        s = stats(out, "a")
        check(rc == 0 and s is not None and s["fetched"] == 0 and
              len(contents(os.path.join(sdir, "a"))) == len(want),
              "%s: a second run fetches nothing" % mode, out)


def test_only_unseen():
    """only-unseen: what is \\Seen already stays on the server unfetched;
    the rest is fetched and \\Seen afterwards (as test_fetch.py on
    Dovecot)."""
    clear("user1")
    read = [message("read %d" % i) for i in range(3)]
    new = [message("new %d" % i) for i in range(4)]
    load("user1", "INBOX", read, "(\\Seen)")
    load("user1", "INBOX", new)
    sdir = scenario("unseen")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     only_unseen=True)])
    rc, out = run_once(conf)
    ok, why = same(contents(os.path.join(sdir, "a")), new)
    check(rc == 0 and ok, "only-unseen: only the %d unseen ones are "
          "fetched" % len(new), why + "\n" + out)
    left = server_flags("user1")
    check(len(left) == 7 and all("\\Seen" in fl for _, fl in left),
          "only-unseen: all are \\Seen afterwards, and still there", left)


def test_wrong_ca():
    clear("user1")
    load("user1", "INBOX", [message("tls")])
    for mode in MODES:
        sdir = scenario("other-ca-" + mode)
        conf = write_conf(sdir, [account(sdir, "a", mode, "user1",
                                         tls_ca_file=E["MSX_OTHER_CA"])])
        rc, out = run_once(conf)
        got = contents(os.path.join(sdir, "a"))
        port = MODES[mode][2]
        check(rc != 0 and got == [] and
              "%s:%s" % (TLS_NAME, port) in out and
              "verification failed" in out,
              "%s, a certificate from the wrong CA: refused" % mode, out)
    check(len(server("user1")) == 1,
          "the refused runs left the mail on the server")


def test_wrong_password():
    """A refused login: an error naming the server, no password in it,
    exit status not 0, the mail left where it is."""
    clear("user1")
    load("user1", "INBOX", [message("login")])
    bad = "not-the-password-%d" % os.getpid()
    for mode in ("imaps", "pop3s"):
        sdir = scenario("wrong-password-" + mode)
        conf = write_conf(sdir, [account(sdir, "a", mode, "user1",
                                         password=bad)])
        rc, out = run_once(conf)
        check(rc != 0 and contents(os.path.join(sdir, "a")) == [] and
              "%s:%s" % (TLS_NAME, MODES[mode][2]) in out and
              bad not in out, "%s, a wrong password: refused, the error "
              "names the server and not the password" % mode, out)
    check(len(server("user1")) == 1,
          "the refused logins left the mail on the server")


def test_two_accounts():
    """Two users in one configuration, fetched in parallel (IMAP and
    POP3 at once); then one that cannot log in does not stop the other,
    and the run exits non-zero (as test_fetch.py on Dovecot)."""
    clear("user1")
    clear("user2")
    m1 = [message("for user1 %d" % i) for i in range(3)]
    m2 = [message("for user2 %d" % i) for i in range(4)]
    load("user1", "INBOX", m1)
    load("user2", "INBOX", m2)
    sdir = scenario("two-accounts")
    conf = write_conf(sdir, [account(sdir, "one", "imaps", "user1"),
                             account(sdir, "two", "pop3s", "user2")],
                      "parallel = 2")
    rc, out = run_once(conf)
    ok1, why1 = same(contents(os.path.join(sdir, "one")), server("user1"))
    ok2, why2 = same(contents(os.path.join(sdir, "two")), server("user2"))
    check(rc == 0 and ok1 and ok2, "parallel = 2: user1 over IMAPS and "
          "user2 over POP3S both delivered", why1 + why2 + "\n" + out)

    sdir = scenario("one-broken")
    conf = write_conf(sdir, [
        account(sdir, "broken", "imaps", "user2", password="wrong"),
        account(sdir, "fine", "imaps", "user1")], "parallel = 2")
    rc, out = run_once(conf)
    ok, why = same(contents(os.path.join(sdir, "fine")), server("user1"))
    check(rc != 0 and ok and "broken" in out, "one account cannot log "
          "in: the other still delivered, the run exits non-zero",
          why + "\n" + out)


def test_auth_trace():
    """Each login mechanism mailsift has for passwords, on each port;
    -vv shows the dialogue but never the password (as test_fetch.py's
    test_trace on Dovecot)."""
    clear("user1")
    load("user1", "INBOX", [message("trace")])
    password = USERS["user1"][1]
    for mode in MODES:
        for auth in ("plain", "login"):
            name = "%s-%s" % (mode, auth)
            sdir = scenario("auth-" + name)
            conf = write_conf(sdir, [account(sdir, "a", mode, "user1",
                                             auth=auth)])
            rc, out = run_once(conf, "-vv")
            check(rc == 0 and len(contents(os.path.join(sdir, "a"))) == 1
                  and "[trace]" in out and "redacted" in out and
                  password not in out, "%s, auth = %s: logged in and "
                  "fetched; -vv shows the dialogue, not the password"
                  % (mode, auth), out)


def test_missing_folder():
    """A folder in `folders` that is not on the server fails the account
    with an error naming it; the other folder is still delivered (as
    test_fetch.py on Dovecot)."""
    clear("user1")
    load("user1", "Work", [message("work %d" % i) for i in range(2)])
    sdir = scenario("missing-folder")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     folders=["Nowhere", "Work"])])
    rc, out = run_once(conf)
    ok, why = same(contents(os.path.join(sdir, "a")), server("user1",
                                                              "Work"))
    check(rc != 0 and ok and "folder Nowhere" in out, "a missing folder: "
          "an error naming it; the other folder is still delivered",
          why + "\n" + out)


# --- scenarios: rules ----------------------------------------------------

RULES = r"""version: 1
rules:
  - name: invoice
    when: { subject: '^MOVE-ME' }
    do: [ { move: 'Archive/Invoices' } ]
  - name: deep
    when: { subject: '^COPY-ME' }
    do:
      - copy: 'Projects/2026/Q1'
      - keep
      - deliver: "maildir:%(w)s/copied"
  - name: umlaut
    when: { subject: '^UMLAUT-ME' }
    do: [ { move: 'Archiv/Entwürfe' } ]
  - name: ampersand
    when: { subject: '^AMP-ME' }
    do: [ { move: 'Archive/R&D 2026' } ]
  - name: raw
    when: { subject: '^RAW-ME' }
    do: [ { move: '%(raw)s' } ]
  - name: flagging
    when: { subject: '^FLAG-ME' }
    do:
      - flag: ['\Flagged', '$Important']
  - name: deleting
    when: { subject: '^DELETE-ME' }
    do:
      - deliver: "maildir:%(w)s/deleted-copy"
      - delete
"""


def test_rules():
    """Server-side move, copy, flag and delete, on an IMAP account; the
    rules write folders with '/' and mailsift makes them the server's
    names (its personal prefix, its delimiter), parents created where
    the server needs them; the account's `folders` too; a raw server
    name is taken as it is."""
    clear("user1")
    ns_prefix = _server_ns()[0]
    raw = server_name("Raw") if ns_prefix else "Raw"
    load("user1", "INBOX", [message(s) for s in (
        "MOVE-ME invoice", "COPY-ME too", "UMLAUT-ME draft", "RAW-ME raw",
        "FLAG-ME now", "DELETE-ME now", "Just stay", "AMP-ME r&d")])
    load("user1", "Lists/announce", [message("LIST-ME announce")])
    load("user1", "Lists/Grüße & more", [message("LIST-ME umlaut")])
    sdir = scenario("rules")
    rules = os.path.join(sdir, "rules.yaml")
    with open(rules, "w", encoding="utf-8") as f:
        f.write(RULES % {"w": sdir, "raw": raw})
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     rules=rules,
                                     folders=["INBOX", "Lists/announce",
                                              "Lists/Grüße & more"])])
    rc, out = run_once(conf, "-v")
    check(rc == 0, "rules: the round succeeds", out)

    with Imap("user1") as s:
        boxes = [n for n, _ in s.folders()]
    for path, subject in (("Archive/Invoices", "MOVE-ME invoice"),
                          ("Projects/2026/Q1", "COPY-ME too"),
                          ("Archiv/Entwürfe", "UMLAUT-ME draft"),
                          ("Archive/R&D 2026", "AMP-ME r&d")):
        name = server_name(path)
        got = subjects(server("user1", path)) if name in boxes else []
        check(got == [subject], "rules: '%s' -> one message in %s "
              "(created)" % (path, name), "%s\n%s\n%s" % (got, boxes, out))
    got = subjects(server("user1", raw, True)) if raw in boxes else []
    check(got == ["RAW-ME raw"], "rules: a raw server name %s taken as "
          "it is" % raw, "%s\n%s" % (got, boxes))
    outside = [n for n in boxes if n.upper() != "INBOX" and
               not n.startswith(ns_prefix)]
    literal = "Archive/Invoices"
    check(not outside and (literal not in boxes or
                           server_name(literal) == literal),
          "rules: nothing made outside the personal namespace %r"
          % ns_prefix, boxes)

    inbox = server_flags("user1")
    subs = subjects([m for m, _ in inbox])
    check(not {"MOVE-ME invoice", "UMLAUT-ME draft", "RAW-ME raw",
               "AMP-ME r&d"} &
          set(subs), "rules: move: gone from INBOX", subs)
    check("COPY-ME too" in subs and len(maildir_files(
        os.path.join(sdir, "copied"))) == 1,
        "rules: copy: still in INBOX (keep) and delivered where the "
        "rule said", subs)
    flags = [fl for m, fl in inbox if b"FLAG-ME" in m]
    check(flags and "\\Flagged" in flags[0] and "$Important" in flags[0],
          "rules: flag: \\Flagged and $Important set on the server",
          inbox and flags)
    check("DELETE-ME now" not in subs and
          len(maildir_files(os.path.join(sdir, "deleted-copy"))) == 1,
          "rules: delete: gone from the server, after the delivery it "
          "follows", subs)
    home = subjects(contents(os.path.join(sdir, "a")))
    check(sorted(home) == ["FLAG-ME now", "Just stay", "LIST-ME announce",
                           "LIST-ME umlaut"],
          "rules: the rest delivered by default; `folders` Lists/announce "
          "and 'Lists/Grüße & more' fetched from %s and %s"
          % (server_name("Lists/announce"),
             server_name("Lists/Grüße & more")), home + [out])
    rc, out = run_once(conf)
    s = stats(out, "a")
    check(rc == 0 and s is not None and s["fetched"] == 0,
          "rules: a second round does nothing", out)


def _server_ns():
    server_name("x")
    return _ns["ns"]


# --- scenarios: IDLE -------------------------------------------------

def wait_until(cond, secs):
    """Poll cond() until true or secs have passed: a bound, not a
    measurement."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.2)
    return cond()


def test_idle():
    """`mailsift run` as a daemon with idle on (poll an hour): mail
    appended meanwhile is delivered, or moved on the server by a rule,
    from the session that was in IDLE; SIGTERM stops it with exit 0.
    Waits are bounds, not measurements (Courier's IDLE without
    IMAP_ENHANCEDIDLE polls the folder: seconds)."""
    clear("user1")
    load("user1", "INBOX", [message("before the daemon")])
    sdir = scenario("idle")
    md = os.path.join(sdir, "a")
    rules = os.path.join(sdir, "rules.yaml")
    with open(rules, "w") as f:
        f.write("version: 1\nrules:\n  - name: file\n"
                "    when: { subject: '^IDLE-MOVE' }\n"
                "    do: [ { move: 'Archive/Idle' } ]\n")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     idle=True, rules=rules)],
                      "poll = 3600")
    log = open(os.path.join(sdir, "log"), "wb")
    p = subprocess.Popen([MAILSIFT, "run", "-v", "-c", conf], stdout=log,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        check(wait_until(lambda: len(maildir_files(md)) >= 1, 60),
              "idle: the first round delivers what is there")

        def idling():
            rc, out = mailsift("status", "-c", conf, "--json")
            try:
                a = json.loads(out)["accounts"][0]
            except (ValueError, KeyError, IndexError):
                return False
            return a.get("phase") == "idle"
        check(wait_until(idling, 60), "idle: the session waits in IDLE "
              "(`mailsift status`)")
        load("user1", "INBOX", [message("IDLE-MOVE while idling"),
                                message("while idling")])
        check(wait_until(lambda: len(maildir_files(md)) >= 2, 120),
              "idle: mail appended meanwhile is delivered (poll is an "
              "hour)", subjects(contents(md)))

        def filed():
            try:
                return subjects(server("user1", "Archive/Idle"))
            except RuntimeError:
                return []
        check(wait_until(lambda: filed() == ["IDLE-MOVE while idling"],
                         60), "idle: and the rule's move done on the "
              "server (%s)" % server_name("Archive/Idle"), filed())
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        log.close()
    with open(os.path.join(sdir, "log"), "rb") as f:
        out = f.read().decode("utf-8", "replace")
    LOGS.append(out)
    check(rc == 0, "idle: SIGTERM stops the daemon, exit 0", out)
    check(sorted(subjects(contents(md))) == ["before the daemon",
                                              "while idling"],
          "idle: each message delivered once", subjects(contents(md)))


# --- scenarios: UIDVALIDITY --------------------------------------------

def recreate(user, folder, msgs):
    """Delete the folder and make it again with msgs, until its
    UIDVALIDITY differs (a server may take it from the clock)."""
    name = server_name(folder)
    with Imap(user) as s:
        before = s.uidvalidity(name)
    for _ in range(5):
        with Imap(user) as s:
            s.delete(name)
            s.create(name)
            after = s.uidvalidity(name)
        if after != before:
            break
        time.sleep(1.1)
    load(user, folder, msgs)
    return before, after


def test_uidvalidity():
    """A folder deleted and made again holds the same messages and a new
    one: mailsift logs the new UIDVALIDITY, delivers only the new one
    (the rest are duplicates of what it delivered) and its state shows
    3 set aside, 3 duplicates, 1 delivered (as test_fetch.py on
    Dovecot)."""
    clear("user1")
    folders = ["INBOX", "Work/Reports"]
    for f in folders:
        load("user1", f, [message("%s %d" % (f, i)) for i in range(3)])
    want = server("user1") + server("user1", "Work/Reports")
    sdir = scenario("uidvalidity")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     folders=folders)])
    rc, out = run_once(conf)
    md = os.path.join(sdir, "a")
    ok, why = same(contents(md), want)
    check(rc == 0 and ok, "uidvalidity: INBOX and Work/Reports (%s): "
          "all 6 delivered" % server_name("Work/Reports"), why + "\n" + out)

    old = server("user1", "Work/Reports")
    fresh = [message("after the reset")]
    before, after = recreate("user1", "Work/Reports", old + fresh)
    if not check(before != after, "uidvalidity: Work/Reports deleted and "
                 "made again has a new UIDVALIDITY", (before, after)):
        return
    rc, out = run_once(conf)
    ok, why = same(contents(md), want + fresh)
    check(rc == 0 and ok, "uidvalidity: delivered before -> not again; "
          "the new one -> delivered", why + "\n" + out)
    check("UIDVALIDITY changed" in out, "uidvalidity: logged", out)
    rows = state_rows(os.path.join(sdir, "state.db"))
    row = rows.get(("a", "Work/Reports")) or rows.get(
        ("a", server_name("Work/Reports"))) or {}
    check(row.get("set_aside") == 3 and row.get("duplicate") == 3 and
          row.get("delivered") == 1, "uidvalidity: `mailsift state` shows "
          "3 set aside, 3 duplicates, 1 delivered", rows)


# --- Courier only: a file written into the Maildir ------------------------

MAIL_UID = MAIL_GID = 8
_disk = [0]


def courier_drop(msgs):
    """Deliver as a local MDA would (tmp/, then new/), bypassing IMAP."""
    md = E["MSX_IX_USER1_MAILDIR"]
    for m in msgs:
        _disk[0] += 1
        n = "%d.M%dP%d.msx" % (int(time.time()), _disk[0], os.getpid())
        tmp = os.path.join(md, "tmp", n)
        with open(tmp, "wb") as f:
            f.write(m)
        os.chown(tmp, MAIL_UID, MAIL_GID)
        os.rename(tmp, os.path.join(md, "new", n))


def courier_utf8_pop3():
    """Courier-POP3 offers UTF8 (RFC 6856) and, to a client that does not
    send it, serves its "Cannot display Unicode content" notice instead
    of a message with raw UTF-8 headers; mailsift sends UTF8, so the
    message arrives as stored.  Written to disk: this is mail as an MDA
    delivers it, not as an IMAP client would APPEND it."""
    clear("user1")
    m = message("Grüße ☃", "Grüße\n".encode(), "X-Note: naïve\n".encode())
    courier_drop([m])
    sdir = scenario("utf8-pop3")
    conf = write_conf(sdir, [account(sdir, "a", "pop3s", "user1",
                                     keep=True)])
    rc, out = run_once(conf)
    ok, why = same(contents(os.path.join(sdir, "a")), [m])
    check(rc == 0 and ok, "pop3s: a message with raw UTF-8 headers "
          "delivered byte-identical (POP3 UTF8)", why + "\n" + out)


def courier_utf8_imap():
    """The same over IMAP: Courier-IMAP offers UTF8=ACCEPT (RFC 6855),
    mailsift ENABLEs it, the message arrives as stored."""
    clear("user1")
    m = message("Grüße ☃", "Grüße\n".encode(), "X-Note: naïve\n".encode())
    courier_drop([m])
    sdir = scenario("utf8-imap")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     keep=True)])
    rc, out = run_once(conf)
    ok, why = same(contents(os.path.join(sdir, "a")), [m])
    check(rc == 0 and ok, "imaps: a message with raw UTF-8 headers "
          "delivered byte-identical (ENABLE UTF8=ACCEPT)", why + "\n" + out)


def courier_never_selected():
    """Courier-IMAP on a Maildir no session has SELECTed yet answers
    EXAMINE with a UIDVALIDITY made from the clock and saves nothing, so
    each read-only session (mailsift's, with keep = yes) may see a new
    one.  What must hold: nothing is delivered twice.  That the second
    run fetches nothing at all is the known finding (it holds when both
    runs fall in the same second)."""
    clear("user1")
    md = E["MSX_IX_USER1_MAILDIR"]
    uiddb = os.path.join(md, "courierimapuiddb")
    if os.path.exists(uiddb):
        os.unlink(uiddb)
    msgs = ascii_messages()
    courier_drop(msgs)
    sdir = scenario("never-selected")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     keep=True)])
    rc1, out1 = run_once(conf)
    time.sleep(1.1)     # a second later: the clock-made UIDVALIDITY moves
    rc2, out2 = run_once(conf)
    ok, why = same(contents(os.path.join(sdir, "a")), msgs)
    s = stats(out2, "a")
    check(rc1 == 0 and rc2 == 0 and ok and s is not None and
          s["delivered"] == 0,
          "imaps, keep = yes, a never-SELECTed INBOX: two runs deliver "
          "each message exactly once", why + "\n" + out1 + out2)
    known(s is not None and s["fetched"] == 0,
          "imaps, keep = yes, a never-SELECTed INBOX: the second run "
          "fetches nothing", "Courier's EXAMINE-only UIDVALIDITY")


# --- the end ------------------------------------------------------------

def test_no_secret_in_logs():
    leaked = [u for u, (_, pw) in USERS.items()
              if any(pw in out for out in LOGS)]
    check(LOGS and not leaked, "no password in any of %d mailsift logs"
          % len(LOGS), leaked)


SCENARIOS = [test_fetch, test_only_unseen, test_wrong_ca,
             test_wrong_password, test_two_accounts, test_auth_trace,
             test_missing_folder, test_rules, test_idle,
             test_uidvalidity]
ONLY = {"courier": [courier_utf8_pop3, courier_utf8_imap,
                    courier_never_selected]}


def main():
    os.makedirs(W)
    tests = SCENARIOS + ONLY.get(NAME, []) + [test_no_secret_in_logs]
    only = sys.argv[1:]
    for t in tests:
        if only and t.__name__ not in only + ["test_no_secret_in_logs"]:
            continue
        t0 = time.monotonic()
        try:
            t()
        except Exception:
            check(False, "%s ran to its end" % t.__name__,
                  traceback.format_exc())
        print("# %s: %.1f s" % (t.__name__, time.monotonic() - t0))
    print("%s: %d passed, %d failed" % (NAME, counts["passed"],
                                        counts["failed"]))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
