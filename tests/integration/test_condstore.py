#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_condstore.py - CONDSTORE and QRESYNC (RFC 7162) against the real
Dovecot of servers.sh: a poll of an unchanged folder sends no SEARCH and
no FETCH; a new message, a flag change and a new UIDVALIDITY are still
seen; a message that arrives while a round runs is never lost; a round
killed before its end records no sync point; a state file of the
mailsift before, a forgotten message and `condstore = no` take the full
pass.  What mailsift sent is read from its -vv protocol trace.

Started by test-condstore.sh with the servers up; uses test_fetch.py's
helpers.  Ends with "condstore: N passed, N failed".
"""
import os
import signal
import sqlite3
import subprocess
import sys
import time
import traceback

import test_fetch as tf
from crashkit import SlowLink, wait_for

tf.W = os.path.join(tf.D, "condstore")
check = tf.check
USER = "user2"


def sent(out):
    """The commands mailsift sent, from its trace, without tags."""
    cmds = []
    for line in out.splitlines():
        i = line.find("[trace]: imap ")
        if i == -1:
            continue
        rest = line[i:].split(" > ", 1)
        if len(rest) == 2 and " " in rest[1]:
            cmds.append(rest[1].split(" ", 1)[1])
    return cmds


def has(cmds, prefix):
    return [c for c in cmds if c.upper().startswith(prefix)]


def noop_ok(cmds):
    """A poll that looked at the folder without searching or fetching."""
    return (has(cmds, "STATUS") and not has(cmds, "UID SEARCH") and
            not has(cmds, "UID FETCH") and not has(cmds, "SELECT") and
            not has(cmds, "EXAMINE"))


def sync_row(sdir, folder="INBOX"):
    db = sqlite3.connect(os.path.join(sdir, "state.db"))
    try:
        return db.execute("SELECT uidvalidity, highestmodseq, uidnext "
                          "FROM folder_sync WHERE folder = ?",
                          (folder,)).fetchone()
    finally:
        db.close()


def setup(name, n, **opts):
    tf.clear(USER)
    msgs = [tf.message("%s %d" % (name, i)) for i in range(n)]
    tf.load(USER, "INBOX", msgs)
    sdir = tf.scenario(name)
    conf = tf.write_conf(sdir, [tf.account(sdir, "a", "imaps", USER,
                                           **opts)])
    return sdir, conf, os.path.join(sdir, "a")


def run(conf):
    rc, out = tf.run_once(conf, "-vv")
    return rc, out, sent(out)


def test_noop_and_new():
    sdir, conf, md = setup("noop", 3)
    rc, out, cmds = run(conf)
    ok, why = tf.same(tf.contents(md), tf.server(USER))
    check(rc == 0 and ok and has(cmds, "ENABLE QRESYNC"),
          "first round: ENABLE QRESYNC, all 3 delivered", why + "\n" + out)
    row = sync_row(sdir)
    check(row is not None and row[1] > 0, "first round: the sync point "
          "(UIDVALIDITY, HIGHESTMODSEQ, UIDNEXT) is recorded", row)
    rc, out, cmds = run(conf)
    check(rc == 0 and noop_ok(cmds), "no-op poll: STATUS only, no SELECT, "
          "no UID SEARCH, no UID FETCH", "\n".join(cmds))
    new = [tf.message("arrived later")]
    want = tf.server(USER) + new
    tf.load(USER, "INBOX", new)
    rc, out, cmds = run(conf)
    ok, why = tf.same(tf.contents(md), want)
    check(rc == 0 and ok and not has(cmds, "UID SEARCH") and
          has(cmds, "EXAMINE \"INBOX\" (QRESYNC ("),
          "a new message in an otherwise unchanged folder: delivered, "
          "found through QRESYNC without UID SEARCH", why + "\n" + out)
    rc, out, cmds = run(conf)
    ok, why = tf.same(tf.contents(md), want)
    check(rc == 0 and ok and noop_ok(cmds), "and the poll after it is a "
          "no-op again", "\n".join(cmds))
    # our own flags move HIGHESTMODSEQ: the round after looks, finds
    # nothing to fetch, and the one after that is a no-op
    sdir2 = tf.scenario("noop-delete")
    conf2 = tf.write_conf(sdir2, [tf.account(sdir2, "a", "imaps", USER,
                                             keep=False)])
    md2 = os.path.join(sdir2, "a")
    rc, out, cmds = run(conf2)
    rc2, out2, cmds2 = run(conf2)
    rc3, out3, cmds3 = run(conf2)
    ok, why = tf.same(tf.contents(md2), want)
    check(rc == 0 and rc2 == 0 and rc3 == 0 and ok and
          tf.server(USER) == [] and not has(cmds2, "UID SEARCH") and
          noop_ok(cmds3), "keep = no: delivered, deleted; the next round "
          "sees only its own changes, the one after is a no-op",
          why + "\n" + "\n".join(cmds2 + ["--"] + cmds3))


def test_flag_change():
    """only-unseen: a \\Seen message marked unseen is fetched next time,
    found through what changed, not a search."""
    tf.clear(USER)
    read = tf.message("read one", headers=b"X-Mark: read\n")
    new = tf.message("new one", headers=b"X-Mark: new\n")
    tf.load(USER, "INBOX", [read, new])
    tf.doveadm("flags", "add", "-u", USER, "\\Seen", "mailbox", "INBOX",
               "header", "X-Mark", "read")
    sdir = tf.scenario("flags")
    conf = tf.write_conf(sdir, [tf.account(sdir, "a", "imaps", USER,
                                           only_unseen=True)])
    md = os.path.join(sdir, "a")
    rc, out, cmds = run(conf)
    ok, why = tf.same(tf.contents(md), [new])
    check(rc == 0 and ok, "only-unseen: the unseen one is delivered",
          why + "\n" + out)
    run(conf)       # sees its own \Seen
    rc, out, cmds = run(conf)
    check(rc == 0 and noop_ok(cmds), "only-unseen: then a no-op poll",
          "\n".join(cmds))
    tf.doveadm("flags", "remove", "-u", USER, "\\Seen", "mailbox", "INBOX",
               "header", "X-Mark", "read")
    rc, out, cmds = run(conf)
    ok, why = tf.same(tf.contents(md), [new, read])
    check(rc == 0 and ok and not has(cmds, "UID SEARCH"),
          "a flag change (\\Seen removed on the server) is seen: the "
          "message is fetched, without UID SEARCH", why + "\n" + out)
    # a point of an only-unseen round says nothing of the seen messages
    conf = tf.write_conf(sdir, [tf.account(sdir, "a", "imaps", USER,
                                           only_unseen=False)])
    tf.load(USER, "INBOX", [tf.message("seen before", headers=b"X-S: 1\n")])
    tf.doveadm("flags", "add", "-u", USER, "\\Seen", "mailbox", "INBOX",
               "header", "X-S", "1")
    rc, out, cmds = run(conf)
    ok, why = tf.same(tf.contents(md), tf.server(USER))
    check(rc == 0 and ok and has(cmds, "UID SEARCH ALL"),
          "only-unseen turned off: the full pass, the seen message too",
          why + "\n" + "\n".join(cmds))


def test_uidvalidity():
    sdir, conf, md = setup("uidvalidity", 2)
    run(conf)
    before = sync_row(sdir)
    uv = int(tf.doveadm("mailbox", "status", "-u", USER, "uidvalidity",
                        "INBOX").split("=")[1])
    tf.doveadm("mailbox", "update", "-u", USER, "--uid-validity",
               str(uv + 7), "INBOX")
    rc, out, cmds = run(conf)
    check(rc == 0 and has(cmds, "UID SEARCH") and
          "UIDVALIDITY changed" in out and tf.contents(md) and
          len(tf.contents(md)) == 2, "a new UIDVALIDITY (nothing else "
          "changed): the full pass, nothing delivered again",
          "\n".join(cmds) + "\n" + out)
    row = sync_row(sdir)
    check(before is not None and row is not None and row[0] == uv + 7,
          "... and the point is recorded with the new UIDVALIDITY",
          "%s -> %s" % (before, row))
    new = [tf.message("after the reset")]
    want = tf.server(USER) + new
    tf.load(USER, "INBOX", new)
    rc, out, cmds = run(conf)
    ok, why = tf.same(tf.contents(md), want)
    check(rc == 0 and ok, "then a new message is delivered", why)


def test_full_pass_cases():
    sdir, conf, md = setup("oldstate", 3)
    run(conf)
    state = os.path.join(sdir, "state.db")
    db = sqlite3.connect(state)
    db.executescript("DROP TABLE folder_sync; DROP TABLE provider_msgid; "
                   "PRAGMA user_version=2;")
    db.close()
    rc, out, cmds = run(conf)
    db = sqlite3.connect(state)
    v = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    check(rc == 0 and v == 8 and has(cmds, "UID SEARCH") and
          len(tf.contents(md)) == 3, "a state file of schema 2 (the "
          "mailsift before): upgraded to 7, a full pass, nothing again",
          "v%s\n%s" % (v, out))
    rc, out, cmds = run(conf)
    check(rc == 0 and noop_ok(cmds), "... then no-op polls",
          "\n".join(cmds))
    # `state forget` of one message: fetched again, not skipped
    uid = tf.doveadm("search", "-u", USER, "mailbox", "INBOX",
                     "all").split()[1]
    rc1, out1 = tf.mailsift("state", "forget", "-s", state, "--account",
                            "a", "--folder", "INBOX", "--uid", uid)
    rc, out, cmds = run(conf)
    check(rc1 == 0 and rc == 0 and len(tf.contents(md)) == 4,
          "a forgotten message is fetched again on the next poll",
          out1 + out)
    # condstore = no: the plain pass every time
    conf = tf.write_conf(sdir, [tf.account(sdir, "a", "imaps", USER,
                                           condstore=False)])
    rc, out, cmds = run(conf)
    check(rc == 0 and has(cmds, "UID SEARCH ALL") and
          not has(cmds, "STATUS") and not has(cmds, "ENABLE QRESYNC") and
          len(tf.contents(md)) == 4, "condstore = no: no ENABLE QRESYNC, "
          "no STATUS, the UID SEARCH pass", "\n".join(cmds))


def slow_setup(name, n):
    tf.clear(USER)
    rng = tf.random.Random(tf.SEED)
    msgs = [tf.message("%s %d" % (name, i), tf.filler(rng, 10000))
            for i in range(n)]
    tf.load(USER, "INBOX", msgs)
    link = SlowLink(tf.MODES["imaps"][2], 150 * 1024)
    sdir = tf.scenario(name)
    conf = tf.write_conf(sdir, [tf.account(sdir, "a", "imaps", USER,
                                           host="127.0.0.1",
                                           port=link.addr)])
    return link, sdir, conf, os.path.join(sdir, "a")


def test_arrival_during_round():
    """The point recorded is the SELECT's: a message that comes while the
    round fetches is delivered, this round or the next."""
    link, sdir, conf, md = slow_setup("arrival", 40)
    try:
        p = subprocess.Popen([tf.MAILSIFT, "run", "-c", conf, "--once"],
                             stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
        started = wait_for(lambda: tf.staged(md) > 0, p, 60)
        late = [tf.message("arrived mid-round")]
        tf.load(USER, "INBOX", late)
        _, err = p.communicate(timeout=120)
        rc, out = tf.run_once(conf)
        rc2, out2, cmds = run(conf)
    finally:
        link.close()
    ok, why = tf.same(tf.contents(md), tf.server(USER))
    check(started and p.returncode == 0 and rc == 0 and ok and
          len(tf.server(USER)) == 41, "a message that arrives while a "
          "round fetches: delivered (all 41, each once)",
          why + "\n" + err.decode("utf-8", "replace") + out)
    check(rc2 == 0 and noop_ok(cmds), "... and then a no-op poll",
          "\n".join(cmds))


def test_killed_round():
    """A round killed before its end records no sync point: the next
    round takes the full pass and delivers the rest."""
    link, sdir, conf, md = slow_setup("killed", 40)
    try:
        p = subprocess.Popen([tf.MAILSIFT, "run", "-c", conf, "--once"],
                             stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL)
        started = wait_for(lambda: tf.staged(md) > 0, p, 60)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        row = sync_row(sdir)
        rc, out, cmds = run(conf)
    finally:
        link.close()
    ok, why = tf.same(tf.contents(md), tf.server(USER))
    check(started and row is None, "killed mid-round: no sync point "
          "recorded", row)
    check(rc == 0 and ok and has(cmds, "UID SEARCH"), "the next round: "
          "the full pass, every message once", why + "\n" + out)


def main():
    os.makedirs(os.path.join(tf.W, "load"))
    tests = [test_noop_and_new, test_flag_change, test_uidvalidity,
             test_full_pass_cases, test_arrival_during_round,
             test_killed_round]
    only = sys.argv[1:]
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
    leaks = sorted({s for s in tf.secrets() for log in tf.LOGS if s in log})
    check(not leaks, "no output holds a password", leaks)
    print("condstore: %d passed, %d failed" % (tf.counts["passed"],
                                               tf.counts["failed"]))
    return 1 if tf.counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
