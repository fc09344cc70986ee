#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
emul_gmail.py - an EMULATION of Gmail's IMAP server, for tests only.

Real Gmail cannot be reached from the test machines, so this is a small
IMAP4rev1 server over TLS on loopback that behaves the way Google
documents Gmail's IMAP, and nothing more.  It is not Gmail: where the
documents are silent, the choice made here is marked "assumed" below,
and passing against it says only that mailsift does what the documents
describe.

Sources (read 2026-12):
  [EXT]   https://developers.google.com/gmail/imap/imap-extensions
          X-GM-EXT-1 in CAPABILITY; SPECIAL-USE attributes on every LIST
          reply (\\All \\Drafts \\Flagged \\Important \\Junk \\Sent
          \\Trash); X-GM-MSGID (64-bit, one id for the message in every
          folder), X-GM-THRID, X-GM-LABELS in FETCH (a list of astrings,
          system labels as atoms with a backslash: \\Inbox \\Sent
          \\Important \\Starred \\Draft), STORE +X-GM-LABELS and
          -X-GM-LABELS.
  [SYNC]  https://support.google.com/mail/answer/77657 (how actions
          sync in IMAP: moving to a folder applies a label, copying to
          several folders applies each label, creating a folder creates
          a label, '/' makes nested labels; deleting in INBOX removes it
          from the inbox, in a folder removes that label; moving to
          [Gmail]/Trash trashes it; deleting in [Gmail]/Spam or
          [Gmail]/Trash deletes it for good)
  [FLD]   https://support.google.com/mail/answer/82367 (the [Gmail]
          folders: All Mail holds every message, Trash and Spam)
  [EXP]   https://developers.google.com/gmail/api/reference/rest/v1/ImapSettings
          (expungeBehavior: what an expunge from the last visible IMAP
          folder does - archive, the emulation's default, trash or
          deleteForever)
  [ISSUE] mailsift issue 12: a COPY or MOVE to a folder that does not
          exist is refused with a plain NO, without [TRYCREATE].  Google
          does not document the reply; this text is assumed.

Assumed beyond the documents: STORE X-GM-LABELS.SILENT is taken; a
STORE +X-GM-LABELS of a label that does not exist creates it (as
creating a folder creates a label [SYNC]); X-GM-LABELS lists every
label of the message, the selected folder's included, as [EXT]'s
example does; non-ASCII label and folder names travel in modified UTF-7
(UTF8=ACCEPT is not offered); implicit TLS only, as imap.gmail.com:993.

Folders: INBOX (label \\Inbox), "[Gmail]" (\\Noselect), "[Gmail]/All
Mail" (\\All: every message not in Trash or Spam), "[Gmail]/Drafts"
(\\Draft), "[Gmail]/Important" (\\Important), "[Gmail]/Sent Mail"
(\\Sent), "[Gmail]/Spam" (\\Junk), "[Gmail]/Starred" (\\Starred),
"[Gmail]/Trash" (\\Trash), and each user label; '/' is the delimiter.

