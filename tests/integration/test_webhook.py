#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_webhook.py - the webhook target against a receiver started here on
loopback (webhook_receiver.py: it checks every signature and records
what it got): the three formats, HTTPS with a CA of the test's own, a
rule's deliver action, retries across restarts of mailsift (500, 429
with Retry-After, a slow answer, a reset connection), a permanent 400,
giving up after retry-time, and the kill -9 crash test (500 messages,
30 kills at seeded points, then a full run: nothing lost, duplicates
counted, each with the same X-Mailsift-Delivery).

One line per check, then "webhook: N passed, N failed"; exit 1 if any
failed.  Needs python3 and openssl.  MSX_KEEP=1 keeps the directory.
Usage: test_webhook.py [test_NAME...]
"""
import base64
import email
import email.policy
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from crashkit import wait_for                      # noqa: E402
from webhook_receiver import Receiver, signature_ok  # noqa: E402

MAILSIFT = os.environ.get("MAILSIFT", os.path.join(TOP, "mailsift"))
GEN_CORPUS = os.path.join(TOP, "tests", "corpus", "gen-corpus.py")
SECRET = "s3cret-for-tests"
SEED = 1313
CRASH_MESSAGES = 500
CRASH_KILLS = 30
W = tempfile.mkdtemp(prefix="msxwebhook.")
counts = {"passed": 0, "failed": 0}
RX = None       # the plain HTTP receiver
RXS = None      # the HTTPS one

MSG = (b"From: Alice <alice@example.org>\n"
       b"To: bob@example.org\n"
       b"Subject: webhook one\n"
       b"Date: Fri, 04 Dec 2026 10:00:00 +0000\n"
       b"Message-ID: <hook-1@example.org>\n"
       b"MIME-Version: 1.0\n"
       b"Content-Type: multipart/mixed; boundary=XX\n\n"
       b"--XX\n"
       b"Content-Type: multipart/alternative; boundary=YY\n\n"
       b"--YY\n"
       b"Content-Type: text/plain; charset=iso-8859-1\n"
       b"Content-Transfer-Encoding: quoted-printable\n\n"
       b"caf=E9 plain\n"
       b"--YY\n"
       b"Content-Type: text/html; charset=utf-8\n\n"
       b"<p>the html</p>\n"
       b"--YY--\n"
       b"--XX\n"
       b"Content-Type: application/pdf\n"
       b"Content-Disposition: attachment; filename=\"report.pdf\"\n"
       b"Content-Transfer-Encoding: base64\n\n"
       b"JVBERi0xLjQKJcfsj6IK\n"
       b"--XX--\n")
PDF = base64.b64decode(b"JVBERi0xLjQKJcfsj6IK")


def check(ok, desc, detail=""):
    if ok:
        print("ok - " + desc)
        counts["passed"] += 1
    else:
        print("not ok - " + desc)
        for line in str(detail).splitlines()[-25:]:
            print("#   " + line)
        counts["failed"] += 1
    sys.stdout.flush()
    return ok


def make_certs():
    """A CA of our own and a server certificate for 127.0.0.1."""
    d = os.path.join(W, "tls")
    os.mkdir(d)

    def ossl(*args):
        subprocess.run(["openssl"] + list(args), check=True,
                       capture_output=True, cwd=d)
    ossl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-subj",
         "/O=mailsift tests/CN=webhook test CA", "-days", "30",
         "-keyout", "ca.key", "-out", "ca.crt",
         "-addext", "basicConstraints = critical, CA:TRUE",
         "-addext", "keyUsage = critical, keyCertSign, cRLSign")
    ossl("req", "-new", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
         "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("basicConstraints = critical, CA:FALSE\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectAltName = DNS:localhost, IP:127.0.0.1\n")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey",
         "ca.key", "-set_serial", "0x%x" % random.getrandbits(63),
         "-days", "30", "-extfile", "server.ext", "-out", "server.crt")
    return (os.path.join(d, "ca.crt"), os.path.join(d, "server.crt"),
            os.path.join(d, "server.key"))


def scenario(name):
    d = os.path.join(W, name)
    os.mkdir(d)
    return d


def write_conf(d, url, account=None, msg=MSG, **hook):
    """d/mailsift.conf: one webhook "hook" (options as keyword arguments,
    "_" for "-") and one account "a" delivering to it; by default a
    Maildir source d/src holding msg."""
    if account is None:
        src = os.path.join(d, "src")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(src, sub), exist_ok=True)
        with open(os.path.join(src, "new", "1700000000.1.msg"), "wb") as f:
            f.write(msg)
        account = 'type = maildir\n  path = "%s"' % src
    opts = {"url": '"%s"' % url, "secret": '"%s"' % SECRET,
            "retry_min": "1"}
    opts.update(hook)
    lines = ['state = "%s/state.db"' % d, 'webhook "hook" {']
    for k, v in opts.items():
        if v is not None:
            lines.append("  %s = %s" % (k.replace("_", "-"), v))
    lines += ["}", 'account "a" {', "  " + account]
    if "deliver" not in account:
        lines.append('  deliver = "webhook:hook"')
    lines += ["}", ""]
    conf = os.path.join(d, "mailsift.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines))
    os.chmod(conf, 0o600)
    return conf


def run(conf, data=None, timeout=120):
    p = subprocess.run([MAILSIFT, "run", "-c", conf, "--once"], input=data,
                       stdin=None if data is not None else subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def queue(d):
    """The delivery queue's rows by status."""
    db = sqlite3.connect("file:%s/state.db?mode=ro" % d, uri=True)
    try:
        return dict(db.execute("SELECT status, count(*) FROM delivery_queue"
                               " GROUP BY status").fetchall())
    finally:
        db.close()


