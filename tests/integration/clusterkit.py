# SPDX-License-Identifier: ISC
"""
clusterkit.py - what test_cluster.py and bench_cluster.py share: several
`mailsift run` daemons with one configuration on a PostgreSQL store,
mail injected into Dovecot over LMTP (each message with its own
Message-ID), the leases read back from `mailsift status --json`, and
the Maildirs and a reply mailbox counted by Message-ID.

Never asserts anything itself: it measures and the callers judge.
"""
import json
import os
import random
import re
import smtplib
import subprocess
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MAILSIFT = os.environ.get("MAILSIFT") or os.path.join(TOP, "mailsift")
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def account_block(name, kind, port, ca, user, password, deliver, extra=""):
    """One account section of mailsift.conf."""
    idle = "\tidle = true\n" if kind == "imap" else "\tpoll = 2\n"
    return ('account %s {\n\ttype = %s\n\thost = "localhost"\n'
            '\tport = %s\n\ttls = implicit\n\ttls-ca-file = "%s"\n'
            '\tuser = "%s"\n\tpassword = \'%s\'\n%s'
            '\tdeliver = "maildir:%s"\n%s}\n' %
            (name, kind, port, ca, user, password, idle, deliver, extra))


def write_conf(path, head, blocks):
    """The configuration every daemon reads: global lines, then the
    account (and smtp) sections; 0600 as it holds passwords."""
    with open(path, "w") as f:
        f.write(head)
        for b in blocks:
            f.write(b)
    os.chmod(path, 0o600)


def make_maildir(path):
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)


class Daemon:
    """One `mailsift run --node NAME`, its log in DIR/NAME.N.log."""

    def __init__(self, conf, node, logdir, args=()):
        self.node = node
        self.conf = conf
        self.gen = 0
        self.logdir = logdir
        self.args = list(args)
        self.proc = None
        self.log = None
        self.pids = []      # every pid this node ran as

    def start(self):
        self.gen += 1
        self.log = os.path.join(self.logdir, "%s.%d.log" % (self.node,
                                                            self.gen))
        with open(self.log, "wb") as lf:
            self.proc = subprocess.Popen(
                [MAILSIFT, "run", "-c", self.conf, "--node", self.node] +
                self.args, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf)
        self.pids.append(self.proc.pid)
        return self.proc.pid

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.proc.pid, sig)

    def wait(self, secs):
        """Exit status, or None if still running after secs."""
        try:
            return self.proc.wait(secs)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def cpu_rss(self):
        """CPU seconds (user + system) and RSS bytes, from /proc."""
        with open("/proc/%d/stat" % self.pid) as f:
            v = f.read().rsplit(")", 1)[1].split()
        with open("/proc/%d/statm" % self.pid) as f:
            rss = int(f.read().split()[1]) * PAGE
        return (int(v[11]) + int(v[12])) / TICK, rss


