"""Rules and actions against a real Dovecot and Postfix: what a user of
the rules sees.  Mail for user1 is fetched over POP3S; rules save
attachments, file into folders, auto-reply, forward and redirect through
the Postfix submission port; replies and forwards are checked where they
arrive (user2's and user3's Maildirs).  Prints ok/not ok lines and ends
with "rules: N passed, N failed"."""
import base64
import email
import email.policy
import glob
import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAILSIFT = os.path.join(ROOT, "mailsift")
E = os.environ
D = E["MSX_DIR"]
W = os.path.join(D, "rules")
results = []


def check(cond, name, detail=""):
    results.append(bool(cond))
    print(("ok - " if cond else "not ok - ") + name +
          ("" if cond else "  (%s)" % str(detail)[:2000]))


def load(user, *files):
    subprocess.run(["sh", os.path.join(ROOT, "tests/integration/servers.sh"),
                    "load", D, user, "INBOX"] + list(files), check=True,
                   capture_output=True)


def maildir_files(path):
    return sorted(glob.glob(os.path.join(path, "new", "*")) +
                  glob.glob(os.path.join(path, "cur", "*")))


def wait_mail(user, n, timeout=20):
    path = E["MSX_%s_MAILDIR" % user.upper()]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = maildir_files(path)
        if len(got) >= n:
            time.sleep(0.3)
            return maildir_files(path)
        time.sleep(0.2)
    return maildir_files(path)


def run(conf, *extra):
    p = subprocess.run([MAILSIFT, "run", "-c", conf, "--once", "-v"] +
                       list(extra), capture_output=True, timeout=120)
    return p.returncode, p.stderr.decode("utf-8", "replace")


PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def msg(name, frm, subject, extra_headers="", attach=None, to=None):
    to = to or E["MSX_USER1_ADDR"]
    head = ("Return-Path: <%s>\nFrom: %s\nTo: %s\nSubject: %s\n"
            "Message-ID: <%s@test>\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n"
            "MIME-Version: 1.0\n%s" % (frm, frm, to, subject, name,
                                       extra_headers))
    if attach is None:
        body = head + "Content-Type: text/plain\n\nhello %s\n" % name
    else:
        fname, data = attach
        b64 = base64.encodebytes(data).decode()
        body = (head + "Content-Type: multipart/mixed; boundary=b\n\n"
                "--b\nContent-Type: text/plain\n\nsee attached\n--b\n"
                "Content-Type: application/pdf\nContent-Disposition: "
                "attachment; filename=\"%s\"\nContent-Transfer-Encoding: "
                "base64\n\n%s--b--\n" % (fname, b64))
    path = os.path.join(W, name + ".eml")
    with open(path, "w") as f:
        f.write(body)
    return path


def write_conf(name, smtp_port):
    rules = os.path.join(W, "rules.yaml")
    with open(rules, "w") as f:
        f.write(r"""version: 1
rules:
  - name: invoices
    when:
      all:
        - from: '@billing\.example\.test'
        - attachment: { filename: '(?i)\.pdf$' }
    do:
      - save-attachments: { to: '%s/invoices/{from.domain}', type: 'application/pdf' }
      - move: 'Archive/Invoices'
    stop: true
  - name: fwd
    when: { subject: '^FWD-ME' }
    do:
      - forward: { to: '%s' }
    stop: true
  - name: redir
    when: { subject: '^REDIRECT-ME' }
    do:
      - redirect: { to: '%s' }
    stop: true
  - name: away
    when: { header: { name: To, match: 'user1@example\.test' } }
    do:
      - reply: { from: 'user1@example.test', subject: 'Auto: {subject}', body: "I am away.", every: 7d }
""" % (W, E["MSX_USER3_ADDR"], E["MSX_USER3_ADDR"]))
    conf = os.path.join(W, name + ".conf")
    with open(conf, "w") as f:
        f.write("""state = "%(w)s/state.db"
smtp out {
	host = "localhost"
	port = %(port)s
	tls = starttls
	tls-ca-file = "%(ca)s"
	user = "user1"
	password = 'user1-secret'
	from = "user1@example.test"
}
account pop {
	type = pop3
	host = "127.0.0.1"
	port = %(pop)s
	tls = implicit
	tls-ca-file = "%(ca)s"
	user = "user1"
	password = 'user1-secret'
	deliver = "maildir:%(w)s/Maildir"
	rules = "%(rules)s"
	smtp = "out"
}
""" % {"w": W, "port": smtp_port, "ca": E["MSX_CA"],
       "pop": E["MSX_POP3S_PORT"], "rules": rules})
    os.chmod(conf, 0o600)
    return conf