def state_says(d):
    p = subprocess.run([MAILSIFT, "state", "-s", os.path.join(d, "state.db")],
                       capture_output=True, timeout=60)
    return p.stdout.decode("utf-8", "replace")


def new_requests(rx, before):
    with rx.lock:
        return rx.got[before:]


def all_signed(reqs):
    bad = [r["sig_why"] for r in reqs if not r["sig_ok"]]
    return not bad, bad


def drain_until(d, conf, done, runs=12):
    """Runs (each a new process: a restart) a second apart until
    done(queue) holds; the outputs."""
    outs = []
    for _ in range(runs):
        if done(queue(d)):
            break
        time.sleep(1.1)
        outs.append(run(conf)[1])
    return outs


def without_content(obj):
    """parse --json's object from the webhook's: no file, text, html, or
    inline content."""
    m = dict(obj)
    for k in ("file", "text", "html"):
        m.pop(k, None)
    m["parts"] = [{k: v for k, v in p.items()
                   if k not in ("inline", "content_base64")}
                  for p in m["parts"]]
    return m


def test_json():
    d = scenario("json")
    conf = write_conf(d, RX.url, headers='{"Authorization: Bearer t0ken"}')
    before = len(RX.got)
    rc, out = run(conf)
    got = new_requests(RX, before)
    check(rc == 0 and len(got) == 1 and got[0]["status"] == 200,
          "json: one request, answered 200", out)
    if len(got) != 1:
        return
    r = got[0]
    ok, why = all_signed(got)
    check(ok, "json: the signature checks out (HMAC-SHA256, fresh)", why)
    check(r["type"] == "application/json" and
          r["headers"].get("Authorization") == "Bearer t0ken",
          "json: application/json, with the configured header",
          r["headers"])
    body = json.loads(r["body"])
    check(body["delivery"] == r["delivery"] and len(r["delivery"]) == 32
          and body["account"] == "a",
          "json: the delivery id is the X-Mailsift-Delivery header",
          body.get("delivery"))
    m = body["message"]
    check(m["text"] == "caf\u00e9 plain" and
          m["html"] == "<p>the html</p>",
          "json: the text and HTML bodies, decoded, in UTF-8",
          (m.get("text"), m.get("html")))
    att = [p for p in m["parts"] if p.get("filename") == "report.pdf"]
    check(len(att) == 1 and att[0].get("inline") is True and
          base64.b64decode(att[0]["content_base64"]) == PDF,
          "json: the attachment inline in base64", att)
    path = os.path.join(d, "msg.eml")
    with open(path, "wb") as f:
        f.write(MSG)
    p = subprocess.run([MAILSIFT, "parse", "--json", path],
                       capture_output=True, timeout=60)
    want = json.loads(p.stdout)
    want.pop("file")
    check(without_content(m) == want, "json: the message is what `mailsift "
          "parse --json` gives", "%s\n%s" % (without_content(m), want))
    check("webhooks: 0 queued, 1 delivered" in state_says(d),
          "json: `mailsift state` counts it delivered", state_says(d))


