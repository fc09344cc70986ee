#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_imapdest.py - the imap: delivery target (IMAP APPEND into another
account, daemon/deliver/imap.c) against the real Dovecot of servers.sh
and a second Dovecot instance this script starts in a directory of its
own.  Started by test-imapdest.sh with the first instance's MSX_*
variables in the environment.

Reads like a user's sessions: POP3 -> APPEND into a second user of the
same server (the Gmail-migration path); IMAP -> a folder on another
server that does not exist yet (TRYCREATE), then deleted between rounds;
a SPECIAL-USE folder (\\Archive); a destination over quota (OVERQUOTA);
a destination down, then up; then kill -9 at 30 seeded points of a
500-message run, a start with the destination down (the other accounts
go on), and a full run: each message exactly once in the destination,
counted by its X-Mailsift-Id.  One line per check, then
"imapdest: N passed, N failed".  IMAPDEST_SEED changes the kill points.
"""
import email.utils
import imaplib
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback

import test_fetch as tf
from crashkit import SlowLink, wait_for

E = os.environ
SERVERS = tf.SERVERS
SEED = int(E.get("IMAPDEST_SEED", "20261204"))
CRASH_MESSAGES = 500
CRASH_KILLS = 30
ID = re.compile(rb"\AX-Mailsift-Id: ([0-9a-f]{32})\r?\n")
check = tf.check
for _u in ("user4", "user5", "user6", "user7"):
    tf.PASS[_u] = E["MSX_%s_PASS" % _u.upper()]

E2 = {}         # the second instance's MSX_* variables


def start_second():
    d2 = tempfile.mkdtemp(prefix="msq.", dir="/tmp")
    os.chmod(d2, 0o755)
    E2["dir"] = d2
    # ports of its own: the first instance's MSX_*_PORT would be reused
    env = {k: v for k, v in E.items() if not k.endswith("_PORT")}
    p = subprocess.run(["sh", SERVERS, "start", d2], capture_output=True,
                       timeout=120, env=env)
    if p.returncode != 0:
        raise RuntimeError("second servers.sh start: %s" %
                           (p.stdout + p.stderr).decode())
    out = subprocess.run(["sh", "-c", 'eval "$(sh "$0" env "$1")"; env -0',
                          SERVERS, d2], capture_output=True, check=True,
                         timeout=60).stdout
    for kv in out.split(b"\0"):
        k, _, v = kv.decode().partition("=")
        if k.startswith("MSX_"):
            E2[k] = v


def stop_second():
    if "dir" in E2:
        subprocess.run(["sh", SERVERS, "stop", E2["dir"]],
                       capture_output=True, timeout=60)
        if E.get("MSX_KEEP") != "1":
            shutil.rmtree(E2["dir"], ignore_errors=True)


def doveadm2(*args):
    return subprocess.run(["doveadm", "-c", E2["MSX_DOVECOT_CONF"]] +
                          list(args), capture_output=True, check=True,
                          timeout=60).stdout.decode()


def maildir2(user, folder="INBOX"):
    md = E2["MSX_%s_MAILDIR" % user.upper()]
    if folder == "INBOX":
        return md
    return os.path.join(md, "." + tf.mutf7(folder).replace("/", "."))


def dest(name, user, second=False, **opts):
    """An account section used only as a destination (fetch = no)."""
    o = {"deliver": None, "fetch": False}
    if second:
        o.update(port=int(E2["MSX_IMAPS_PORT"]), tls_ca_file=E2["MSX_CA"])
    o.update(opts)
    return tf.account("", name, "imaps", user, **o)


def source(sdir, name, mode, user, target, **opts):
    return tf.account(sdir, name, mode, user, deliver=target, **opts)


def mail_id(data):
    m = ID.match(data)
    return m.group(1).decode() if m else None


def strip_id(data):
    return ID.sub(b"", data, count=1)


def same_stripped(got, want):
    return tf.same([strip_id(x) for x in got], want)


def internaldates(port, ca, user, folder="INBOX"):
    """{X-Mailsift-Id: (INTERNALDATE, Date header)} over IMAPS."""
    import ssl
    ctx = ssl.create_default_context(cafile=ca)
    out = {}
    with imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ctx) as m:
        m.login(user, tf.PASS[user])
        m.select('"%s"' % folder, readonly=True)
        typ, data = m.fetch("1:*", "(INTERNALDATE BODY.PEEK[HEADER])")
        for item in data:
            if not isinstance(item, tuple):
                continue
            idate = imaplib.Internaldate2tuple(item[0])
            hdr = item[1]
            d = re.search(rb"^Date: (.*)$", hdr, re.M | re.I)
            out[mail_id(hdr)] = (time.mktime(idate) if idate else None,
                                 email.utils.parsedate_to_datetime(
                                     d.group(1).decode().strip())
                                 .timestamp() if d else None)
    return out


def by_msgid(port, ca, user, folder="INBOX"):
    """{Message-ID: (INTERNALDATE as UTC seconds, sorted flags)}."""
    import ssl
    ctx = ssl.create_default_context(cafile=ca)
    out = {}
    with imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ctx) as m:
        m.login(user, tf.PASS[user])
        m.select('"%s"' % folder, readonly=True)
        typ, data = m.fetch("1:*", "(INTERNALDATE FLAGS "
                            "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        for item in data:
            if not isinstance(item, tuple):
                continue
            mid = item[1].split(b":", 1)[1].strip()
            flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1)
            out[mid] = (time.mktime(imaplib.Internaldate2tuple(item[0])),
                        sorted(f for f in flags.split()
                               if f != b"\\Recent"))
    return out


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- scenarios -------------------------------------------------------

def test_check():
    """`mailsift check`: the destination must exist and be imap."""
    sdir = tf.scenario("check")
    conf = tf.write_conf(sdir, [source(sdir, "a", "pop3s", "user1",
                                       "imap:d/Archive"),
                                dest("d", "user3")])
    rc, out = tf.mailsift("check", "-c", conf)
    check(rc == 0 and "fetch=no" in out, "check: an imap: target and a "
          "fetch = no account are accepted", out)
    conf = tf.write_conf(sdir, [source(sdir, "a", "pop3s", "user1",
                                       "imap:nosuch/INBOX")])
    rc, out = tf.mailsift("check", "-c", conf)
    check(rc != 0 and "account 'nosuch' is not defined" in out,
          "check: an imap: target naming no account is refused", out)
    conf = tf.write_conf(sdir, [source(sdir, "a", "pop3s", "user1",
                                       "imap:p"),
                                source(sdir, "p", "pop3s", "user3",
                                       "maildir:" + sdir + "/p")])
    rc, out = tf.mailsift("check", "-c", conf)
    check(rc != 0 and "needs an account of type imap" in out,
          "check: an imap: target naming a pop3 account is refused", out)


def test_pop3_to_user():
    """POP3 -> APPEND into another user of the same server."""
    tf.clear("user1")
    tf.clear("user3")
    want = tf.corpus(SEED, 20) + tf.edge_messages()
    tf.load("user1", "INBOX", want)
    want = tf.server("user1")
    sdir = tf.scenario("pop3")
    conf = tf.write_conf(sdir, [source(sdir, "a", "pop3s", "user1",
                                       "imap:d"),
                                dest("d", "user3")])
    rc, out = tf.run_once(conf)
    got = tf.server("user3")
    ok, why = same_stripped(got, want)
    check(rc == 0 and ok, "pop3 -> imap: %d messages appended, the same "
          "bytes" % len(want), why + "\n" + out)
    ids = [mail_id(x) for x in got]
    check(None not in ids and len(set(ids)) == len(want),
          "pop3 -> imap: each starts with its own X-Mailsift-Id", ids[:3])
    dates = internaldates(E["MSX_IMAPS_PORT"], E["MSX_CA"], "user3")
    bad = [k for k, (i, d) in dates.items() if d is not None and i != d]
    check(len(dates) == len(want) and not bad,
          "pop3 -> imap: INTERNALDATE is each message's Date:",
          "%d differ: %s" % (len(bad), [dates[k] for k in bad[:3]]))
    db = sqlite3.connect(os.path.join(sdir, "state.db"))
    locs = [r[0] for r in db.execute("SELECT location FROM message")]
    db.close()
    uids = set(re.sub(r"^imap:d/INBOX;UIDVALIDITY=\d+/;UID=", "", x)
               for x in locs)
    check(len(locs) == len(want) and all(u.isdigit() for u in uids) and
          len(uids) == len(want), "pop3 -> imap: each APPENDUID recorded "
          "as its location, imap:d/INBOX;UIDVALIDITY=n/;UID=n", locs[:3])
    rc, out = tf.run_once(conf)
    s = tf.stats(out, "a")
    check(rc == 0 and s is not None and s["fetched"] == 0 and
          len(tf.server("user3")) == len(want),
          "pop3 -> imap: a second run appends nothing", out)
    check(tf.stats(out, "a") is not None and tf.stats(out, "d") is None,
          "pop3 -> imap: the fetch = no account is not polled", out)


def test_second_server():
    """IMAP -> a folder on another server: made on the first APPEND
    (TRYCREATE), made again when deleted between rounds."""
    tf.clear("user1")
    doveadm2("expunge", "-u", "user1", "mailbox", "INBOX", "all")
    first = [tf.message("second server %d" % i) for i in range(5)]
    tf.load("user1", "INBOX", first)
    tf.doveadm("flags", "add", "-u", "user1", "\\Seen \\Flagged $Label1",
               "mailbox", "INBOX", "1:2")
    tf.doveadm("flags", "add", "-u", "user1", "\\Answered", "mailbox",
               "INBOX", "3")
    time.sleep(1.1)     # the destination's "now" is not the source's
    src = by_msgid(E["MSX_IMAPS_PORT"], E["MSX_CA"], "user1")
    sdir = tf.scenario("second")
    conf = tf.write_conf(sdir, [source(sdir, "a", "imaps", "user1",
                                       "imap:d/Archive/2026", keep=False),
                                dest("d", "user1", second=True)])
    rc, out = tf.run_once(conf)
    got = tf.contents(maildir2("user1", "Archive/2026"))
    ok, why = same_stripped(got, first)
    check(rc == 0 and ok and tf.server("user1") == [],
          "imap -> second server: 5 messages in Archive/2026, made on "
          "the way (TRYCREATE)", why + "\n" + out)
    got = by_msgid(E2["MSX_IMAPS_PORT"], E2["MSX_CA"], "user1",
                   "Archive/2026")
    check(len(src) == 5 and got == src and
          sum(1 for v in src.values() if v[1]) == 3,
          "imap -> second server: each with its flags and the source's "
          "INTERNALDATE", "source %s\ndestination %s" % (src, got))
    doveadm2("mailbox", "delete", "-s", "-u", "user1", "Archive/2026")
    more = [tf.message("after the delete %d" % i) for i in range(3)]
    tf.load("user1", "INBOX", more)
    rc, out = tf.run_once(conf)
    got = tf.contents(maildir2("user1", "Archive/2026"))
    ok, why = same_stripped(got, more)
    check(rc == 0 and ok and "creating it" in out,
          "folder deleted between rounds: made again, the 3 new messages "
          "in it", why + "\n" + out)


def test_rule_target():
    """A rule's deliver action to imap:, beside the account's target."""
    tf.clear("user1")
    tf.clear("user3")
    msgs = [tf.message("to the rule"), tf.message("plain")]
    tf.load("user1", "INBOX", msgs)
    sdir = tf.scenario("rule")
    rules = os.path.join(sdir, "rules.yaml")
    with open(rules, "w") as f:
        f.write("version: 1\nrules:\n  - name: to-imap\n"
                "    when: { subject: '^to the rule$' }\n"
                "    do: [ { deliver: \"imap:d/From rules\" } ]\n")
    os.chmod(rules, 0o600)
    conf = tf.write_conf(sdir, [source(sdir, "a", "imaps", "user1",
                                       "maildir:" + sdir + "/a",
                                       rules=rules),
                                dest("d", "user3")])
    rc, out = tf.run_once(conf)
    ok, why = same_stripped(tf.server("user3", "From rules"), msgs[:1])
    check(rc == 0 and ok, "a rule's deliver action to imap:d/From rules",
          why + "\n" + out)
    ok, why = tf.same(tf.contents(os.path.join(sdir, "a")), msgs[1:])
    check(ok, "the other message to the account's own target", why)


def test_special_use():
    """deliver = imap:d/\\Archive lands in the folder marked so."""
    tf.clear("user5")
    tf.doveadm("mailbox", "create", "-u", "user5", "Archives 2026")
    tf.clear("user1")
    msgs = [tf.message("special %d" % i) for i in range(2)]
    tf.load("user1", "INBOX", msgs)
    sdir = tf.scenario("special")
    conf = tf.write_conf(sdir, [source(sdir, "a", "imaps", "user1",
                                       "imap:d/\\Archive"),
                                dest("d", "user5")])
    rc, out = tf.run_once(conf)
    ok, why = same_stripped(tf.server("user5", "Archives 2026"), msgs)
    check(rc == 0 and ok, "SPECIAL-USE: imap:d/\\Archive delivers into "
          "\"Archives 2026\"", why + "\n" + out)


def test_overquota():
    """A full destination: a clear error, nothing lost, tried again."""
    tf.clear("user7")
    tf.clear("user1")
    big = tf.message("too big", tf.filler(random.Random(SEED), 200000))
    tf.load("user1", "INBOX", [big])
    sdir = tf.scenario("quota")
    conf = tf.write_conf(sdir, [source(sdir, "a", "imaps", "user1",
                                       "imap:d", keep=False),
                                dest("d", "user7")])
    rc, out = tf.run_once(conf)
    check(rc != 0 and "OVERQUOTA" in out and "quota is full" in out,
          "OVERQUOTA: the run fails and says the quota is full", out)
    check(tf.server("user7") == [] and len(tf.server("user1")) == 1,
          "OVERQUOTA: nothing appended, the message stays on the source "
          "(keep = no)")
    rc, out = tf.run_once(conf)
    check(rc != 0 and "OVERQUOTA" in out and len(tf.server("user1")) == 1,
          "OVERQUOTA: the next round tries it again", out)


def test_down_then_up():
    """A destination down: nothing lost; up again: delivered once."""
    tf.clear("user1")
    tf.clear("user3")
    msgs = [tf.message("down %d" % i) for i in range(3)]
    tf.load("user1", "INBOX", msgs)
    sdir = tf.scenario("down")
    src = source(sdir, "a", "imaps", "user1", "imap:d", keep=False)
    conf = tf.write_conf(sdir, [src, dest("d", "user3", host="127.0.0.1",
                                          port=closed_port())])
    rc, out = tf.run_once(conf)
    check(rc != 0 and "destination account d" in out,
          "destination down: the run fails, naming the destination", out)
    check(tf.server("user3") == [] and len(tf.server("user1")) == 3,
          "destination down: the messages stay on the source (keep = no)")
    conf = tf.write_conf(sdir, [src, dest("d", "user3")])
    rc, out = tf.run_once(conf)
    ok, why = same_stripped(tf.server("user3"), msgs)
    check(rc == 0 and ok and tf.server("user1") == [],
          "destination up again: each appended once, then removed from "
          "the source", why + "\n" + out)


# --- kill -9 ----------------------------------------------------------

def dest_files(user):
    return tf.maildir_files(maildir2(user))


class ByteTap:
    """Counts the bytes the source server sends through a SlowLink."""

    def __init__(self):
        self.n = 0

    def opened(self):
        def down(data):
            self.n += len(data)
        return None, down


def crash_run(conf, state, tap, point, n, lag):
    before = len(dest_files("user2"))
    start = tap.n
    if point == "appended":
        def cond():
            return len(dest_files("user2")) >= before + n
    elif point == "fetched":
        def cond():
            return tap.n >= start + n
    else:
        def cond():
            return tf.pending_intents(state) > 0
    p = subprocess.Popen([tf.MAILSIFT, "run", "-c", conf, "--once"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    wait_for(cond, p, 60)
    time.sleep(lag)
    killed = p.poll() is None
    if killed:
        p.kill()
    p.wait()
    after = len(dest_files("user2"))
    pend = tf.pending_intents(state)
    return killed, pend, "%s at %s %2d +%2.0f ms: %3d -> %3d in the " \
        "destination, %d intents pending" % (
            "kill" if killed else "ended", point, n, lag * 1000, before,
            after, pend)


def crash_plan(rng):
    """Where the kills go.  A batch (64 messages, about 650 KB here) is
    appended in one MULTIAPPEND: six kills come once n more messages
    are in the destination (just after the APPEND's OK, before or after
    its record), eight as soon as a batch's intents are written (before
    or during its APPEND), the others after n bytes of the source's
    stream, in the middle of a batch.  About 5 * 64 messages get
    through before the end, so every run has work, and some are left
    for the start with the destination down."""
    plan = [("appended", rng.randint(1, 40), rng.uniform(0, 0.005))
            for _ in range(5)]
    plan += [("intent", 0, rng.uniform(0, 0.01)) for _ in range(8)]
    plan += [("fetched", rng.randint(20000, 200000), 0)
             for _ in range(CRASH_KILLS - len(plan))]
    rng.shuffle(plan)
    return plan


def id_counts(user):
    ids = {}
    for f in dest_files(user):
        with open(f, "rb") as fp:
            i = mail_id(fp.read(200))
        ids[i] = ids.get(i, 0) + 1
    return ids


def crash_down(sdir, state, pending):
    """A start with the destination down and intents left to settle
    there: mailsift starts, the other account delivers, they stay."""
    tf.clear("user1")
    other = [tf.message("other account %d" % i) for i in range(2)]
    tf.load("user1", "INBOX", other)
    down = dest("d", "user2", second=True, host="127.0.0.1",
                port=closed_port())
    conf = tf.write_conf(sdir, [source(sdir, "a", "imaps", "user2",
                                       "imap:d", keep=False), down,
                                source(sdir, "o", "imaps", "user1",
                                       "maildir:" + sdir + "/o")])
    rc, out = tf.run_once(conf)
    ok, why = tf.same(tf.contents(os.path.join(sdir, "o")), other)
    check(ok and "wait for a destination" in out,
          "crash test: with the destination down at start (%d intents "
          "left), mailsift starts and the other account delivers"
          % pending, why + "\n" + out)
    check(tf.pending_intents(state) == pending, "crash test: the "
          "unsettled intents stay while the destination is down",
          tf.pending_intents(state))


def test_crash():
    """kill -9 at seeded points of a 500-message IMAP -> IMAP run
    (keep = no), a start with the destination down, then a full run:
    each message exactly once in the destination."""
    t0 = time.monotonic()
    want = tf.big_mailbox()
    doveadm2("expunge", "-u", "user2", "mailbox", "INBOX", "all")
    sdir = tf.scenario("crash")
    state = os.path.join(sdir, "state.db")
    tap = ByteTap()
    link = SlowLink(tf.MODES["imaps"][2], 1024 * 1024, tap)
    d = dest("d", "user2", second=True)
    conf = tf.write_conf(sdir, [source(sdir, "a", "imaps", "user2",
                                       "imap:d", host="127.0.0.1",
                                       port=link.addr, keep=False), d])
    kills, figures, pending, downs = 0, [], 0, 0
    try:
        for i, (point, n, lag) in enumerate(crash_plan(random.Random(SEED))):
            killed, pending, line = crash_run(conf, state, tap, point, n,
                                              lag)
            kills += killed
            figures.append("%2d %s" % (i + 1, line))
            print("# " + figures[-1])
            # once, half way: a start with the destination down
            if pending > 0 and not downs and i >= CRASH_KILLS // 3:
                downs = pending
                crash_down(sdir, state, pending)
                conf = tf.write_conf(sdir, [source(
                    sdir, "a", "imaps", "user2", "imap:d", host="127.0.0.1",
                    port=link.addr, keep=False), d])
    finally:
        link.close()
    check(kills >= 25, "crash test: %d kill -9 during the run" % kills,
          "\n".join(figures))
    check(downs > 0, "crash test: a kill left intents for the start with "
          "the destination down", "\n".join(figures))
    dups = {k: v for k, v in id_counts("user2").items() if v > 1}
    check(not dups, "crash test: no message twice in the destination "
          "after the kills", dups)

    conf = tf.write_conf(sdir, [source(sdir, "a", "imaps", "user2",
                                       "imap:d", keep=False), d])
    rc, out = tf.run_once(conf)
    ids = id_counts("user2")
    got = tf.contents(maildir2("user2"))
    ok, why = same_stripped(got, want)
    print("# crash test: %d kills, %d messages in the destination, %d "
          "distinct ids, most copies of one: %d; %.0f s" % (
              kills, len(got), len(ids), max(ids.values() or [0]),
              time.monotonic() - t0))
    check(rc == 0 and ok and len(ids) == CRASH_MESSAGES and
          max(ids.values()) == 1 and None not in ids,
          "crash test: then each of the %d messages exactly once in the "
          "destination (by X-Mailsift-Id)" % CRASH_MESSAGES,
          why + "\n" + out[-3000:])
    check(tf.server("user2") == [], "crash test: and gone from the source "
          "(keep = no)", len(tf.server("user2")))
    r = tf.state_rows(state).get(("a", "INBOX"), {})
    check(r.get("delivered") == CRASH_MESSAGES and r.get("pending") == 0,
          "crash test: the state lists %d delivered, none pending"
          % CRASH_MESSAGES, r)


def main():
    os.makedirs(os.path.join(tf.W, "load"))
    tests = [test_check, test_pop3_to_user, test_second_server,
             test_rule_target, test_special_use, test_overquota, test_down_then_up,
             test_crash]
    only = sys.argv[1:]
    try:
        start_second()
        for t in tests:
            if only and t.__name__ not in only:
                continue
            t0 = time.monotonic()
            try:
                t()
            except Exception:
                check(False, "%s ran to its end" % t.__name__,
                      traceback.format_exc())
            print("# %s: %.1f s" % (t.__name__, time.monotonic() - t0))
    except Exception:
        check(False, "the second Dovecot starts", traceback.format_exc())
    finally:
        stop_second()
    print("imapdest: %d passed, %d failed" % (tf.counts["passed"],
                                              tf.counts["failed"]))
    return 1 if tf.counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