def parse(path):
    with open(path, "rb") as f:
        return email.message_from_bytes(f.read(), policy=email.policy.default)


def doveadm(*args):
    p = subprocess.run(["doveadm", "-c", E["MSX_DOVECOT_CONF"]] +
                       list(args), capture_output=True, timeout=60)
    return p.stdout.decode("utf-8", "replace")


def test_imap_server_actions():
    """On an IMAP account, move, copy, flag and delete act on the
    server, after the message is safe at home."""
    sender = E["MSX_USER2_ADDR"]
    to = E["MSX_USER3_ADDR"]
    load("user3", msg("mv1", sender, "MOVE-ME now", to=to),
         msg("fl1", sender, "FLAG-ME now", to=to),
         msg("del1", sender, "DELETE-ME now", to=to),
         msg("stay1", sender, "Just stay", to=to),
         msg("cp1", sender, "COPY-ME too", to=to))
    rules = os.path.join(W, "rules-imap.yaml")
    with open(rules, "w") as f:
        f.write(r"""version: 1
rules:
  - name: filing
    when: { subject: '^MOVE-ME' }
    do:
      - move: 'Filed/2026'
  - name: flagging
    when: { subject: '^FLAG-ME' }
    do:
      - flag: ['\Flagged', '$Important']
  - name: copying
    when: { subject: '^COPY-ME' }
    do:
      - copy: 'Copies'
      - keep
      - deliver: "maildir:%s/copied"
  - name: deleting
    when: { subject: '^DELETE-ME' }
    do:
      - deliver: "maildir:%s/deleted-copy"
      - delete
""" % (W, W))
    conf = os.path.join(W, "imap.conf")
    with open(conf, "w") as f:
        f.write("""state = "%(w)s/state-imap.db"
account imap {
	type = imap
	host = "localhost"
	port = %(port)s
	tls = implicit
	tls-ca-file = "%(ca)s"
	user = "user3"
	password = 'p@ss w0rd"3'
	deliver = "maildir:%(w)s/Maildir-imap"
	rules = "%(rules)s"
}
""" % {"w": W, "port": E["MSX_IMAPS_PORT"], "ca": E["MSX_CA"],
       "rules": rules})
    os.chmod(conf, 0o600)
    rc, log = run(conf)
    check(rc == 0, "IMAP rules round", log)
    filed = doveadm("search", "-u", "user3", "mailbox", "Filed/2026", "ALL")
    check(len(filed.strip().split("\n")) == 1 and filed.strip(), "move: the message is in "
          "Filed/2026 on the server (created)", filed + log)
    inbox = doveadm("fetch", "-u", "user3", "flags hdr.subject", "mailbox",
                    "INBOX", "ALL")
    check("MOVE-ME" not in inbox, "move: and gone from INBOX", inbox)
    check("DELETE-ME" not in inbox, "delete: gone from the server", inbox)
    check("Just stay" in inbox, "other mail stays", inbox)
    copies = doveadm("fetch", "-u", "user3", "hdr.subject", "mailbox",
                     "Copies", "ALL")
    check("COPY-ME" in copies and "COPY-ME" in inbox, "copy: in Copies "
          "(created) and still in INBOX (keep)", copies + inbox)
    check(len(maildir_files(os.path.join(W, "copied"))) == 1,
          "copy: and delivered where the rule said")
    fl = [b for b in inbox.split("flags:") if "FLAG-ME" in b]
    check(fl and "\\Flagged" in fl[0] and "$Important" in fl[0],
          "flag: \\Flagged and $Important set on the server", inbox)
    copy = maildir_files(os.path.join(W, "deleted-copy"))
    check(len(copy) == 1, "delete came after the delivery it follows",
          copy)
    home = [str(parse(p)["Subject"]) for p in
            maildir_files(os.path.join(W, "Maildir-imap"))]
    check("FLAG-ME now" in home and "Just stay" in home and
          "MOVE-ME now" not in home, "flagged and plain mail delivered by "
          "default; the moved one filed on the server only", home)
    rc, log = run(conf)
    check(rc == 0 and "fetched 0" in log, "a second round does nothing",
          log)