Use: Emulator(cert, key, users).start() -> port; add messages with
add_message(user, data, labels); look at the mailbox with the Account
methods.  `python3 emul_gmail.py CERT KEY PORTFILE` runs it alone (user
"user@gmail.test", password "gmail-secret").
"""
import base64
import re
import socketserver
import ssl
import sys
import threading

SYSTEM = {
    # folder: (special-use attribute, label or None)
    "INBOX": (None, "\\Inbox"),
    "[Gmail]/All Mail": ("\\All", None),
    "[Gmail]/Drafts": ("\\Drafts", "\\Draft"),
    "[Gmail]/Important": ("\\Important", "\\Important"),
    "[Gmail]/Sent Mail": ("\\Sent", "\\Sent"),
    "[Gmail]/Spam": ("\\Junk", None),
    "[Gmail]/Starred": ("\\Flagged", "\\Starred"),
    "[Gmail]/Trash": ("\\Trash", None),
}
ALL, SPAM, TRASH = "[Gmail]/All Mail", "[Gmail]/Spam", "[Gmail]/Trash"


# --- modified UTF-7 (RFC 3501 5.1.3) -------------------------------------

def mutf7_encode(s):
    out, run = [], []

    def flush():
        if run:
            b = base64.b64encode("".join(run).encode("utf-16-be"))
            out.append("&" + b.decode().rstrip("=").replace("/", ",") + "-")
            run.clear()
    for ch in s:
        if 0x20 <= ord(ch) < 0x7f:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(s):
    def one(m):
        if m.group(1) == "":
            return "&"
        b = m.group(1).replace(",", "/")
        b += "=" * (-len(b) % 4)
        return base64.b64decode(b).decode("utf-16-be")
    return re.sub(r"&([A-Za-z0-9+,]*)-", one, s)


def astring(s):
    """A label or folder name as Gmail would write it."""
    if re.fullmatch(r"\\[A-Za-z]+", s):
        return s
    w = mutf7_encode(s)
    if re.fullmatch(r"[A-Za-z0-9_.\-]+", w):
        return w
    return '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- the mailbox ---------------------------------------------------------

class Message:
    def __init__(self, msgid, data, labels, flags):
        self.msgid = msgid
        self.thrid = msgid
        self.data = data
        self.labels = set(labels)
        self.flags = set(flags)
        self.place = "mail"             # or "trash", "spam", "gone"


class Folder:
    def __init__(self, name, validity):
        self.name = name
        self.uidvalidity = validity
        self.uidnext = 1
        self.uids = {}                  # uid -> Message
        self.deleted = set()            # uids with \Deleted here


class Account:
    def __init__(self, password):
        self.password = password
        self.lock = threading.RLock()
        self.messages = []
        self.user_labels = set()
        self.folders = {}
        self.next_msgid = 1500000000000000001
        self.log = []                   # commands received, for tests
        self.expunge_behavior = "archive"   # [EXP]
        self._validity = 1000
        for name in SYSTEM:
            self._folder(name)

    def _folder(self, name):
        if name not in self.folders:
            self._validity += 1
            self.folders[name] = Folder(name, self._validity)
        return self.folders[name]

    def folder_names(self):
        return list(SYSTEM) + sorted(self.user_labels)

    def member(self, name, m):
        if m.place == "gone":
            return False
        if name == TRASH:
            return m.place == "trash"
        if name == SPAM:
            return m.place == "spam"
        if m.place != "mail":
            return False
        if name == ALL:
            return True
        label = SYSTEM[name][1] if name in SYSTEM else name
        return label in m.labels

    def sync(self):
        """Give every message a UID in each folder it is now in [SYNC];
        take it out of those it left.  Returns the UIDs removed per
        folder."""
        gone = {}
        for name in self.folder_names():
            f = self._folder(name)
            have = {id(m): u for u, m in f.uids.items()}
            for u, m in list(f.uids.items()):
                if not self.member(name, m):
                    del f.uids[u]
                    f.deleted.discard(u)
                    gone.setdefault(name, []).append(u)
            for m in self.messages:
                if id(m) not in have and self.member(name, m):
                    f.uids[f.uidnext] = m
                    f.uidnext += 1
        return gone

    def add_message(self, data, labels=("\\Inbox",), flags=()):
        with self.lock:
            if b"\r\n" not in data:
                data = data.replace(b"\n", b"\r\n")
            m = Message(self.next_msgid, data, labels, flags)
            self.next_msgid += 7
            for lb in m.labels:
                if not lb.startswith("\\"):
                    self.user_labels.add(lb)
            self.messages.append(m)
            self.sync()
            return m

    def uids_of(self, folder):
        with self.lock:
            return sorted(self.folders[folder].uids)

    def find(self, needle):
        with self.lock:
            return [m for m in self.messages if needle in m.data]

    def folders_of(self, m):
        with self.lock:
            return [n for n in self.folder_names() if self.member(n, m)]


# --- the protocol --------------------------------------------------------

class Bad(Exception):
    pass


class No(Exception):
    pass


def tokenize(line, literals):
    """Split a command line into atoms, strings and lists."""
    pos, stack, cur = 0, [], []
    while pos < len(line):
        c = line[pos]
        if c == " ":
            pos += 1
        elif c == "(":
            stack.append(cur)
            cur = []
            pos += 1
        elif c == ")":
            if not stack:
                raise Bad("unbalanced )")
            done, cur = cur, stack.pop()
            cur.append(done)
            pos += 1
        elif c == '"':
            pos += 1
            s = []
            while pos < len(line) and line[pos] != '"':
                if line[pos] == "\\":
                    pos += 1
                s.append(line[pos])
                pos += 1
            if pos >= len(line):
                raise Bad("unterminated string")
            pos += 1
            cur.append(("s", "".join(s)))
        elif c == "{":
            end = line.index("}", pos)
            cur.append(("s", literals.pop(0)))
            pos = end + 1
        else:
            m = re.compile(r'[^ ()"{]+').match(line, pos)
            if m is None:
                raise Bad("bad character")
            cur.append(m.group(0))
            pos = m.end()
    if stack:
        raise Bad("unbalanced (")
    return cur


def text(tok):
    return tok[1] if isinstance(tok, tuple) else tok


def uidset(spec, uids):
    have = set(uids)
    top = max(uids) if uids else 0
    out = set()
    for part in spec.split(","):
        if ":" in part:
            a, b = part.split(":")
            a = top if a == "*" else int(a)
            b = top if b == "*" else int(b)
            out |= {u for u in have if min(a, b) <= u <= max(a, b)}
        else:
            u = top if part == "*" else int(part)
            if u in have:
                out.add(u)
    return sorted(out)


class Session(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        self.user = None
        self.acct = None
        self.sel = None
        self.readonly = False

    def send(self, s):
        if isinstance(s, str):
            s = s.encode("utf-8")
        self.wfile.write(s)
        self.wfile.flush()

    def readline(self):
        line = self.rfile.readline(65536)
        if not line:
            raise EOFError
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def read_command(self):
        line = self.readline()
        literals = []
        while True:
            m = re.search(r"\{(\d+)(\+?)\}$", line)
            if not m:
                return line, literals
            if not m.group(2):
                self.send("+ go ahead\r\n")
            data = self.rfile.read(int(m.group(1)))
            literals.append(data.decode("utf-8", "replace"))
            line = line + self.readline()

    def handle(self):
        srv = self.server
        self.send("* OK Gimap ready for requests from 127.0.0.1 "
                  "emulation\r\n")
        try:
            while True:
                line, lits = self.read_command()
                parts = line.split(" ", 2)
                if len(parts) < 2:
                    self.send("* BAD Missing tag\r\n")
                    continue
                tag, cmd = parts[0], parts[1].upper()
                rest = parts[2] if len(parts) > 2 else ""
                if self.acct is not None:
                    self.acct.log.append(cmd + " " + rest)
                try:
                    if cmd == "UID":
                        sub, _, rest = rest.partition(" ")
                        done = self.imap_uid_command(tag, sub.upper(), rest, lits)
                    else:
                        done = self.command(tag, cmd, rest, lits, srv)
                except No as e:
                    self.send("%s NO %s\r\n" % (tag, e))
                    continue
                except (Bad, ValueError, IndexError, KeyError) as e:
                    self.send("%s BAD Could not parse command (%s)\r\n" %
                              (tag, e))
                    continue
                if done == "bye":
                    return
        except (EOFError, ConnectionError, ssl.SSLError, OSError):
            return

    def caps(self):
        c = ("IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN "
             "X-GM-EXT-1 UIDPLUS ENABLE MOVE SPECIAL-USE LITERAL+")
        if self.acct is None:
            c += " AUTH=PLAIN"
        return c

    def need_auth(self):
        if self.acct is None:
            raise Bad("not authenticated")

    def need_sel(self):
        self.need_auth()
        if self.sel is None:
            raise Bad("no folder selected")

    def login(self, tag, user, password, srv):
        acct = srv.accounts.get(user)
        if acct is None or acct.password != password:
            self.send("%s NO [AUTHENTICATIONFAILED] Invalid credentials "
                      "(Failure)\r\n" % tag)
            return
        self.user, self.acct = user, acct
        self.send("* CAPABILITY %s\r\n%s OK %s authenticated (Success)\r\n"
                  % (self.caps(), tag, user))

    def command(self, tag, cmd, rest, lits, srv):
        args = tokenize(rest, lits)
        if cmd == "CAPABILITY":
            self.send("* CAPABILITY %s\r\n%s OK Success\r\n" %
                      (self.caps(), tag))
        elif cmd == "NOOP":
            self.send("%s OK Success\r\n" % tag)
        elif cmd == "LOGOUT":
            self.send("* BYE LOGOUT Requested\r\n%s OK 73 good day "
                      "(Success)\r\n" % tag)
            return "bye"
        elif cmd == "ID":
            self.send('* ID ("name" "GImap emulation")\r\n%s OK Success\r\n'
                      % tag)
        elif cmd == "LOGIN":
            self.login(tag, text(args[0]), text(args[1]), srv)
        elif cmd == "AUTHENTICATE":
            if text(args[0]).upper() != "PLAIN":
                raise No("[CANNOT] mechanism not supported")
            if len(args) > 1:
                blob = text(args[1])
            else:
                self.send("+ \r\n")
                blob = self.readline()
            _, user, password = base64.b64decode(blob).decode().split("\0")
            self.login(tag, user, password, srv)
        elif cmd == "ENABLE":
            self.need_auth()
            self.send("* ENABLED\r\n%s OK Success\r\n" % tag)
        elif cmd == "NAMESPACE":
            self.need_auth()
            self.send('* NAMESPACE (("" "/")) NIL NIL\r\n%s OK Success\r\n'
                      % tag)
        elif cmd in ("LIST", "XLIST", "LSUB"):
            self.need_auth()
            self.list(tag, args)
        elif cmd in ("SELECT", "EXAMINE"):
            self.need_auth()
            self.select(tag, mutf7_decode(text(args[0])), cmd == "EXAMINE")
        elif cmd == "CREATE":
            self.need_auth()
            self.create(tag, mutf7_decode(text(args[0])).rstrip("/"))
        elif cmd in ("SUBSCRIBE", "UNSUBSCRIBE"):
            self.need_auth()
            self.send("%s OK Success\r\n" % tag)
        elif cmd in ("CLOSE", "UNSELECT"):
            self.need_sel()
            self.sel = None
            self.send("%s OK Success\r\n" % tag)
        elif cmd == "EXPUNGE":
            self.need_sel()
            with self.acct.lock:
                self.expunge(sorted(self.sel.deleted))
            self.send("%s OK Success\r\n" % tag)
        elif cmd == "IDLE":
            self.need_sel()
            self.send("+ idling\r\n")
            while self.readline().upper() != "DONE":
                pass
            self.send("%s OK IDLE terminated (Success)\r\n" % tag)
        else:
            raise Bad("unknown command " + cmd)
        return None

    def list(self, tag, args):
        args = [a for a in args if not isinstance(a, list)]  # (SPECIAL-USE)
        pattern = mutf7_decode(text(args[1])) if len(args) > 1 else "*"
        if pattern == "":
            self.send('* LIST (\\Noselect) "/" ""\r\n%s OK Success\r\n' %
                      tag)
            return
        rx = re.compile("^" + re.escape(pattern).replace(r"\*", ".*")
                        .replace("%", "[^/]*") + "$")
        with self.acct.lock:
            names = ["[Gmail]"] + self.acct.folder_names()
            for name in sorted(names, key=lambda n: (n != "INBOX", n)):
                if not rx.match(name):
                    continue
                if name == "[Gmail]":
                    attrs = ["\\HasChildren", "\\Noselect"]
                else:
                    kids = any(n.startswith(name + "/") for n in names)
                    attrs = ["\\HasChildren" if kids else "\\HasNoChildren"]
                    use = SYSTEM.get(name, (None,))[0]
                    if use:
                        attrs.append(use)
                self.send('* LIST (%s) "/" %s\r\n' % (" ".join(attrs),
                                                     astring(name)))
        self.send("%s OK Success\r\n" % tag)

    def folder(self, name):
        if name.upper() == "INBOX":
            name = "INBOX"
        if name not in self.acct.folder_names():
            return None
        return self.acct.folders[name]

    def select(self, tag, name, readonly):
        with self.acct.lock:
            f = self.folder(name)
            if f is None:
                self.sel = None
                raise No("[NONEXISTENT] Unknown Mailbox: %s (Failure)" %
                         name)
            self.sel, self.readonly = f, readonly
            self.send("* FLAGS (\\Answered \\Flagged \\Draft \\Deleted "
                      "\\Seen)\r\n"
                      "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft "
                      "\\Deleted \\Seen \\*)] Flags permitted.\r\n"
                      "* OK [UIDVALIDITY %d] UIDs valid.\r\n"
                      "* %d EXISTS\r\n* 0 RECENT\r\n"
                      "* OK [UIDNEXT %d] Predicted next UID.\r\n"
                      "%s OK [%s] %s selected. (Success)\r\n" %
                      (f.uidvalidity, len(f.uids), f.uidnext, tag,
                       "READ-ONLY" if readonly else "READ-WRITE", name))

    def create(self, tag, name):
        with self.acct.lock:
            if self.folder(name) is not None or name == "[Gmail]":
                raise No("[ALREADYEXISTS] Folder name conflicts with "
                         "existing folder name. (Failure)")
            if name.startswith("[Gmail]/") or name == "":
                raise No("[CANNOT] Invalid folder name (Failure)")
            self.acct.user_labels.add(name)
            self.acct.sync()
        self.send("%s OK Success\r\n" % tag)

    def seq(self, uid):
        return sorted(self.sel.uids).index(uid) + 1

    def expunged(self, gone):
        """Send EXPUNGE for what left the selected folder."""
        mine = sorted(gone.get(self.sel.name, []), reverse=True)
        allu = sorted(list(self.sel.uids) + mine)
        for u in mine:
            self.send("* %d EXPUNGE\r\n" % (allu.index(u) + 1))
            allu.remove(u)

    def expunge(self, uids):
        """[SYNC]: what an expunge means depends on the folder; in All
        Mail, the last visible one, it is expungeBehavior's [EXP]."""
        a, name = self.acct, self.sel.name
        for u in uids:
            if u not in self.sel.deleted or u not in self.sel.uids:
                continue
            m = self.sel.uids[u]
            if name in (TRASH, SPAM):
                m.place = "gone"
            elif name == ALL:
                if a.expunge_behavior == "trash":
                    m.place, m.labels = "trash", set()
                elif a.expunge_behavior == "deleteForever":
                    m.place = "gone"
                # "archive": it stays in All Mail
            else:
                m.labels.discard(SYSTEM[name][1] if name in SYSTEM
                                 else name)
            self.sel.deleted.discard(u)
        self.expunged(a.sync())

    def imap_uid_command(self, tag, sub, rest, lits):
        self.need_sel()
        args = tokenize(rest, lits)
        with self.acct.lock:
            if sub == "SEARCH":
                self.search(args)
                self.send("%s OK SEARCH completed (Success)\r\n" % tag)
                return None
            uids = uidset(text(args[0]), list(self.sel.uids))
            if sub == "FETCH":
                self.fetch(uids, args[1])
            elif sub == "STORE":
                self.store(uids, text(args[1]), args[2])
            elif sub in ("COPY", "MOVE"):
                self.transfer(sub, uids, mutf7_decode(text(args[1])))
            elif sub == "EXPUNGE":
                self.expunge(uids)
            else:
                raise Bad("unknown UID command " + sub)
        self.send("%s OK Success\r\n" % tag)

    def search(self, args):
        crit = [text(a).upper() for a in args if not isinstance(a, list)]
        out = []
        for u, m in sorted(self.sel.uids.items()):
            if "UNSEEN" in crit and "\\Seen" in m.flags:
                continue
            out.append(str(u))
        self.send("* SEARCH%s\r\n" % "".join(" " + x for x in out))

    def fetch(self, uids, items):
        if not isinstance(items, list):
            items = [items]
        names = [text(i).upper() for i in items]
        for u in uids:
            m = self.sel.uids[u]
            parts = ["UID %d" % u]
            body = None
            for n in names:
                if n == "RFC822.SIZE":
                    parts.append("RFC822.SIZE %d" % len(m.data))
                elif n == "X-GM-MSGID":
                    parts.append("X-GM-MSGID %d" % m.msgid)
                elif n == "X-GM-THRID":
                    parts.append("X-GM-THRID %d" % m.thrid)
                elif n == "X-GM-LABELS":
                    parts.append("X-GM-LABELS (%s)" % " ".join(
                        astring(lb) for lb in sorted(m.labels)))
                elif n == "FLAGS":
                    parts.append("FLAGS (%s)" % " ".join(sorted(m.flags)))
                elif n in ("BODY.PEEK[]", "BODY[]", "RFC822"):
                    body = n
                    if n != "BODY.PEEK[]" and not self.readonly:
                        m.flags.add("\\Seen")
            head = "* %d FETCH (%s" % (self.seq(u), " ".join(parts))
            if body is None:
                self.send(head + ")\r\n")
            else:
                key = "RFC822" if body == "RFC822" else "BODY[]"
                self.send(("%s %s {%d}\r\n" % (head, key, len(m.data)))
                          .encode() + m.data + b")\r\n")

    def store(self, uids, what, vals):
        if not isinstance(vals, list):
            vals = [vals]
        what = what.upper()
        silent = what.endswith(".SILENT")
        what = what[:-len(".SILENT")] if silent else what
        if what.lstrip("+-") == "X-GM-LABELS":
            labels = [mutf7_decode(text(v)) for v in vals]
            for u in uids:
                m = self.sel.uids[u]
                for lb in labels:
                    if what[0] == "+":
                        m.labels.add(lb)
                        if not lb.startswith("\\"):
                            # assumed: a new label is made
                            self.acct.user_labels.add(lb)
                    elif what[0] == "-":
                        m.labels.discard(lb)
                if not silent:
                    self.send("* %d FETCH (UID %d X-GM-LABELS (%s))\r\n" % (
                        self.seq(u), u, " ".join(astring(lb) for lb in
                                                 sorted(m.labels))))
            self.expunged(self.acct.sync())
            return
        flags = [text(v) for v in vals]
        for u in uids:
            m = self.sel.uids[u]
            for fl in flags:
                if fl.lower() == "\\deleted":
                    if what[0] == "-":
                        self.sel.deleted.discard(u)
                    else:
                        self.sel.deleted.add(u)
                elif what[0] == "-":
                    m.flags.discard(fl)
                else:
                    m.flags.add(fl)
            if not silent:
                f = sorted(m.flags) + (["\\Deleted"] if u in
                                       self.sel.deleted else [])
                self.send("* %d FETCH (UID %d FLAGS (%s))\r\n" % (
                    self.seq(u), u, " ".join(f)))

    def transfer(self, cmd, uids, dest):
        f = self.folder(dest)
        if f is None:
            # [ISSUE]: a plain NO, no [TRYCREATE]
            raise No("No folder %s (Failure)" % dest)
        src = self.sel.name
        before = {u: self.sel.uids[u] for u in uids}
        for m in before.values():
            if dest == TRASH:
                m.place, m.labels = "trash", set()
            elif dest == SPAM:
                m.place = "spam"
            elif dest == ALL:
                pass
            elif m.place == "mail":
                m.labels.add(SYSTEM[dest][1] if dest in SYSTEM else dest)
            else:
                m.place = "mail"
                m.labels.add(SYSTEM[dest][1] if dest in SYSTEM else dest)
            if cmd == "MOVE" and src not in (ALL, TRASH, SPAM) and \
                    dest not in (TRASH, SPAM):
                m.labels.discard(SYSTEM[src][1] if src in SYSTEM else src)
        gone = self.acct.sync()
        if before:
            dst = [u for m in before.values() for u, x in f.uids.items()
                   if x is m]
            self.send("* OK [COPYUID %d %s %s] (Success)\r\n" % (
                f.uidvalidity, ",".join(str(u) for u in before),
                ",".join(str(u) for u in dst)))
        self.expunged(gone)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, cert, key, accounts):
        self.accounts = accounts
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        super().__init__(("127.0.0.1", 0), Session)

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True), addr


class Emulator:
    def __init__(self, cert, key, users):
        self.accounts = {u: Account(p) for u, p in users.items()}
        self.server = Server(cert, key, self.accounts)
        self.port = self.server.server_address[1]

    def start(self):
        t = threading.Thread(target=self.server.serve_forever, daemon=True)
        t.start()
        return self.port

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def add_message(self, user, data, labels=("\\Inbox",), flags=()):
        return self.accounts[user].add_message(data, labels, flags)


if __name__ == "__main__":
    emu = Emulator(sys.argv[1], sys.argv[2],
                   {"user@gmail.test": "gmail-secret"})
    with open(sys.argv[3], "w") as pf:
        pf.write("%d\n" % emu.port)
    emu.server.serve_forever()