def test_json_inline_limit():
    """An attachment that does not fit into max-size: described, not
    inlined, and the request still goes."""
    blob = bytes(random.Random(SEED).getrandbits(8) for _ in range(3000))
    big = MSG.replace(b"JVBERi0xLjQKJcfsj6IK\n",
                      base64.encodebytes(blob))
    d = scenario("json-limit")
    conf = write_conf(d, RX.url, msg=big, max_size="%d" % len(big))
    before = len(RX.got)
    rc, out = run(conf)
    got = new_requests(RX, before)
    ok = rc == 0 and len(got) == 1 and len(got[0]["body"]) <= len(big)
    att = []
    if len(got) == 1:
        att = [p for p in json.loads(got[0]["body"])["message"]["parts"]
               if p.get("filename") == "report.pdf"]
    check(ok and len(att) == 1 and att[0].get("inline") is False and
          "content_base64" not in att[0] and att[0]["size"] == len(blob),
          "json: an attachment over max-size: its metadata only",
          "%s\n%s" % (att, out))


def test_raw():
    d = scenario("raw")
    conf = write_conf(d, RX.url, format="raw")
    before = len(RX.got)
    rc, out = run(conf)
    got = new_requests(RX, before)
    check(rc == 0 and len(got) == 1 and got[0]["type"] == "message/rfc822"
          and got[0]["body"] == MSG and got[0]["sig_ok"],
          "raw: message/rfc822, the message byte for byte, signed", out)


def test_multipart():
    d = scenario("multipart")
    conf = write_conf(d, RX.url, format="multipart")
    before = len(RX.got)
    rc, out = run(conf)
    got = new_requests(RX, before)
    if not check(rc == 0 and len(got) == 1 and got[0]["sig_ok"],
                 "multipart: one signed request", out):
        return
    r = got[0]
    ent = email.message_from_bytes(
        b"Content-Type: " + r["type"].encode() + b"\r\n\r\n" + r["body"],
        policy=email.policy.HTTP)
    fields = {}
    for part in ent.iter_parts():
        cd = part.get("Content-Disposition", "")
        name = re.search(r'name="([^"]*)"', cd).group(1)
        fields.setdefault(name, []).append(part)
    ok = r["type"].startswith("multipart/form-data; boundary=")
    msg = json.loads(fields["message"][0].get_payload(decode=True)) \
        if "message" in fields else {}
    files = fields.get("attachment", [])
    check(ok and msg.get("delivery") == r["delivery"] and
          msg["message"]["subject"] == "webhook one",
          "multipart: a form-data field \"message\" with the JSON",
          r["body"][:300])
    check(len(files) == 1 and files[0].get_filename() == "report.pdf" and
          files[0].get_content_type() == "application/pdf" and
          files[0].get_payload(decode=True) == PDF,
          "multipart: the attachment as a file field, byte for byte",
          [(f.get_filename(), f.get_content_type()) for f in files])


def test_https(ca):
    d = scenario("https")
    conf = write_conf(d, RXS.url, tls_ca_file='"%s"' % ca)
    before = len(RXS.got)
    rc, out = run(conf)
    got = new_requests(RXS, before)
    check(rc == 0 and len(got) == 1 and got[0]["sig_ok"] and
          queue(d) == {"delivered": 1},
          "https: delivered, the certificate checked against tls-ca-file",
          out)
    d = scenario("https-unknown-ca")
    conf = write_conf(d, RXS.url)
    before = len(RXS.got)
    rc, out = run(conf)
    check(len(new_requests(RXS, before)) == 0 and
          queue(d) == {"queued": 1} and
          re.search(r"certificate|SSL", out) is not None,
          "https: a certificate from an unknown CA is refused; the "
          "message stays queued", out)