def test_transforms():
    """Header edits and pipe filters change what is delivered; pipe
    failures are retried; discard files nothing; delete on POP3 removes
    the message from the server after its delivery, even with keep."""
    sender = E["MSX_USER2_ADDR"]
    to = E["MSX_USER1_ADDR"]
    for n in maildir_files(E["MSX_USER1_MAILDIR"]):
        os.unlink(n)
    subprocess.run(["doveadm", "-c", E["MSX_DOVECOT_CONF"], "force-resync",
                    "-u", "user1", "INBOX"], check=True)
    load("user1", msg("tag1", sender, "TAG-ME", "X-Junk: spam\n", to=to),
         msg("drop1", sender, "DROP-ME", to=to),
         msg("gone1", sender, "DELETE-ME", to=to),
         msg("bad1", sender, "PIPE-FAILS", to=to),
         msg("dd1", sender, "DEDUPE one", to=to,
             attach=("a.pdf", PDF)),
         msg("dd2", sender, "DEDUPE two", to=to,
             attach=("b.pdf", PDF)),
         msg("two1", sender, "TWO-PLACES", to=to),
         msg("sym1", sender, "SYMLINKED", to=to, attach=("c.pdf", PDF)))
    # a directory that {from.domain} names, planted as a symlink
    victim = os.path.join(W, "victim")
    os.makedirs(victim)
    os.makedirs(os.path.join(W, "sym"))
    os.symlink(victim, os.path.join(W, "sym", sender.split("@")[1]))
    # by another local user: a link of our own would be followed
    os.lchown(os.path.join(W, "sym", sender.split("@")[1]), 65534, 65534)
    rules = os.path.join(W, "rules-t.yaml")
    with open(rules, "w") as f:
        f.write(r"""version: 1
rules:
  - name: tagger
    when: { subject: '^TAG-ME' }
    do:
      - add-header: { X-Sifted: 'yes {from.domain}' }
      - remove-header: X-Junk
      - pipe: { command: [sed, 's/hello/HELLO/'], filter: true }
      - deliver: "maildir:%(w)s/tagged"
  - name: dropper
    when: { subject: '^DROP-ME' }
    do: [ discard ]
  - name: deleter
    when: { subject: '^DELETE-ME' }
    do: [ delete ]
  - name: dedupe
    when: { subject: '^DEDUPE' }
    do:
      - save-attachments: { to: '%(w)s/dd', dedupe: sha256 }
  - name: twice
    when: { subject: '^TWO-PLACES' }
    do:
      - deliver: "maildir:%(w)s/place-a"
      - deliver: "maildir:%(w)s/place-b"
  - name: symlinked
    when: { subject: '^SYMLINKED' }
    do:
      - save-attachments: { to: '%(w)s/sym/{from.domain}' }
      - deliver: "maildir:%(w)s/symdone"
  - name: failing
    when: { subject: '^PIPE-FAILS' }
    do:
      - pipe: [sh, -c, 'exit 3']
""" % {"w": W})
    conf = os.path.join(W, "t.conf")
    with open(conf, "w") as f:
        f.write("""state = "%(w)s/state-t.db"
account t {
	type = pop3
	host = "127.0.0.1"
	port = %(pop)s
	tls = implicit
	tls-ca-file = "%(ca)s"
	user = "user1"
	password = 'user1-secret'
	deliver = "maildir:%(w)s/Maildir-t"
	rules = "%(rules)s"
}
""" % {"w": W, "pop": E["MSX_POP3S_PORT"], "ca": E["MSX_CA"],
       "rules": rules})
    os.chmod(conf, 0o600)
    rc, log = run(conf)
    check(rc != 0 and "exit status 3" in log, "a failing pipe fails the "
          "round and is named", log)
    tagged = maildir_files(os.path.join(W, "tagged"))
    check(len(tagged) == 1, "the tagged message went to its target",
          tagged)
    if tagged:
        with open(tagged[0], "rb") as f:
            data = f.read()
        head = data.split(b"\n\n", 1)[0]
        check(b"X-Sifted: yes example.test" in head, "add-header with a "
              "template", head)
        check(b"X-Junk" not in head, "remove-header", head)
        check(b"HELLO tag1" in data, "the pipe filter's output is what "
              "was delivered", data[-60:])
    subjects = [str(parse(p)["Subject"]) for p in
                maildir_files(os.path.join(W, "Maildir-t"))]
    check("DROP-ME" not in subjects, "discard files nothing", subjects)
    check(os.listdir(victim) == [] and "is a symlink: not followed" in log,
          "save-attachments: nothing written through a symlinked "
          "directory, and the log names it", os.listdir(victim))
    check(len(maildir_files(os.path.join(W, "symdone"))) == 1,
          "a save that cannot succeed is skipped and the rest of the plan "
          "goes on: the message is delivered")
    check("DELETE-ME" in subjects, "delete: delivered by default first",
          subjects)
    left = doveadm("fetch", "-u", "user1", "hdr.subject", "mailbox",
                   "INBOX", "ALL")
    check("DELETE-ME" not in left and "PIPE-FAILS" in left and
          "TAG-ME" in left, "delete removed only that one from the "
          "server (keep = yes); the failed one stays", left)
    rc, log = run(conf)
    check("PIPE-FAILS" not in " ".join(subjects) and
          "exit status 3" in log, "the failed action is tried again "
          "next round, and nothing else is repeated", log)
    check(len(maildir_files(os.path.join(W, "tagged"))) == 1,
          "the tagged message is not delivered twice")
    places = [len(maildir_files(os.path.join(W, d)))
              for d in ("place-a", "place-b")]
    check(places == [1, 1], "two deliveries of one message: one file in "
          "each target, after two rounds", places)
    dd = os.listdir(os.path.join(W, "dd")) if os.path.isdir(
        os.path.join(W, "dd")) else []
    check(len(dd) == 1, "save-attachments with dedupe: the same bytes "
          "from two messages saved once", dd)


