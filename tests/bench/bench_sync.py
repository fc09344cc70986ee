#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
bench_sync.py - the work of bench-sync.sh (see there), with the servers
of servers.sh up and their MSX_* variables in the environment.
"""
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import time

E = os.environ
D = E["MSX_DIR"]
COUNT = int(E.get("COUNT", "100000"))
RUNS = int(E.get("RUNS", "5"))
TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MAILSIFT = os.path.join(TOP, "mailsift")
MAIL_UID = 8    # servers.sh: Debian's `mail`
W = os.path.join(D, "bench-sync")


def die(msg):
    print("bench-sync: " + msg, file=sys.stderr)
    sys.exit(1)


def doveadm(*args):
    p = subprocess.run(["doveadm", "-c", E["MSX_DOVECOT_CONF"]] +
                       list(args), capture_output=True, timeout=1800)
    if p.returncode != 0:
        die("doveadm %s: %s" % (" ".join(args), p.stderr.decode()))
    return p.stdout.decode()


def load(n):
    """n small messages into user1's INBOX, written as Dovecot's own
    `save` would (LF, owned by mail, the size in ",S=")."""
    md = E["MSX_USER1_MAILDIR"]
    for i in range(n):
        data = (b"From: Bench <bench@example.test>\nTo: user1@example.test\n"
                b"Subject: message %d\nMessage-ID: <%d.sync@bench.test>\n\n"
                b"Body of message %d.\n" % (i, i, i))
        name = "1700000000.M%dP1.bench,S=%d:2," % (i, len(data))
        tmp = os.path.join(md, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.chown(tmp, MAIL_UID, MAIL_UID)
        os.rename(tmp, os.path.join(md, "cur", name))


def conf(path, condstore):
    with open(path, "w") as f:
        f.write("state = '%s'\n" % os.path.join(W, "state.db"))
        f.write("account 'a' {\n\ttype = imap\n\thost = localhost\n"
                "\tport = %s\n\ttls = implicit\n\ttls-ca-file = '%s'\n"
                "\tuser = user1\n\tpassword = '%s'\n\tdeliver = "
                "'maildir:%s'\n\tcondstore = %s\n}\n" %
                (E["MSX_IMAPS_PORT"], E["MSX_CA"], E["MSX_USER1_PASS"],
                 os.path.join(W, "out"), "true" if condstore else "false"))
    os.chmod(path, 0o600)
    return path


def poll(path):
    """One `mailsift run --once`: (wall, cpu, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run([MAILSIFT, "run", "-c", path, "--once"],
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=600)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime -
                                                before.ru_stime)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    if p.returncode != 0:
        die("a poll failed:\n" + out)
    return wall, cpu, out


def fetched(out):
    m = re.search(r"a: fetched (\d+)", out)
    return int(m.group(1)) if m else -1


def state_known(uids):
    """The state a first round leaves: every UID delivered."""
    db = sqlite3.connect(os.path.join(W, "state.db"))
    with db:
        fid = db.execute("SELECT id FROM folder WHERE account = 'a' AND "
                         "name = 'INBOX'").fetchone()[0]
        now = int(time.time())
        db.executemany("INSERT INTO message (folder_id, uid, status, size,"
                       " time) VALUES (?, ?, 'delivered', 100, ?)",
                       ((fid, u, now) for u in uids))
    db.close()


def main():
    os.makedirs(W)
    on = conf(os.path.join(W, "on.conf"), True)
    off = conf(os.path.join(W, "off.conf"), False)
    # the folder and its UIDVALIDITY in the state, before the mail
    poll(off)
    t0 = time.monotonic()
    load(COUNT)
    doveadm("force-resync", "-u", "user1", "INBOX")
    uids = [int(line.split()[1]) for line in
            doveadm("search", "-u", "user1", "mailbox", "INBOX",
                    "all").splitlines() if line.strip()]
    if len(uids) != COUNT:
        die("%d messages in INBOX, not %d" % (len(uids), COUNT))
    state_known(uids)
    print("bench-sync: %d messages loaded and recorded in %.0f s" %
          (COUNT, time.monotonic() - t0))
    # untimed: the full pass that records the sync point, and a warm-up
    # of each kind (Dovecot's caches, the page cache)
    for path in (on, on, off):
        _, _, out = poll(path)
        if fetched(out) != 0:
            die("a warm-up round fetched something:\n" + out)
    res = {"condstore": [], "plain": []}
    for _ in range(RUNS):
        for kind, path in (("condstore", on), ("plain", off)):
            wall, cpu, out = poll(path)
            if fetched(out) != 0:
                die("a no-op poll fetched something:\n" + out)
            res[kind].append((wall, cpu))
    report("no-op poll", res)
    # one new message each time: found through QRESYNC, or by a search
    res = {"condstore": [], "plain": []}
    for i in range(RUNS):
        for kind, path in (("condstore", on), ("plain", off)):
            new = os.path.join(W, "new.eml")
            with open(new, "wb") as f:
                f.write(b"From: b@example.test\nSubject: new %d %s\n\n"
                        b"x\n" % (i, kind.encode()))
            with open(new, "rb") as f:
                subprocess.run(["doveadm", "-c", E["MSX_DOVECOT_CONF"],
                                "save", "-u", "user1", "-m", "INBOX"],
                               stdin=f, check=True, timeout=60)
            wall, cpu, out = poll(path)
            if fetched(out) != 1:
                die("a poll after one new message fetched %d:\n%s" %
                    (fetched(out), out))
            res[kind].append((wall, cpu))
    report("poll with one new message", res)


def report(what, res):
    med = {k: (statistics.median(w for w, _ in v),
               statistics.median(c for _, c in v)) for k, v in res.items()}
    print("bench-sync: %s of a %d-message folder, median of %d runs "
          "(mailsift's wall and CPU)" % (what, COUNT, RUNS))
    print("  %-28s %9s %9s" % ("", "wall s", "CPU s"))
    for k, label in (("condstore", "CONDSTORE/QRESYNC"),
                     ("plain", "plain (UID SEARCH ALL)")):
        print("  %-28s %9.3f %9.3f" % (label, med[k][0], med[k][1]))
    print("  %-28s %8.1fx %8.1fx" % ("plain / CONDSTORE",
                                     med["plain"][0] / med["condstore"][0],
                                     med["plain"][1] /
                                     max(med["condstore"][1], 1e-6)))
    for k in res:
        print("  # %s runs (wall/CPU): %s" % (k, " ".join(
            "%.3f/%.3f" % r for r in res[k])))


if __name__ == "__main__":
    main()
