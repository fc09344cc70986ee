#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_cluster.py - the work of test-cluster.sh (see there): three, then
four `mailsift run` daemons with one configuration share 60 accounts
of a real Dovecot through the leases of a real PostgreSQL, while mail
is injected over LMTP throughout and a rule auto-replies (through the
real Postfix) to one message in four.

Scenarios, in order, each with its checks: even spread; kill -9 of a
daemon (its accounts held by the others again within 3 lease times);
SIGSTOP of a daemon past its lease, then SIGCONT (no message linked
into a Maildir by it between the STOP and its first new lease);
PostgreSQL restarted (the daemons carry on); a fourth daemon joins
(about 15 each).  Over all: every injected message in the Maildirs
exactly once, SIGTERM ends every daemon with 0 and gives its leases
back, a `run --once` then sends what the outbox still held, and every
asked reply is in user6's INBOX exactly once.  Waits are bounds;
the one timing asserted is the takeover bound the issue sets (the lease
time plus a margin), with the measured figure printed.

Environment: servers-cluster.sh's variables (servers.sh's and
servers-pg.sh's, and MSX_PG_HARNESS, the DIR to restart PostgreSQL
in), CLUSTER_LEASE (seconds, 6), CLUSTER_ACCOUNTS (60, of which
CLUSTER_POP3 (4) are POP3), CLUSTER_RATE (messages/s injected, 3).
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clusterkit as ck  # noqa: E402

E = os.environ
D = E["MSX_DIR"]
W = os.path.join(D, "cluster")
LEASE = int(E.get("CLUSTER_LEASE", "6"))
N = int(E.get("CLUSTER_ACCOUNTS", "60"))
NPOP = int(E.get("CLUSTER_POP3", "4"))
RATE = float(E.get("CLUSTER_RATE", "3"))
ACCTS = ["c%d" % i for i in range(1, N + 1)]
NODES = ["d1", "d2", "d3", "d4"]
MAIL_UID = 8
TAKEOVER_BOUND = 3 * LEASE
# A daemon gives back an IDLE account when that account's round ends,
# which is when mail comes (here every ~N/RATE s per account): the
# longest wait for a new spread.
BALANCE_BOUND = 20 * LEASE

passed = 0
failed = 0
figures = []


def check(ok, desc):
    global passed, failed
    if ok:
        passed += 1
        print("ok - %s" % desc, flush=True)
    else:
        failed += 1
        print("not ok - %s" % desc, flush=True)
    return ok


def figure(text):
    figures.append(text)
    print("# %s" % text, flush=True)


def tol(n_nodes):
    """How far from accounts/daemons a daemon may be and still count
    as its share: a tenth of the share, at least 2."""
    return max(2, N // n_nodes // 10)


# --- setup ------------------------------------------------------------

def add_users():
    """Dovecot users c1..cN (its passwd-file is read again when it
    changes), each with an empty Maildir."""
    with open(os.path.join(D, "users"), "a") as f:
        for a in ACCTS:
            home = os.path.join(D, "mail", a)
            ck.make_maildir(os.path.join(home, "Maildir"))
            for dp, dn, _ in os.walk(home):
                os.chown(dp, MAIL_UID, MAIL_UID)
            f.write("%s:{PLAIN}%s-pw:%d:%d::%s::\n" % (a, a, MAIL_UID,
                                                     MAIL_UID, home))


def postfix_detail():
    """user6+DETAIL@example.test reaches user6: every message gets a
    sender of its own, so the reply rule's once-per-sender limit never
    hides a reply this test expects."""
    pf = E["MSX_POSTFIX_DIR"]
    for cmd in (["postconf", "-c", pf, "-e", "recipient_delimiter=+"],
                ["postfix", "-c", pf, "reload"]):
        p = subprocess.run(cmd, capture_output=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(cmd),
                                           p.stderr.decode().strip()))


def write_rules():
    path = os.path.join(W, "rules.yaml")
    with open(path, "w") as f:
        f.write("version: 1\nrules:\n  - name: ask\n"
                "    when: { subject: '^ask ' }\n    do:\n"
                "      - reply: { from: 'cluster@example.test', "
                "subject: 'Re: {subject}', body: \"Noted.\", every: 7d }\n")
    return path