def test_once_drains_outbox(conf, n3):
    """--once sends the whole queue, not one batch of 32."""
    many = [msg("fwd-many-%d" % i, E["MSX_USER2_ADDR"], "FWD-ME %d" % i)
            for i in range(40)]
    load("user1", *many)
    rc, log = run(conf)
    check(rc == 0, "--once with 40 forwards queued succeeds", log)
    got = wait_mail("user3", n3 + 40, timeout=30)
    check(len(got) == n3 + 40, "--once drained the outbox: all 40 "
          "forwards sent in the same run", len(got) - n3)


def test_pipe_hardening():
    """A Subject cannot become an option of a piped command (sort -o
    would write a file); the command gets the message's fields exactly
    in MAILSIFT_* variables and none of mailsift's own environment."""
    sender = E["MSX_USER2_ADDR"]
    victim = os.path.join(W, "pipe-victim")
    seen = os.path.join(W, "pipe-seen")
    load("user1", msg("opt1", sender, "-o" + victim))
    rules = os.path.join(W, "rules-p.yaml")
    with open(rules, "w") as f:
        f.write(r"""version: 1
rules:
  - name: opts
    when: { subject: '^-o' }
    do:
      - pipe: [sh, -c, 'printf "%%s\n" "$1" > %(seen)s.arg; env > %(seen)s.env', sh, '{subject}']
      - pipe: [/usr/bin/sort, '{subject}']
""" % {"seen": seen})
    conf = os.path.join(W, "p.conf")
    with open(conf, "w") as f:
        f.write("""state = "%(w)s/state-p.db"
account p {
	type = pop3
	host = "127.0.0.1"
	port = %(pop)s
	tls = implicit
	tls-ca-file = "%(ca)s"
	user = "user1"
	password = 'user1-secret'
	deliver = "maildir:%(w)s/Maildir-p"
	rules = "%(rules)s"
}
""" % {"w": W, "pop": E["MSX_POP3S_PORT"], "ca": E["MSX_CA"],
       "rules": rules})
    os.chmod(conf, 0o600)
    env = dict(os.environ, MSX_SECRET_TEST="hunter2")
    p = subprocess.run([MAILSIFT, "run", "-c", conf, "--once", "-v"],
                       capture_output=True, timeout=120, env=env)
    log = p.stderr.decode("utf-8", "replace")
    check(not os.path.exists(victim), "Subject '-o%s' did not make sort "
          "write the file" % victim, log)
    check(p.returncode != 0 and "sort: exit status 2" in log,
          "sort got a file name, not an option, and failed on it", log)
    arg = env_text = ""
    if os.path.exists(seen + ".arg"):
        with open(seen + ".arg") as f:
            arg = f.read()
    check(arg == "_o%s\n" % victim, "the argument's leading '-' from the "
          "Subject became '_'", arg)
    if os.path.exists(seen + ".env"):
        with open(seen + ".env") as f:
            env_text = f.read()
    lines = env_text.splitlines()
    check("MAILSIFT_SUBJECT=-o" + victim in lines and
          "MAILSIFT_FROM=" + sender in lines and
          "MAILSIFT_RULE=opts" in lines, "the fields are in the "
          "environment, exactly", env_text)
    check("PATH=/usr/bin:/bin" in lines and "hunter2" not in env_text,
          "the command's environment is the minimal one", env_text)