def test_rule_action():
    d = scenario("rule")
    rules = os.path.join(d, "rules.yaml")
    with open(rules, "w") as f:
        f.write("version: 1\nrules:\n  - name: hook\n"
                "    when: { subject: '^webhook' }\n"
                "    do:\n      - deliver: \"webhook:hook\"\n"
                "      - keep\n")
    src = os.path.join(d, "src")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(src, sub))
    with open(os.path.join(src, "new", "1700000000.1.msg"), "wb") as f:
        f.write(MSG)
    conf = write_conf(d, RX.url, account='type = maildir\n  path = "%s"\n'
                      '  deliver = "maildir:%s/md"\n  rules = "%s"'
                      % (src, d, rules))
    before = len(RX.got)
    rc, out = run(conf)
    got = new_requests(RX, before)
    check(rc == 0 and len(got) == 1 and got[0]["status"] == 200 and
          got[0]["sig_ok"] and queue(d) == {"delivered": 1},
          "a rule's deliver action to webhook:hook", out)


def retry_case(name, plan, want_log, **hook):
    """The receiver misbehaves as plan says, then answers 200: retried
    across restarts with the same delivery id until delivered."""
    d = scenario(name)
    conf = write_conf(d, RX.url, **hook)
    before = len(RX.got)
    with RX.lock:
        RX.plan = list(plan)
    rc, out = run(conf)
    first = queue(d)
    outs = [out] + drain_until(d, conf, lambda q: q.get("queued", 0) == 0)
    got = new_requests(RX, before)
    keys = set(r["delivery"] for r in got)
    ok, why = all_signed(got)
    check(first == {"queued": 1} and re.search(want_log, outs[0]),
          "%s: the first attempt fails, the message stays queued" % name,
          "%s\n%s" % (first, outs[0]))
    check(queue(d) == {"delivered": 1} and len(got) >= len(plan) + 1 and
          len(keys) == 1 and ok,
          "%s: delivered by a later run, %d attempts, one delivery id, "
          "each signed" % (name, len(got)),
          "%s\n%s" % ([(r["todo"], r["delivery"]) for r in got],
                      "\n".join(outs)))


def test_retries():
    retry_case("http-500", ["500", "500"], r"HTTP 500; trying again in")
    retry_case("http-429", ["429:1"], r"HTTP 429; trying again in 1 s")
    retry_case("slow", ["slow:4"], r"[Tt]imed? ?out.*trying again",
               timeout="1")
    retry_case("reset", ["reset"], r"trying again in")


def test_permanent():
    d = scenario("http-400")
    conf = write_conf(d, RX.url)
    before = len(RX.got)
    with RX.lock:
        RX.plan = ["400"]
    rc, out = run(conf)
    rc2, out2 = run(conf)
    got = new_requests(RX, before)
    check(rc != 0 and "refused for good: HTTP 400" in out and
          len(got) == 1 and queue(d) == {"failed": 1},
          "400: refused for good, recorded, logged, not tried again",
          out + out2)
    check("1 refused" in state_says(d), "400: `mailsift state` counts it",
          state_says(d))
    p = subprocess.run([MAILSIFT, "status", "-c", conf], capture_output=True,
                       timeout=60)
    check(b"a: webhooks: 0 queued, 1 refused or given up" in p.stdout,
          "400: `mailsift status` shows it for the account", p.stdout)


def test_redirect():
    d = scenario("redirect")
    conf = write_conf(d, RX.url)
    before = len(RX.got)
    with RX.lock:
        RX.plan = ["302"]
    rc, out = run(conf)
    got = new_requests(RX, before)
    check(len(got) == 1 and queue(d) == {"failed": 1} and
          "refused for good: HTTP 302" in out,
          "a redirect is not followed: refused for good", out)


def test_proxy():
    """The proxy comes from the environment: one that is not there
    fails the request (retried later); no_proxy lets it through."""
    d = scenario("proxy")
    conf = write_conf(d, RX.url)
    env = dict(os.environ, http_proxy="http://127.0.0.1:9",
               no_proxy="")
    before = len(RX.got)
    p = subprocess.run([MAILSIFT, "run", "-c", conf, "--once"], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=120)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    check(len(new_requests(RX, before)) == 0 and queue(d) == {"queued": 1}
          and "trying again" in out,
          "http_proxy from the environment is used", out)
    env["no_proxy"] = "127.0.0.1"
    time.sleep(1.1)
    p = subprocess.run([MAILSIFT, "run", "-c", conf, "--once"], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=120)
    check(len(new_requests(RX, before)) == 1 and
          queue(d) == {"delivered": 1}, "... and no_proxy",
          (p.stdout + p.stderr).decode("utf-8", "replace"))


