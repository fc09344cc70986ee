#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
bench_cluster.py - the work of bench-cluster.sh (see there), with its
Dovecot up and BC_* variables in the environment: for each K in
DAEMONS, a fresh PostgreSQL, K daemons sharing the N accounts, the
idle cost of the leases, then M messages delivered and measured.
"""
import os
import random
import re
import shlex
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import clusterkit as ck  # noqa: E402

E = os.environ
D = E["BC_DIR"]
N = int(E["BC_N"])
M = int(E.get("M", "2000"))
KS = [int(k) for k in E.get("DAEMONS", "3 1").split()]
READY_SECS = int(E.get("READY_SECS", "300"))
IDLE_SECS = int(E.get("IDLE_SECS", "20"))
LEASE = int(E.get("LEASE", "30"))
DELIVER_SECS = int(E.get("DELIVER_SECS", "600"))
# PostgreSQL 15 flushes a backend's pg_stat_database counters at most
# once a second when busy and within 10 s when idle (PGSTAT_*_INTERVAL).
STATS_FLUSH = 11
MAIL_UID = 8
PGH = os.path.join(TOP, "tests", "integration", "servers-pg.sh")
IDLE_RE = re.compile(r"\b(u\d+): in IDLE")


def say(msg):
    print("bench-cluster: %s" % msg, flush=True)


class Pg:
    """A throwaway PostgreSQL of servers-pg.sh with pg_stat_statements."""

    def __init__(self, k):
        self.dir = os.path.join(D, "pg-%d" % k)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        self.harness("start")
        self.env = {}
        out = self.harness("env")
        for line in out.splitlines():
            name, _, val = line[len("export "):].partition("=")
            self.env[name] = shlex.split(val)[0] if val else ""
        self.admin("ALTER SYSTEM SET shared_preload_libraries = "
                   "'pg_stat_statements'")
        self.harness("restart")
        self.admin("CREATE EXTENSION pg_stat_statements")

    def harness(self, cmd):
        p = subprocess.run(["sh", PGH, cmd, self.dir], capture_output=True,
                           timeout=180)
        if p.returncode != 0:
            raise RuntimeError("servers-pg.sh %s: %s" % (
                cmd, p.stderr.decode("utf-8", "replace").strip()))
        return p.stdout.decode()

    def admin(self, sql):
        p = subprocess.run([os.path.join(self.env["MSX_PG_BIN"], "psql"),
                            "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                            "-d", self.env["MSX_PG_ADMIN_URL"], "-c", sql],
                           capture_output=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("psql: %s" % p.stderr.decode(
                "utf-8", "replace").strip())
        return p.stdout.decode().strip()

    def stats(self):
        """Counters now: commits, rows written, rows read, WAL bytes,
        statements run by the role mailsift."""
        row = self.admin(
            "SELECT d.xact_commit, d.tup_inserted + d.tup_updated + "
            "d.tup_deleted, d.tup_returned + d.tup_fetched, "
            "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0'), "
            "(SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s "
            "JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = "
            "'mailsift') FROM pg_stat_database d WHERE d.datname = "
            "'mailsift'")
        v = [float(x) for x in row.split("|")]
        return {"t": time.monotonic(), "commits": v[0], "written": v[1],
                "read": v[2], "wal": v[3], "stmts": v[4]}

    def stop(self):
        self.harness("stop")


def tree_cpu(root):
    """CPU seconds of a server: its master (with the children it reaped)
    and every live process below it."""
    kids = {}
    me = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                v = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(v[1]), []).append(int(d))
        me[int(d)] = v
    total = 0.0
    todo = [root]
    while todo:
        pid = todo.pop()
        v = me.get(pid)
        if v is None:
            continue
        total += int(v[11]) + int(v[12])
        if pid == root:
            total += int(v[13]) + int(v[14])
        todo.extend(kids.get(pid, []))
    return total / ck.TICK


def server_pids(pg):
    """The postmaster and Dovecot's master."""
    with open(os.path.join(pg.dir, "pg", "data", "postmaster.pid")) as f:
        post = int(f.readline())
    with open(os.path.join(D, "run", "master.pid")) as f:
        dove = int(f.read().strip())
    return post, dove


def delta(a, b):
    return {k: b[k] - a[k] for k in a}