def test_long_names():
    """A long sender domain and a long Subject in one path component:
    the name is cut to what the file system takes, and the message is
    delivered in the first round."""
    dom = ".".join(["a-long-label-%02d-of-a-domain-name" % i
                    for i in range(8)]) + ".test"
    load("user1", msg("long1", "x@" + dom, "LONG " + "\u00e9" * 150))
    rules = os.path.join(W, "rules-l.yaml")
    with open(rules, "w") as f:
        f.write("""version: 1
rules:
  - name: long
    when: { subject: '^LONG' }
    do:
      - deliver: 'mbox:%s/long/{from.domain}-{subject}.mbox'
""" % W)
    os.makedirs(os.path.join(W, "long"))
    conf = os.path.join(W, "l.conf")
    with open(conf, "w") as f:
        f.write("""state = "%(w)s/state-l.db"
account l {
	type = pop3
	host = "127.0.0.1"
	port = %(pop)s
	tls = implicit
	tls-ca-file = "%(ca)s"
	user = "user1"
	password = 'user1-secret'
	deliver = "maildir:%(w)s/Maildir-l"
	rules = "%(rules)s"
}
""" % {"w": W, "pop": E["MSX_POP3S_PORT"], "ca": E["MSX_CA"],
       "rules": rules})
    os.chmod(conf, 0o600)
    rc, log = run(conf)
    names = os.listdir(os.path.join(W, "long"))
    check(len(names) == 1 and names[0].endswith(".mbox") and
          len(names[0].encode()) <= 250 and names[0].startswith(dom[:150]),
          "{from.domain}-{subject}.mbox: one name of at most 250 bytes "
          "(room for .lock), its extension kept", [names, log[-1500:]])