def write_config():
    rules = write_rules()
    head = ('state = "%s"\nlease-time = %d\nlog-level = info\npoll = 300\n'
            'smtp out {\n\thost = "localhost"\n\tport = %s\n'
            '\ttls = starttls\n\ttls-ca-file = "%s"\n\tuser = "user1"\n'
            '\tpassword = \'user1-secret\'\n'
            '\tfrom = "cluster@example.test"\n}\n' %
            (E["MSX_PG_URL"], LEASE, E["MSX_SUBMISSION_PORT"], E["MSX_CA"]))
    blocks = []
    for i, a in enumerate(ACCTS):
        pop = i >= N - NPOP
        out = os.path.join(W, "out", a)
        ck.make_maildir(out)
        blocks.append(ck.account_block(
            a, "pop3" if pop else "imap",
            E["MSX_POP3S_PORT"] if pop else E["MSX_IMAPS_PORT"],
            E["MSX_CA"], a, a + "-pw", out,
            '\trules = "%s"\n\tsmtp = "out"\n' % rules))
    conf = os.path.join(W, "mailsift.conf")
    ck.write_conf(conf, head, blocks)
    return conf


# --- helpers ----------------------------------------------------------

class Cluster:
    def __init__(self, conf):
        self.conf = conf
        self.d = {n: ck.Daemon(conf, n, W) for n in NODES}
        self.status_fail = 0

    def live(self):
        return [n for n in NODES if self.d[n].alive()]

    def held(self):
        h = ck.leases(self.conf)
        if h is None:
            self.status_fail += 1
        return h

    def balanced(self, nodes):
        """The spread if every account is held by one of nodes, each
        within its share's tolerance; else None."""
        h = self.held()
        if h is None or len(h) != N:
            return None
        per, other = ck.spread(h, nodes)
        share = N / len(nodes)
        if other or any(abs(c - share) > tol(len(nodes))
                        for c in per.values()):
            return None
        return per

    def all_held_by(self, nodes, accts):
        h = self.held()
        if h is None:
            return False
        return all(h.get(a) in nodes for a in accts)

    def holding(self, node):
        h = self.held() or {}
        return sorted(a for a, n in h.items() if n == node)


def by_pid_since(roots, pid, since, until=None):
    """Messages pid linked into the Maildirs at or after since (and
    before until): their ctime, which is the link into new/, not the
    write of tmp/."""
    n = 0
    for r in roots:
        for p in ck.maildir_files(r):
            if "P%dQ" % pid not in os.path.basename(p):
                continue
            try:
                t = os.stat(p).st_ctime
            except FileNotFoundError:
                continue
            if t >= since and (until is None or t < until):
                n += 1
    return n


OUTS = None


# --- scenarios --------------------------------------------------------