def write_conf(pg, k):
    w = os.path.join(D, "k%d" % k)
    os.makedirs(w)
    head = ('state = "%s"\nlease-time = %d\nlog-level = debug\n'
            'poll = 3600\nparallel = 64\n' % (pg.env["MSX_PG_URL"], LEASE))
    blocks = []
    for i in range(1, N + 1):
        out = os.path.join(w, "out", "u%d" % i)
        ck.make_maildir(out)
        blocks.append(ck.account_block("u%d" % i, "imap", E["BC_PORT"],
                                       E["BC_CA"], "u%d" % i, "pw%d" % i,
                                       out))
    conf = os.path.join(w, "mailsift.conf")
    ck.write_conf(conf, head, blocks)
    return w, conf


def in_idle(daemons):
    """Accounts that reached IDLE in any daemon's log."""
    seen = set()
    for d in daemons:
        with open(d.log, "rb") as f:
            seen.update(IDLE_RE.findall(f.read().decode("utf-8",
                                                        "replace")))
    return seen


def inject(k):
    """M messages into random accounts' INBOX, written as an MDA does
    (tmp/ then new/, owned by the mail user); Dovecot's IDLE sees them
    at once."""
    ids = []
    base = os.path.join(D, "mail")
    for n in range(M):
        u = "u%d" % random.randint(1, N)
        mid = "<bench-%d-%d@cluster.test>" % (k, n)
        data = ("From: b@example.test\nTo: %s@example.test\nSubject: "
                "bench %d\nMessage-ID: %s\n\nhello %d\n" % (u, n, mid,
                                                          n)).encode()
        md = os.path.join(base, u, "Maildir")
        name = "%d.M%dP%d.bench,S=%d" % (time.time(), n, os.getpid(),
                                         len(data))
        tmp = os.path.join(md, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.chown(tmp, MAIL_UID, MAIL_UID)
        os.rename(tmp, os.path.join(md, "new", name))
        ids.append(mid)
    return ids


def count_out(outs):
    return sum(len(os.listdir(os.path.join(o, s))) for o in outs
               for s in ("new", "cur"))


def prepare_mail():
    """Every user's Maildir, made before any login so inject() can write
    into it."""
    for i in range(1, N + 1):
        home = os.path.join(D, "mail", "u%d" % i)
        ck.make_maildir(os.path.join(home, "Maildir"))
        for dp, _, _ in os.walk(home):
            os.chown(dp, MAIL_UID, MAIL_UID)


def clear_mail():
    """The next run starts with empty INBOXes: what this one delivered
    would be a first sync for the next state."""
    for i in range(1, N + 1):
        for sub in ("new", "cur"):
            d = os.path.join(D, "mail", "u%d" % i, "Maildir", sub)
            for name in os.listdir(d):
                os.unlink(os.path.join(d, name))


def run_k(k):
    pg = Pg(k)
    w, conf = write_conf(pg, k)
    outs = [os.path.join(w, "out", "u%d" % i) for i in range(1, N + 1)]
    ds = [ck.Daemon(conf, "b%d" % j, w) for j in range(1, k + 1)]
    nodes = [d.node for d in ds]
    r = {"k": k}
    t0 = time.monotonic()
    try:
        for d in ds:
            d.start()

        def ready():
            h = ck.leases(conf, timeout=60)
            if h is None:
                return False
            per, other = ck.spread(h, nodes)
            even = max(per.values()) - min(per.values()) <= max(2, N // k //
                                                                10)
            return other == 0 and even and len(in_idle(ds)) >= N
        ok, el = ck.wait_for(ready, READY_SECS, step=2)
        r["ready"] = el if ok else None
        for d in ds:
            if not d.alive():
                with open(d.log, "rb") as f:
                    tail = f.read().decode("utf-8", "replace")
                say("%s exited (%s): %s" % (d.node, d.proc.returncode,
                                            tail.strip()[-300:]))
        h = ck.leases(conf, timeout=60) or {}
        r["spread"] = ck.spread(h, nodes)[0]
        time.sleep(STATS_FLUSH)
        s0, c0 = pg.stats(), [d.cpu_rss()[0] for d in ds]
        time.sleep(IDLE_SECS)
        s1, c1 = pg.stats(), [d.cpu_rss()[0] for d in ds]
        idle = delta(s0, s1)
        r["idle_rate"] = {x: idle[x] / idle["t"] for x in idle if x != "t"}
        r["idle_cpu"] = 100.0 * sum(b - a for a, b in zip(c0, c1)) / idle["t"]
        before = count_out(outs)
        s2, c2 = pg.stats(), [d.cpu_rss()[0] for d in ds]
        post, dove = server_pids(pg)
        p2, v2 = tree_cpu(post), tree_cpu(dove)
        ids = inject(k)
        t_in = time.monotonic()
        ok, el = ck.wait_for(lambda: count_out(outs) - before >= M,
                             DELIVER_SECS, step=0.2)
        t_done = time.monotonic()
        r["secs"] = t_done - s2["t"]
        r["inject_secs"] = t_in - s2["t"]
        r["delivered"] = count_out(outs) - before
        c3 = [d.cpu_rss() for d in ds]
        r["pg_cpu"] = tree_cpu(post) - p2
        r["dove_cpu"] = tree_cpu(dove) - v2
        time.sleep(STATS_FLUSH)
        s3 = pg.stats()
        busy = delta(s2, s3)
        # the leases' own cost over the same time, taken out
        net = {x: busy[x] - r["idle_rate"][x] * busy["t"]
               for x in busy if x != "t"}
        r["net"] = net
        r["commits_s"] = net["commits"] / r["secs"] + r["idle_rate"][
            "commits"]
        r["cpu"] = [b[0] - a for a, b in zip(c2, c3)]
        r["rss"] = [b[1] for b in c3]
        got = ck.delivered(outs)
        missing, twice, _ = ck.exactly_once(ids, got)
        r["missing"], r["twice"] = len(missing), len(twice)
    finally:
        for d in ds:
            d.signal(15)
        for d in ds:
            if d.wait(60) is None:
                d.kill()
        pg.stop()
        clear_mail()
    r["total"] = time.monotonic() - t0
    return r


def report(rs):
    say("N=%d accounts, M=%d messages, lease-time %d s, %d CPUs" %
        (N, M, LEASE, os.cpu_count()))
    rows = [("daemons", lambda r: "%d" % r["k"]),
            ("all held, even, in IDLE after", lambda r: "%.0f s" % r["ready"]
             if r["ready"] is not None else "not in %d s" % READY_SECS),
            ("accounts per daemon", lambda r: " ".join(
                str(v) for v in r["spread"].values())),
            ("idle: PG commits/s (leases)",
             lambda r: "%.1f" % r["idle_rate"]["commits"]),
            ("idle: statements/s", lambda r: "%.1f" % r["idle_rate"]["stmts"]),
            ("idle: rows written/s",
             lambda r: "%.1f" % r["idle_rate"]["written"]),
            ("idle: WAL bytes/s", lambda r: "%.0f" % r["idle_rate"]["wal"]),
            ("idle: daemons' CPU", lambda r: "%.1f %%" % r["idle_cpu"]),
            ("delivered", lambda r: "%d of %d in %.1f s" % (
                r["delivered"], M, r["secs"])),
            ("messages/s delivered", lambda r: "%.1f" % (
                r["delivered"] / r["secs"])),
            ("PG commits/s while delivering",
             lambda r: "%.1f" % r["commits_s"]),
            ("commits per message", lambda r: "%.2f" % (
                r["net"]["commits"] / M)),
            ("statements per message", lambda r: "%.1f" % (
                r["net"]["stmts"] / M)),
            ("rows written per message", lambda r: "%.1f" % (
                r["net"]["written"] / M)),
            ("WAL bytes per message", lambda r: "%.0f" % (
                r["net"]["wal"] / M)),
            ("daemon CPU per message", lambda r: "%.2f ms" % (
                1000.0 * sum(r["cpu"]) / M)),
            ("PostgreSQL CPU per message", lambda r: "%.2f ms" % (
                1000.0 * r["pg_cpu"] / M)),
            ("Dovecot CPU per message", lambda r: "%.2f ms" % (
                1000.0 * r["dove_cpu"] / M)),
            ("daemon RSS", lambda r: " ".join(
                "%.0f MB" % (x / 1048576.0) for x in r["rss"])),
            ("missing / twice", lambda r: "%d / %d" % (r["missing"],
                                                       r["twice"]))]
    for name, fn in rows:
        print("  %-32s %s" % (name, "  |  ".join(fn(r) for r in rs)),
              flush=True)


def main():
    prepare_mail()
    rs = []
    for k in KS:
        say("%d daemon(s): starting" % k)
        r = run_k(k)
        say("%d daemon(s): done in %.0f s" % (k, r["total"]))
        rs.append(r)
    report(rs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