def test_save_crash():
    """kill -9 at seeded moments while rules save attachments and
    deliver: every attachment ends up saved exactly once and whole, no
    temporary of ours is left in the save directory, nothing in the
    Maildirs' tmp/, and every message is delivered exactly once."""
    rng = random.Random(9202)
    sender = E["MSX_USER2_ADDR"]
    n = 48
    data = {}
    files = []
    for i in range(n):
        data[i] = rng.getrandbits(8 * 150000).to_bytes(150000, "little")
        files.append(msg("crash%d" % i, sender, "CRASH-SAVE %d" % i,
                         attach=("c%d.pdf" % i, data[i])))
    load("user1", *files)
    saved = os.path.join(W, "crash-saved")
    md = os.path.join(W, "crash-md")
    rules = os.path.join(W, "rules-c.yaml")
    with open(rules, "w") as f:
        f.write("""version: 1
rules:
  - name: crash
    when: { subject: '^CRASH-SAVE' }
    do:
      - save-attachments: { to: '%s' }
      - deliver: "maildir:%s"
""" % (saved, md))
    conf = os.path.join(W, "c.conf")
    with open(conf, "w") as f:
        f.write("""state = "%(w)s/state-c.db"
account c {
	type = pop3
	host = "127.0.0.1"
	port = %(pop)s
	tls = implicit
	tls-ca-file = "%(ca)s"
	user = "user1"
	password = 'user1-secret'
	deliver = "maildir:%(w)s/Maildir-c"
	rules = "%(rules)s"
}
""" % {"w": W, "pop": E["MSX_POP3S_PORT"], "ca": E["MSX_CA"],
       "rules": rules})
    os.chmod(conf, 0o600)
    landed = 0
    for _ in range(40):
        if landed >= 12:
            break
        p = subprocess.Popen([MAILSIFT, "run", "-c", conf, "--once"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.03, 0.35))
        if p.poll() is None:
            landed += 1
            p.send_signal(signal.SIGKILL)
        p.wait()
    rc, log = run(conf)
    check(rc == 0, "save crash: a clean run after %d kills mid-run" %
          landed, log[-2000:])
    got = {}
    for path in glob.glob(os.path.join(saved, "*")):
        with open(path, "rb") as f:
            got.setdefault(f.read(), []).append(os.path.basename(path))
    once = [i for i in range(n) if len(got.get(data[i], [])) == 1]
    check(len(once) == n and len(got) == n and
          sum(len(v) for v in got.values()) == n,
          "save crash: %d of %d attachments saved exactly once, whole "
          "(%d kills landed mid-run)" % (len(once), n, landed),
          sorted(os.listdir(saved)) if os.path.isdir(saved) else "none")
    hidden = [x for x in os.listdir(saved) if x.startswith(".")] \
        if os.path.isdir(saved) else []
    check(hidden == [], "save crash: no temporary left", hidden)
    subjects = [str(parse(x)["Subject"]) for x in maildir_files(md)]
    check(sorted(subjects) == sorted("CRASH-SAVE %d" % i for i in range(n)),
          "save crash: every message delivered exactly once",
          len(subjects))
    left = [x for m in (md, os.path.join(W, "Maildir-c"))
            for x in glob.glob(os.path.join(m, "tmp", "*"))]
    check(left == [], "save crash: nothing left in the Maildirs' tmp/",
          left)