def test_give_up():
    d = scenario("give-up")
    conf = write_conf(d, RX.url, retry_time="2")
    with RX.lock:
        RX.plan = ["500"] * 30
    rc, out = run(conf)
    outs = drain_until(d, conf, lambda q: q.get("queued", 0) == 0)
    with RX.lock:
        RX.plan = []
    check(queue(d) == {"expired": 1} and
          any("given up after" in o for o in outs),
          "retry-time over: given up, logged", "\n".join([out] + outs))
    check("1 given up" in state_says(d), "given up: `mailsift state` "
          "counts it", state_says(d))


def test_config():
    d = scenario("config")
    conf = write_conf(d, RX.url)
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace('"webhook:hook"', '"webhook:nohook"'))
    p = subprocess.run([MAILSIFT, "check", "-c", conf], capture_output=True,
                       timeout=60)
    check(p.returncode != 0 and b"webhook 'nohook' is not defined" in
          p.stderr, "config: a deliver to an undefined webhook is refused",
          p.stderr)
    conf = write_conf(d, RX.url, secret=None)
    p = subprocess.run([MAILSIFT, "check", "-c", conf], capture_output=True,
                       timeout=60)
    check(p.returncode != 0 and b"'secret-command' is required" in p.stderr,
          "config: a webhook without a secret is refused", p.stderr)
    d = scenario("secret-command")
    conf = write_conf(d, RX.url, secret=None,
                      secret_command='"echo %s"' % SECRET)
    before = len(RX.got)
    rc, out = run(conf)
    got = new_requests(RX, before)
    check(rc == 0 and len(got) == 1 and got[0]["sig_ok"],
          "config: secret-command gives the signing secret", out)


# --- the crash test ------------------------------------------------

def corpus_maildir(d):
    """d/src: a Maildir source with the crash test's messages; their
    SHA-256 digests."""
    out = os.path.join(W, "corpus")
    if not os.path.isdir(out):
        subprocess.run([sys.executable, GEN_CORPUS, "--seed", str(SEED),
                        "--count", str(CRASH_MESSAGES), "--small", out],
                       check=True, capture_output=True, timeout=300)
    src = os.path.join(d, "src")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(src, sub))
    want = set()
    for i, n in enumerate(sorted(x for x in os.listdir(out)
                                 if x.endswith(".eml"))):
        with open(os.path.join(out, n), "rb") as f:
            data = f.read()
        want.add(hashlib.sha256(data).hexdigest())
        with open(os.path.join(src, "new", "%d.%d.crash" % (1700000000 + i,
                                                             i)), "wb") as f:
            f.write(data)
    return src, want


def queue_rows(d):
    try:
        db = sqlite3.connect("file:%s/state.db?mode=ro" % d, uri=True,
                             timeout=0.05)
        try:
            return db.execute("SELECT count(*) FROM delivery_queue"
                              ).fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def crash_plan(rng):
    """Where the kills go: first while the messages are being queued
    (the fetch), then while the queue is posted: some a few ms after
    the n-th answer of the run, some right as an answer leaves the
    receiver (so the 2xx is not yet recorded: a duplicate)."""
    plan = [("queued", rng.randint(1, 100), rng.uniform(0, 0.01))
            for _ in range(6)]
    rest = [("answer", rng.randint(1, 12), 0.0) for _ in range(8)]
    rest += [("posted", rng.randint(1, 15), rng.uniform(0, 0.02))
             for _ in range(CRASH_KILLS - len(plan) - len(rest))]
    rng.shuffle(rest)
    return plan + rest