def leases(conf, timeout=20):
    """Account -> node holding a live lease (None: nobody), from
    `mailsift status --json`; None if status itself failed."""
    try:
        p = subprocess.run([MAILSIFT, "status", "--json", "-c", conf],
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if p.returncode != 0:
        return None
    try:
        doc = json.loads(p.stdout.decode("utf-8", "replace"))
    except ValueError:
        return None
    held = {}
    for a in doc.get("accounts", []):
        ls = a.get("lease")
        ok = (isinstance(ls, dict) and ls.get("node") and
              (ls.get("expires_in") or 0) > 0)
        held[a["name"]] = ls["node"] if ok else None
    return held


def spread(held, nodes):
    """Accounts per node among nodes, and how many no node of them
    holds (unheld, or held by a node not listed)."""
    per = {n: 0 for n in nodes}
    other = 0
    for node in held.values():
        if node in per:
            per[node] += 1
        else:
            other += 1
    return per, other


def wait_for(cond, secs, step=0.5):
    """Calls cond() until it returns a true value or secs pass; returns
    (value, seconds waited)."""
    t0 = time.monotonic()
    while True:
        v = cond()
        el = time.monotonic() - t0
        if v or el >= secs:
            return v, el
        time.sleep(step)


class Injector:
    """Delivers numbered messages to Dovecot over LMTP, one connection,
    at `rate` per second to random accounts (or as fast as it can with
    rate 0) until stopped or `limit` are in.  Every message: its own
    Message-ID, and a sender user6+mSEQ@example.test (a reply to it
    lands in user6's INBOX, told apart by the +detail); one in `ask`
    has Subject "ask SEQ" (the reply rule's)."""

    def __init__(self, lmtp, accounts, rate, limit=None, ask=4, tag="m"):
        self.lmtp = lmtp
        self.accounts = list(accounts)
        self.rate = rate
        self.limit = limit
        self.ask = ask
        self.tag = tag
        self.sent = {}          # Message-ID -> (account, asked, when)
        self.failed = 0
        self.errors = []
        self.stop_ev = threading.Event()
        self.th = None
        self.seq = 0
        self.lock = threading.Lock()

    def message(self, acct):
        self.seq += 1
        n = self.seq
        mid = "<%s-%d-%d@cluster.test>" % (self.tag, n, random.getrandbits(
            32))
        asked = self.ask > 0 and n % self.ask == 0
        sender = "user6+%s%d@example.test" % (self.tag, n)
        body = ("From: %s\r\nTo: cluster@example.test\r\nSubject: %s %d\r\n"
                "Message-ID: %s\r\nDate: %s\r\n\r\nmessage %d for %s\r\n" %
                (sender, "ask" if asked else "note", n, mid,
                 time.strftime("%a, %d %b %Y %H:%M:%S +0000",
                               time.gmtime()), n, acct))
        return mid, sender, asked, body.encode()

    def _connect(self):
        c = smtplib.LMTP(self.lmtp)
        return c

    def run(self):
        conn = None
        nxt = time.monotonic()
        while not self.stop_ev.is_set():
            if self.limit is not None and len(self.sent) >= self.limit:
                break
            acct = random.choice(self.accounts)
            mid, sender, asked, data = self.message(acct)
            try:
                if conn is None:
                    conn = self._connect()
                refused = conn.sendmail(sender, ["%s@example.test" % acct],
                                        data)
                if refused:
                    raise smtplib.SMTPException(str(refused))
                with self.lock:
                    self.sent[mid] = (acct, asked, time.monotonic())
            except (smtplib.SMTPException, OSError) as e:
                self.failed += 1
                if len(self.errors) < 5:
                    self.errors.append("%s: %s" % (acct, e))
                conn = None
                time.sleep(0.2)
            if self.rate > 0:
                nxt += 1.0 / self.rate
                d = nxt - time.monotonic()
                if d > 0:
                    self.stop_ev.wait(d)
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                pass

    def start(self):
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def stop(self):
        self.stop_ev.set()
        if self.th is not None:
            self.th.join(60)

    def count(self):
        with self.lock:
            return len(self.sent)

    def between(self, accts, t0, t1):
        """Messages sent to one of accts between monotonic t0 and t1."""
        with self.lock:
            return sum(1 for a, _, t in self.sent.values()
                       if a in accts and t0 <= t < t1)


MAILDIR_PID = re.compile(r"\.M\d+P(\d+)Q")


def header_of(path, names):
    """The first value of each wanted field (lower-case names) of a
    message file; unfolded, no more than its header read."""
    out = {}
    cur = None
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line == "":
                break
            if line[0] in " \t" and cur is not None:
                out[cur] += " " + line.strip()
                continue
            k, _, v = line.partition(":")
            k = k.strip().lower()
            cur = None
            if k in names and k not in out:
                out[k] = v.strip()
                cur = k
    return out


def maildir_files(root):
    """Paths of the messages in root's new/ and cur/."""
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(root, sub)
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            continue
        out.extend(os.path.join(d, n) for n in names)
    return out


def delivered(roots):
    """Message-ID -> [(pid that wrote it, path)] over the Maildirs."""
    got = {}
    for root in roots:
        for p in maildir_files(root):
            h = header_of(p, ("message-id",))
            m = MAILDIR_PID.search(os.path.basename(p))
            pid = int(m.group(1)) if m else None
            got.setdefault(h.get("message-id", ""), []).append((pid, p))
    return got


def replies(root):
    """In-Reply-To id -> number of replies in the Maildir root."""
    got = {}
    for p in maildir_files(root):
        h = header_of(p, ("in-reply-to", "auto-submitted"))
        irt = h.get("in-reply-to")
        if irt:
            got[irt] = got.get(irt, 0) + 1
    return got


def exactly_once(sent, got):
    """(missing, twice, unknown): sent ids not delivered, ids delivered
    more than once, delivered ids never sent."""
    missing = [m for m in sent if m not in got]
    twice = [m for m, v in got.items() if len(v) > 1]
    unknown = [m for m in got if m not in sent]
    return missing, twice, unknown