def scenario_spread(c, t0):
    nodes = NODES[:3]
    per, el = ck.wait_for(lambda: c.balanced(nodes), BALANCE_BOUND)
    figure("spread of %d accounts over 3 daemons after %.1f s: %s" %
           (N, time.monotonic() - t0, per or c.held() and
            ck.spread(c.held(), nodes)))
    check(per is not None, "a: even spread, each daemon holds %d +- %d" %
          (N // 3, tol(3)))


def scenario_kill(c):
    victim = "d3"
    mine = c.holding(victim)
    time.sleep(LEASE / 3.0)     # mid-round: the injector keeps going
    c.d[victim].signal(signal.SIGKILL)
    c.d[victim].wait(10)
    t0 = time.monotonic()
    ok, el = ck.wait_for(lambda: c.all_held_by(("d1", "d2"), ACCTS),
                         TAKEOVER_BOUND + 2 * LEASE, step=0.25)
    figure("takeover after kill -9 of %s (%d accounts): %.1f s "
           "(lease-time %d s, bound %d s)" %
           (victim, len(mine), el, LEASE, TAKEOVER_BOUND))
    check(bool(ok) and el <= TAKEOVER_BOUND,
          "b: kill -9 of %s: all its accounts held by live daemons "
          "within %d s" % (victim, TAKEOVER_BOUND))
    c.d[victim].start()
    per, el = ck.wait_for(lambda: c.balanced(NODES[:3]), BALANCE_BOUND)
    figure("%s restarted: spread %s after %.1f s" % (victim, per, el))
    check(per is not None, "b: %s restarted takes its share again" %
          victim)


def scenario_stop(c):
    victim = "d1"
    others = ("d2", "d3")
    mine = c.holding(victim)
    pid = c.d[victim].pid
    before = c.d[victim].alive()
    c.d[victim].signal(signal.SIGSTOP)
    t_stop = time.time()
    t0 = time.monotonic()
    ok, el = ck.wait_for(lambda: c.all_held_by(others, mine),
                         TAKEOVER_BOUND + 2 * LEASE, step=0.25)
    figure("SIGSTOP of %s (%d accounts): the others hold them after "
           "%.1f s" % (victim, len(mine), el))
    check(before and bool(ok) and len(mine) > 0,
          "c: while %s is stopped its %d accounts are held by the others"
          % (victim, len(mine)))
    rest = 2.5 * LEASE - (time.monotonic() - t0)
    if rest > 0:
        time.sleep(rest)
    c.d[victim].signal(signal.SIGCONT)
    came = c.inj.between(set(mine), t0, time.monotonic())
    # until it holds a lease again it may link nothing into a Maildir
    t_none = time.time()
    deadline = time.monotonic() + 4 * LEASE
    while time.monotonic() < deadline:
        now = time.time()
        if c.holding(victim):
            break
        t_none = now
        time.sleep(0.25)
    late = by_pid_since(OUTS, pid, t_stop, t_none)
    late_all = by_pid_since(OUTS, pid, t_stop)
    with open(c.d[victim].log, "rb") as f:
        refused = f.read().decode("utf-8", "replace").count(
            "lease is lost or given back")
    figure("SIGCONT of %s after %.1f s stopped (%d messages came to its "
           "accounts meanwhile): %d linked by it while it held no lease "
           "(%.1f s watched), %d since the STOP; its log names %d acts "
           "refused for a lost lease" % (victim, 2.5 * LEASE, came, late,
                                        t_none - t_stop, late_all, refused))
    check(late == 0 and c.d[victim].alive(),
          "c: %s delivers nothing after losing its leases (%d)" %
          (victim, late))


def scenario_pg(c):
    t0 = time.monotonic()
    p = subprocess.run(["sh", os.path.join(ck.TOP, "tests", "integration",
                                           "servers-pg.sh"), "restart",
                        E["MSX_PG_HARNESS"]], capture_output=True,
                       timeout=120)
    figure("PostgreSQL restarted in %.1f s (rc %d)" %
           (time.monotonic() - t0, p.returncode))
    if p.returncode != 0:
        print("# " + p.stderr.decode("utf-8", "replace").strip())
    mark = c.inj.count()
    per, el = ck.wait_for(lambda: c.balanced(NODES[:3]), BALANCE_BOUND)
    figure("after the restart: spread %s after %.1f s" % (per, el))
    check(p.returncode == 0 and all(c.d[n].alive() for n in NODES[:3]),
          "d: PostgreSQL restarted: the three daemons still run")
    check(per is not None, "d: every account held again, evenly")
    return mark


def scenario_join(c):
    c.d["d4"].start()
    t0 = time.monotonic()
    per, el = ck.wait_for(lambda: c.balanced(NODES), BALANCE_BOUND)
    figure("d4 joined: spread %s after %.1f s" % (per, time.monotonic() -
                                                   t0))
    check(per is not None, "e: a fourth daemon gets %d +- %d and the "
          "others give back" % (N // 4, tol(4)))


def final(c, mark):
    c.inj.stop()
    sent = dict(c.inj.sent)
    ids = list(sent)
    got = None

    def all_in():
        nonlocal got
        got = ck.delivered(OUTS)
        return all(m in got for m in ids)

    ck.wait_for(all_in, 120, step=1)
    missing, twice, unknown = ck.exactly_once(ids, got)
    figure("injected %d messages (%d refused by LMTP); missing %d, "
           "twice %d, unknown %d" % (len(ids), c.inj.failed, len(missing),
                                     len(twice), len(unknown)))
    for m in (missing + twice)[:5]:
        print("#   %s %s %s" % (m, sent.get(m), got.get(m)))
    check(len(ids) > 0 and c.inj.failed == 0,
          "the injector delivered every message to Dovecot")
    check(not missing, "every injected message delivered (%d missing)" %
          len(missing))
    check(not twice and not unknown, "none delivered twice (%d)" %
          len(twice))
    after = ids[mark:]
    check(after and all(m in got for m in after),
          "d: the %d messages injected after the restart are delivered" %
          len(after))
    per_node = {}
    pid_node = {p: n for n in NODES for p in c.d[n].pids}
    for v in got.values():
        for pid, _ in v:
            k = pid_node.get(pid, "other")
            per_node[k] = per_node.get(k, 0) + 1
    figure("deliveries per daemon: %s" % " ".join(
        "%s=%d" % (k, per_node[k]) for k in sorted(per_node)))


def outbox_queued(conf):
    """Messages in the outbox, all accounts, from status --json."""
    p = subprocess.run([ck.MAILSIFT, "status", "--json", "-c", conf],
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        return None
    doc = json.loads(p.stdout.decode("utf-8", "replace"))
    return sum(a["outbox"]["queued"] for a in doc["accounts"])


def final_replies(c):
    """Checked once the daemons are stopped: an IDLE account sends what
    its rules queued when its round ends (sched.c's sched_outbox), and
    with IDLE that is at SIGTERM; an account whose lease was taken just
    before the stop had no round, and its replies wait in the outbox.
    A `run --once` then (one round per account, leases taken, the whole
    outbox sent) must send exactly those: nothing lost, nothing twice."""
    sent = dict(c.inj.sent)
    left = outbox_queued(c.conf)
    p = subprocess.run([ck.MAILSIFT, "run", "--once", "-c", c.conf,
                        "--node", "d9"], capture_output=True, timeout=300)
    after = outbox_queued(c.conf)
    figure("replies still queued after the stop: %s; after a run --once: "
           "%s (rc %d)" % (left, after, p.returncode))
    check(p.returncode == 0 and after == 0,
          "a run --once after the stop sends what was left queued")
    got = ck.delivered(OUTS)
    check(not [m for m, v in got.items() if len(v) > 1],
          "the run --once delivers nothing twice")
    asked = [m for m, v in sent.items() if v[1]]
    rep = {}

    def replies_in():
        nonlocal rep
        rep = ck.replies(os.path.join(D, "mail", "user6", "Maildir"))
        return all(m in rep for m in asked)

    ck.wait_for(replies_in, 60, step=1)
    rmiss = [m for m in asked if m not in rep]
    rtwice = [m for m, n in rep.items() if n > 1]
    figure("replies: %d asked, %d missing, %d twice, %d to messages not "
           "asked" % (len(asked), len(rmiss), len(rtwice),
                      len([m for m in rep if m not in asked])))
    check(asked and not rmiss, "every asked reply sent (%d missing)" %
          len(rmiss))
    check(not rtwice and all(m in asked for m in rep),
          "no reply sent twice (%d), none unasked" % len(rtwice))


def stop_all(c):
    for n in c.live():
        c.d[n].signal(signal.SIGTERM)
    rcs = {n: c.d[n].wait(60) for n in NODES if c.d[n].proc is not None}
    figure("exit status after SIGTERM: %s" % rcs)
    check(all(rc == 0 for rc in rcs.values()),
          "SIGTERM ends every daemon with 0")
    h = c.held()
    check(h is not None and not any(h.values()),
          "SIGTERM gives the leases back (%d still held)" %
          len([v for v in (h or {}).values() if v]))


def logs_summary(c):
    for n in NODES:
        for g in range(1, c.d[n].gen + 1):
            path = os.path.join(W, "%s.%d.log" % (n, g))
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            errs = [l for l in text.splitlines() if "[error]" in l or
                    "[fatal]" in l]
            figure("%s.%d.log: %d lines, %d errors" %
                   (n, g, text.count("\n"), len(errs)))
            if failed:
                for l in errs[:3]:
                    print("#   " + l)
    if failed and os.path.exists(E.get("MSX_PG_LOG", "")):
        with open(E["MSX_PG_LOG"], "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        for l in lines[-8:]:
            print("# postgres.log: " + l)


def on_term(sig, frame):
    """timeout(1) or a ^C: the finally below stops the daemons."""
    raise SystemExit("cluster: stopped by signal %d" % sig)


def main():
    global OUTS
    signal.signal(signal.SIGTERM, on_term)
    os.makedirs(W)
    add_users()
    postfix_detail()
    conf = write_config()
    OUTS = [os.path.join(W, "out", a) for a in ACCTS]
    c = Cluster(conf)
    t0 = time.monotonic()
    c.inj = ck.Injector(E["MSX_LMTP_SOCKET"], ACCTS, RATE)
    try:
        for n in NODES[:3]:
            c.d[n].start()
        c.inj.start()
        scenario_spread(c, t0)
        scenario_kill(c)
        scenario_stop(c)
        mark = scenario_pg(c)
        scenario_join(c)
        final(c, mark)
        stop_all(c)
        final_replies(c)
    finally:
        c.inj.stop()
        for n in NODES:
            c.d[n].signal(signal.SIGCONT)
            c.d[n].kill()
    logs_summary(c)
    figure("status calls that failed: %d; whole run %.0f s" %
           (c.status_fail, time.monotonic() - t0))
    print("cluster: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
