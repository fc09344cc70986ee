#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
bench_accounts.py - the work of bench-accounts.sh (see there) for one
N, with its Dovecot up and BA_* variables in the environment.
"""
import os
import random
import re
import subprocess
import sys
import threading
import time

E = os.environ
D = E["BA_DIR"]
N = int(E["BA_N"])
SAMPLE = min(int(E.get("SAMPLE", "100")), N)
IDLE_SECS = int(E.get("IDLE_SECS", "30"))
READY_SECS = int(E.get("READY_SECS", "300"))
TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MAILSIFT = E.get("MAILSIFT") or os.path.join(TOP, "mailsift")
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def say(msg):
    print("bench-accounts: N=%d: %s" % (N, msg), flush=True)


def write_conf():
    conf = os.path.join(D, "mailsift.conf")
    with open(conf, "w") as f:
        f.write('state = "%s/state.db"\nlog-level = debug\npoll = 3600\n'
                'parallel = 64\n%s\n' % (D, E.get("MAILSIFT_EXTRA", "")))
        for i in range(1, N + 1):
            f.write('account a%d {\n\ttype = imap\n\thost = "localhost"\n'
                    '\tport = %s\n\ttls = implicit\n\ttls-ca-file = "%s"\n'
                    '\tuser = "u%d"\n\tpassword = "pw%d"\n\tidle = true\n'
                    '\tdeliver = "maildir:%s/out/a%d"\n}\n' %
                    (i, E["BA_PORT"], E["BA_CA"], i, i, D, i))
    os.chmod(conf, 0o600)
    for i in range(1, N + 1):
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(D, "out", "a%d" % i, sub))
    return conf


class Log:
    """Follows mailsift's log: accounts in IDLE, warnings, errors."""

    IDLE = re.compile(r"\b(a\d+): in IDLE")

    def __init__(self, path):
        self.path = path
        self.idle = {}
        self.warn = 0
        self.error = 0
        self.timeout = 0
        self.first_bad = []
        self.pos = 0

    def scan(self):
        with open(self.path, "rb") as f:
            f.seek(self.pos)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self.pos += end
        now = time.monotonic()
        for raw in data[:end].decode("utf-8", "replace").splitlines():
            m = self.IDLE.search(raw)
            if m:
                self.idle.setdefault(m.group(1), now)
                continue
            bad = False
            if "[warn]" in raw or "[warning]" in raw:
                self.warn += 1
                bad = True
            elif "[error]" in raw or "[fatal]" in raw:
                self.error += 1
                bad = True
            if "timed out" in raw:
                self.timeout += 1
            if bad and len(self.first_bad) < 5:
                self.first_bad.append(raw)


def proc_stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    cpu = (int(v[11]) + int(v[12])) / TICK
    with open("/proc/%d/statm" % pid) as f:
        rss = int(f.read().split()[1]) * PAGE
    return cpu, rss


def threads(pid):
    return len(os.listdir("/proc/%d/task" % pid))


def delivered(i):
    base = os.path.join(D, "out", "a%d" % i)
    return any(os.listdir(os.path.join(base, s)) for s in ("new", "cur"))


def delivery(sample):
    """Saves one message in each sampled account's INBOX, one after the
    other, and times each until it is in the account's Maildir."""
    sent = {}
    got = {}
    done = threading.Event()

    def watch():
        while not done.is_set():
            now = time.monotonic()
            for i in list(sent):
                if i not in got and delivered(i):
                    got[i] = now - sent[i]
            if len(got) == len(sample):
                return
            time.sleep(0.02)

    th = threading.Thread(target=watch)
    th.start()
    for i in sample:
        msg = ("From: b@example.test\r\nTo: u%d@example.test\r\n"
               "Subject: bench %d\r\nMessage-ID: <bench-%d@example.test>"
               "\r\n\r\nhello\r\n" % (i, i, i)).encode()
        sent[i] = time.monotonic()
        p = subprocess.run(["doveadm", "-c", E["BA_DOVECOT_CONF"], "save",
                            "-u", "u%d" % i, "-m", "INBOX"], input=msg,
                           capture_output=True, timeout=60)
        if p.returncode != 0:
            say("doveadm save u%d: %s" % (i, p.stderr.decode().strip()))
        time.sleep(0.05)
    end = time.monotonic() + 120
    while len(got) < len(sample) and time.monotonic() < end:
        time.sleep(0.1)
    done.set()
    th.join()
    return sorted(got.values()), len(sample) - len(got)


def pct(v, p):
    if not v:
        return float("nan")
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    conf = write_conf()
    logpath = os.path.join(D, "mailsift.log")
    logf = open(logpath, "wb")
    t0 = time.monotonic()
    daemon = subprocess.Popen([MAILSIFT, "run", "-c", conf],
                              stdin=subprocess.DEVNULL,
                              stdout=logf, stderr=logf)
    log = Log(logpath)
    r = {"n": N}
    try:
        end = t0 + READY_SECS
        while len(log.idle) < N and time.monotonic() < end:
            if daemon.poll() is not None:
                say("mailsift exited with %d" % daemon.returncode)
                return 1
            time.sleep(0.2)
            log.scan()
        r["ready"] = (max(log.idle.values()) - t0
                      if len(log.idle) == N else None)
        r["in_idle"] = len(log.idle)
        time.sleep(5)   # settle: the last sessions' first allocations
        c0, _ = proc_stat(daemon.pid)
        time.sleep(IDLE_SECS)
        c1, rss = proc_stat(daemon.pid)
        r["cpu"] = 100.0 * (c1 - c0) / IDLE_SECS
        r["rss"] = rss
        r["threads"] = threads(daemon.pid)
        lat, lost = delivery(random.sample(range(1, N + 1), SAMPLE))
        r["p50"], r["p99"], r["lost"] = pct(lat, 50), pct(lat, 99), lost
        log.scan()
        r["warn"], r["error"], r["timeout"] = (log.warn, log.error,
                                               log.timeout)
    finally:
        daemon.terminate()
        try:
            daemon.wait(60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        logf.close()
    report(r, log)
    return 0


def report(r, log):
    rdy = ("%.1f s" % r["ready"] if r["ready"] is not None else
           "not all: %d of %d in %d s" % (r["in_idle"], N, READY_SECS))
    per = r["rss"] / N / 1024.0
    rows = [
        ("all in IDLE after", rdy, "<= 120 s"),
        ("warnings / errors / timeouts", "%d / %d / %d" %
         (r["warn"], r["error"], r["timeout"]), "0 / 0 / 0"),
        ("delivery p50 / p99 (%d accounts)" % SAMPLE, "%.2f / %.2f s%s" %
         (r["p50"], r["p99"], (", %d not delivered in 120 s" % r["lost"])
          if r["lost"] else ""), "p99 <= 2 s"),
        ("RSS (per account)", "%.1f MB (%.0f KB)" %
         (r["rss"] / 1e6, per), "<= 150 KB/account"),
        ("CPU while idle (%d s)" % IDLE_SECS, "%.2f %%" % r["cpu"], "~0"),
        ("threads", "%d" % r["threads"], ""),
    ]
    print("\nmailsift, %d accounts idle = true, one Dovecot (%s)" %
          (N, os.path.basename(D)))
    print("%-34s %-34s %s" % ("", "measured", "target (issue 15)"))
    for row in rows:
        print("%-34s %-34s %s" % row)
    for b in log.first_bad:
        print("  first warnings: " + b[:200])
    print(flush=True)


if __name__ == "__main__":
    sys.exit(main())
