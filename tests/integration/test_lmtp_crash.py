#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_lmtp_crash.py - kill -9 during a 500-message fetch delivered over
LMTP (deliver/lmtp.c: at least once), like test_fetch.py's Maildir crash
test, whose helpers it uses.

user2's INBOX holds the messages; mailsift fetches them over IMAPS
through a SlowLink (about 1 MB/s, so a kill lands in the middle of a
run) with keep = no and delivers them to user3 over Dovecot's LMTP
socket.  It is killed 30 times: in the middle of a batch's LMTP
transfer, right after a batch's last 250 (the window before the record
commit), a little later, and at seeded times before anything arrived.
Every message of a batch whose record did not commit comes again: the
duplicates are those, which is what at least once means here.  Then a full run
without the link.  Checks: every message is in user3's INBOX (nothing
lost), every duplicate carries the same X-Mailsift-Id as its first copy
and the same bytes, the server is empty, the state lists 500 delivered
and none pending.  The duplicate count is printed.  LMTP_CRASH_SEED
changes the kill points.
"""
import collections
import os
import random
import subprocess
import sys
import time
import traceback

import test_fetch as tf
from crashkit import SlowLink, wait_for

E = os.environ
SEED = int(E.get("LMTP_CRASH_SEED", "20261204"))
MESSAGES = 500
KILLS = 30


def arrived(md):
    return len(tf.maildir_files(md))


def split(stored):
    """(X-Mailsift-Id, the message as sent) of a file Dovecot stored
    (its Return-Path, Delivered-To and Received on top of ours)."""
    at = stored.find(b"\nX-Mailsift-Id: ")
    if at == -1:
        return None, stored
    end = stored.index(b"\n", at + 1)
    return stored[at + 16:end].decode("utf-8", "replace"), stored[end + 1:]


def crash_run(conf, md, point, n, lag):
    """One run killed lag seconds after n more messages arrived at the
    LMTP side (point "arrived"), or lag seconds after its start
    ("time"); (killed, a line of figures)."""
    before = arrived(md)
    p = subprocess.Popen([tf.MAILSIFT, "run", "-c", conf, "--once"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    if point == "arrived":
        wait_for(lambda: arrived(md) - before >= n, p, 60)
    time.sleep(lag)
    killed = p.poll() is None
    if killed:
        p.kill()
    p.wait()
    return killed, "%s at %s %2d +%3.0f ms: arrived %3d -> %3d" % (
        "kill" if killed else "ended", point, n, lag * 1000, before,
        arrived(md))


def crash_plan(rng):
    """A batch is 64 messages, recorded in one commit after its last
    250: three kills right after a batch arrived (in that window), four
    a little later (its record usually committed: progress), three at a
    time before the first batch, the others in the middle of a batch's
    transfer (so at most a few batches commit before the end, and each
    run has work)."""
    plan = [("arrived", 64, rng.uniform(0, 0.005)) for _ in range(3)]
    plan += [("arrived", 64, rng.uniform(0.05, 0.3)) for _ in range(4)]
    plan += [("time", 0, rng.uniform(0.05, 0.5)) for _ in range(3)]
    plan += [("arrived", rng.randint(1, 63), rng.uniform(0, 0.002))
             for _ in range(KILLS - len(plan))]
    rng.shuffle(plan)
    return plan


def test_lmtp_crash():
    want = tf.corpus(SEED, MESSAGES)
    tf.clear("user2")
    tf.clear("user3")
    tf.load("user2", "INBOX", want)
    want = tf.server("user2")
    tf.check(len(want) == MESSAGES, "lmtp crash test: %d messages on the "
             "server" % MESSAGES, len(want))
    md = E["MSX_USER3_MAILDIR"]
    sdir = tf.scenario("lmtp-crash")
    state = os.path.join(sdir, "state.db")
    target = "lmtp:user3@" + E["MSX_LMTP_SOCKET"]
    link = SlowLink(tf.MODES["imaps"][2], 1024 * 1024)
    conf = tf.write_conf(sdir, [tf.account(
        sdir, "a", "imaps", "user2", host="127.0.0.1", port=link.addr,
        keep=False, deliver=target)])
    kills, figures = 0, []
    try:
        for i, (point, n, lag) in enumerate(crash_plan(random.Random(SEED))):
            killed, line = crash_run(conf, md, point, n, lag)
            kills += killed
            figures.append("%2d %s" % (i + 1, line))
            print("# " + figures[-1])
    finally:
        link.close()
    conf = tf.write_conf(sdir, [tf.account(sdir, "a", "imaps", "user2",
                                           keep=False, deliver=target)])
    rc, out = tf.run_once(conf)
    last = (tf.stats(out, "a") or {}).get("delivered")
    got = [split(m) for m in tf.contents(md)]
    ids = collections.Counter(k for k, _ in got)
    by_id = collections.defaultdict(set)
    for k, m in got:
        by_id[k].add(tf.digest(m))
    dups = len(got) - len(ids)
    ok, why = tf.same([m for m in {tf.digest(m): m for _, m in got}
                       .values()], want)
    print("# lmtp crash test: %d kills; %d messages stored for %d; %d "
          "duplicates (%d messages came more than once); %s recorded "
          "before the last run, which delivered %s" % (
              kills, len(got), MESSAGES, dups,
              sum(1 for c in ids.values() if c > 1),
              MESSAGES - last if last is not None else "?", last))
    tf.check(kills >= 25, "lmtp crash test: %d kill -9 during the run"
             % kills, "\n".join(figures))
    tf.check(rc == 0 and ok, "lmtp crash test: then every message is in "
             "user3's INBOX (nothing lost)", why + "\n" + out)
    tf.check(None not in ids and len(ids) == MESSAGES and
             all(len(d) == 1 for d in by_id.values()),
             "lmtp crash test: each carries an X-Mailsift-Id, %d distinct; "
             "a duplicate has its first copy's id and bytes" % MESSAGES,
             "%d ids, %d without" % (len(ids), ids.get(None, 0)))
    tf.check(tf.server("user2") == [], "lmtp crash test: and gone from "
             "the server (keep = no)", len(tf.server("user2")))
    r = tf.state_rows(state).get(("a", "INBOX"), {})
    tf.check(r.get("delivered") == MESSAGES and r.get("pending") == 0,
             "lmtp crash test: the state lists %d delivered, none pending"
             % MESSAGES, r)


def main():
    os.makedirs(os.path.join(tf.W, "load"))
    t0 = time.monotonic()
    try:
        test_lmtp_crash()
    except Exception:
        tf.check(False, "test_lmtp_crash ran to its end",
                 traceback.format_exc())
    print("# test_lmtp_crash: %.1f s" % (time.monotonic() - t0))
    print("lmtp-crash: %d passed, %d failed" % (tf.counts["passed"],
                                                tf.counts["failed"]))
    return 1 if tf.counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