def main():
    os.makedirs(W)
    sender = E["MSX_USER2_ADDR"]
    files = [
        msg("inv1", "billing@billing.example.test", "Invoice 1",
            attach=("../../evil/Invoice 1.pdf", PDF)),
        msg("plain1", sender, "Hello there"),
        msg("plain2", sender, "Hello again"),
        msg("list1", sender, "List post", "List-Id: <l.example.test>\n"),
        msg("bulk1", sender, "Bulk", "Precedence: bulk\n"),
        msg("auto1", sender, "Auto", "Auto-Submitted: auto-replied\n"),
        msg("daemon1", "MAILER-DAEMON@example.test", "Bounce"),
        msg("notme", sender, "Not to me", to="someone@example.test"),
        msg("fwd1", sender, "FWD-ME please"),
        msg("redir1", sender, "REDIRECT-ME please"),
    ]
    load("user1", *files)
    # An SMTP outage first: a port where nobody listens.
    conf_down = write_conf("down", "1")
    rc, log = run(conf_down)
    check(rc != 0, "SMTP down: the round reports the failure", log)
    check("trying again" in log, "SMTP down: replies stay queued", log)
    user2_before = len(maildir_files(E["MSX_USER2_MAILDIR"]))
    conf = write_conf("up", E["MSX_SUBMISSION_PORT"])
    # the queued entries are due after the backoff: make them due now
    db = sqlite3.connect(os.path.join(W, "state.db"))
    with db:
        db.execute("UPDATE outbox SET next_try = 0")
    db.close()
    rc, log = run(conf)
    check(rc == 0, "the second round sends the queue", log)

    saved = glob.glob(os.path.join(W, "invoices", "*", "*"))
    check(len(saved) == 1, "save-attachments: one file", saved)
    if saved:
        check(os.path.basename(os.path.dirname(saved[0])) ==
              "billing.example.test", "the directory template expanded",
              saved)
        check(os.path.basename(saved[0]) == "Invoice 1.pdf",
              "the hostile name is defused to its base name", saved)
        with open(saved[0], "rb") as f:
            check(hashlib.sha256(f.read()).hexdigest() ==
                  hashlib.sha256(PDF).hexdigest(),
                  "the saved attachment is byte-identical")
    check(not os.path.exists(os.path.join(W, "evil")), "nothing written "
          "outside the directory")
    moved = maildir_files(os.path.join(W, "Maildir", ".Archive.Invoices"))
    check(len(moved) == 1, "move: the invoice is in Archive/Invoices",
          moved)
    inbox = maildir_files(os.path.join(W, "Maildir"))
    check(len(inbox) == 9, "the others are delivered by default", inbox)

    got = wait_mail("user2", user2_before + 1)
    replies = [parse(p) for p in got[user2_before:]]
    auto = [m for m in replies if str(m["Subject"]).startswith("Auto: ")]
    check(len(auto) == 1, "exactly one auto-reply reached the sender "
          "(none to list, bulk, automatic, daemon or not-to-me mail, "
          "and one per sender)", [str(m["Subject"]) for m in replies])
    if auto:
        r = auto[0]
        check(r["Auto-Submitted"] == "auto-replied",
              "the reply says Auto-Submitted: auto-replied")
        check(r["In-Reply-To"] is not None and "@test>" in
              r["In-Reply-To"], "the reply has In-Reply-To",
              r["In-Reply-To"])
        check(str(r["Return-Path"]).strip() in ("<>", ""),
              "the reply went with a null envelope sender",
              r["Return-Path"])
    got3 = wait_mail("user3", 2)
    subjects = [str(parse(p)["Subject"]) for p in got3]
    fwd = [parse(p) for p in got3 if "Fwd: FWD-ME" in str(parse(p)["Subject"])]
    check(len(fwd) == 1, "forward arrived", subjects)
    if fwd:
        inner = [p for p in fwd[0].walk()
                 if p.get_content_type() == "message/rfc822"]
        check(len(inner) == 1, "the original is attached as message/rfc822")
    red = [parse(p) for p in got3 if "REDIRECT-ME" in str(parse(p)["Subject"])
           and "Fwd" not in str(parse(p)["Subject"])]
    check(len(red) == 1 and red[0]["Resent-From"] is not None,
          "redirect arrived with Resent- fields", subjects)

    # A third round: nothing new, nothing sent again.
    n2, n3 = len(maildir_files(E["MSX_USER2_MAILDIR"])), len(got3)
    load("user1", msg("plain3", sender, "Third within a week"))
    rc, log = run(conf)
    time.sleep(2)
    check(len(maildir_files(E["MSX_USER2_MAILDIR"])) == n2,
          "no second reply to the same sender within `every`")
    check(len(maildir_files(E["MSX_USER3_MAILDIR"])) == n3,
          "nothing forwarded twice")
    p = subprocess.run([MAILSIFT, "test", "-r", os.path.join(W, "rules.yaml"),
                        files[0]], capture_output=True)
    out = p.stdout.decode()
    check(p.returncode == 0 and "save-attachments" in out and "move" in out,
          "mailsift test shows the plan for the invoice", out)
    test_once_drains_outbox(conf, n3)
    test_imap_server_actions()
    test_transforms()
    test_pipe_hardening()
    test_long_names()
    test_save_crash()
    passed = sum(results)
    print("rules: %d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