def crash_run(conf, d, point, n, lag):
    """One run, killed (SIGKILL) at point; (killed, a line of figures)."""
    q0, a0 = queue_rows(d), len(RX.delivered())
    if point == "queued" and q0 + n > CRASH_MESSAGES:
        point = "posted"        # all queued: a kill while posting
    p = subprocess.Popen([MAILSIFT, "run", "-c", conf, "--once"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    hit = threading.Event()
    if point == "answer":
        def on_answer(rec):
            if len(RX.delivered()) - a0 >= n and not hit.is_set():
                hit.set()
                p.kill()
        RX.on_answer = on_answer
        cond = hit.is_set
    elif point == "queued":
        def cond():
            return queue_rows(d) - q0 >= n
    else:
        def cond():
            return len(RX.delivered()) - a0 >= n
    try:
        wait_for(cond, p, 60)
        time.sleep(lag)
        killed = p.poll() is None or hit.is_set()
        if p.poll() is None:
            p.kill()
        p.wait()
    finally:
        RX.on_answer = None
    return killed, "%s at %s %3d +%2.0f ms: queued %3d -> %3d, answered " \
        "%3d -> %3d" % ("kill" if killed else "ended", point, n, lag * 1000,
                        q0, queue_rows(d), a0, len(RX.delivered()))


def test_crash():
    """kill -9 at seeded points of queueing and posting 500 messages, 30
    times; then a run to completion: every message delivered, none lost,
    duplicates counted, each duplicate with the same delivery id."""
    t0 = time.time()
    d = scenario("crash")
    src, want = corpus_maildir(d)
    conf = write_conf(d, RX.url, format="raw",
                      account='type = maildir\n  path = "%s"' % src)
    before = len(RX.got)
    RX.delay = 0.005    # about 200 answers a second: kills land mid-drain
    kills, figures = 0, []
    try:
        for i, (point, n, lag) in enumerate(crash_plan(random.Random(SEED))):
            killed, line = crash_run(conf, d, point, n, lag)
            kills += killed
            figures.append("%2d %s" % (i + 1, line))
            print("# " + figures[-1])
            sys.stdout.flush()
    finally:
        RX.delay = 0.0
    rc, out = run(conf, timeout=300)
    got = [r for r in new_requests(RX, before) if r["status"] == 200]
    by_msg = {}
    for r in got:
        by_msg.setdefault(hashlib.sha256(r["body"]).hexdigest(),
                          set()).add(r["delivery"])
    dups = len(got) - len(by_msg)
    ok, why = all_signed(got)
    print("# crash test: %d kills; %d requests answered 200 for %d "
          "messages: %d duplicates; %.0f s" % (kills, len(got), len(by_msg),
                                              dups, time.time() - t0))
    check(kills >= 25, "crash test: %d kill -9 while queueing and posting"
          % kills, "\n".join(figures))
    check(rc == 0 and set(by_msg) == want, "crash test: then every message "
          "reached the receiver (none lost)",
          "%d of %d; missing %d\n%s" % (len(set(by_msg) & want), len(want),
                                        len(want - set(by_msg)), out))
    check(all(len(k) == 1 for k in by_msg.values()) and ok,
          "crash test: %d duplicates, each with the same "
          "X-Mailsift-Delivery as the first, all signed" % dups,
          [k for k in by_msg.values() if len(k) > 1][:5] + why[:5])
    q = queue(d)
    check(q == {"delivered": CRASH_MESSAGES},
          "crash test: the queue holds %d delivered, nothing else"
          % CRASH_MESSAGES, q)
    n = len(RX.got)
    rc, out = run(conf)
    check(rc == 0 and len(RX.got) == n and
          "fetched 0, delivered 0" in out,
          "crash test: another run finds nothing to do", out)


def main():
    global RX, RXS
    if not os.access(MAILSIFT, os.X_OK):
        check(False, "%s is built (run make)" % MAILSIFT)
        print("webhook: %(passed)d passed, %(failed)d failed" % counts)
        return 1
    ca, cert, key = make_certs()
    RX = Receiver(SECRET)
    RXS = Receiver(SECRET, cert, key)
    tests = {"test_json": test_json,
             "test_json_inline_limit": test_json_inline_limit,
             "test_raw": test_raw, "test_multipart": test_multipart,
             "test_https": lambda: test_https(ca),
             "test_rule_action": test_rule_action,
             "test_retries": test_retries,
             "test_permanent": test_permanent,
             "test_redirect": test_redirect, "test_proxy": test_proxy,
             "test_give_up": test_give_up, "test_config": test_config,
             "test_crash": test_crash}
    names = sys.argv[1:] or list(tests)
    try:
        for name in names:
            try:
                tests[name]()
            except Exception as e:      # a broken test is a failed one
                check(False, "%s ran" % name, "%s: %s" % (type(e).__name__,
                                                        e))
    finally:
        RX.close()
        RXS.close()
        if os.environ.get("MSX_KEEP") == "1":
            print("# kept %s" % W, file=sys.stderr)
        else:
            shutil.rmtree(W, ignore_errors=True)
    print("webhook: %(passed)d passed, %(failed)d failed" % counts)
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
