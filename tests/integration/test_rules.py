# SPDX-License-Identifier: ISC
"""Rules and actions against a real Dovecot and Postfix: what a user of
the rules sees.  Mail for user1 is fetched over POP3S; rules save
attachments, file into folders, auto-reply, forward and redirect through
the Postfix submission port; replies and forwards are checked where they
arrive (user2's and user3's Maildirs).  Last, test_crash: kill -9 at
seeded points (RULES_SEED) while rules save PDFs and queue auto-replies.
Prints ok/not ok lines and ends with "rules: N passed, N failed";
the argument test_crash runs that one alone."""
import base64
import email
import email.parser
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

from crashkit import SlowLink, SmtpTap, wait_for

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAILSIFT = os.path.join(ROOT, "mailsift")
E = os.environ
D = E["MSX_DIR"]
W = os.path.join(D, "rules")
SEED = int(E.get("RULES_SEED", "20261204"))
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


def test_namespace_prefix():
    """user4's server keeps folders under "INBOX." with '.' (as Courier
    and Debian's Cyrus do): folders written with '/' in the rules and in
    `folders` are mapped there, parents created, UTF-8 in modified
    UTF-7, a raw server name taken as is."""
    sender = E["MSX_USER2_ADDR"]
    to = E["MSX_USER4_ADDR"]
    load("user4", msg("ns1", sender, "NS-INVOICE one", to=to),
         msg("ns2", sender, "NS-DEEP two", to=to),
         msg("ns3", sender, "NS-UMLAUT three", to=to),
         msg("ns4", sender, "NS-RAW four", to=to))
    subprocess.run(["sh", os.path.join(ROOT, "tests/integration/servers.sh"),
                    "load", D, "user4", "INBOX.Lists.announce",
                    msg("ns5", sender, "NS-LIST five", to=to)],
                   check=True, capture_output=True)
    rules = os.path.join(W, "rules-ns.yaml")
    with open(rules, "w", encoding="utf-8") as f:
        f.write("""version: 1
rules:
  - name: invoice
    when: { subject: '^NS-INVOICE' }
    do: [ { move: 'Archive/Invoices' } ]
  - name: deep
    when: { subject: '^NS-DEEP' }
    do: [ { copy: 'Projects/2026/Q1' }, keep ]
  - name: umlaut
    when: { subject: '^NS-UMLAUT' }
    do: [ { move: 'Archiv/Entw\u00fcrfe' } ]
  - name: raw
    when: { subject: '^NS-RAW' }
    do: [ { move: 'INBOX.Raw' } ]
""")
    conf = os.path.join(W, "ns.conf")
    with open(conf, "w") as f:
        f.write("""state = "%(w)s/state-ns.db"
account ns {
	type = imap
	host = "localhost"
	port = %(port)s
	tls = implicit
	tls-ca-file = "%(ca)s"
	user = "user4"
	password = "user4-secret"
	folders = { "INBOX", "Lists/announce" }
	deliver = "maildir:%(w)s/Maildir-ns"
	rules = "%(rules)s"
}
""" % {"w": W, "port": E["MSX_IMAPS_PORT"], "ca": E["MSX_CA"],
       "rules": rules})
    os.chmod(conf, 0o600)
    rc, log = run(conf)
    check(rc == 0, "namespace INBOX.: the round succeeds", log)
    boxes = doveadm("mailbox", "list", "-u", "user4")
    for want in ("INBOX.Archive.Invoices", "INBOX.Projects.2026.Q1",
                 "INBOX.Archiv.Entw\u00fcrfe", "INBOX.Raw"):
        n = doveadm("search", "-u", "user4", "mailbox", want, "ALL")
        check(len(n.strip().split("\n")) == 1 and n.strip(),
              "namespace INBOX.: one message in %s" % want, boxes + log)
    check("Archive/Invoices" not in boxes and "Archive.Invoices\n" not in
          boxes.replace("INBOX.Archive.Invoices", ""),
          "namespace INBOX.: nothing made outside the prefix", boxes)
    inbox = doveadm("fetch", "-u", "user4", "hdr.subject", "mailbox",
                    "INBOX", "ALL")
    check("NS-INVOICE" not in inbox and "NS-DEEP" in inbox,
          "namespace INBOX.: moved out of INBOX, the copy kept", inbox)
    home = [str(parse(p)["Subject"]) for p in
            maildir_files(os.path.join(W, "Maildir-ns"))]
    check("NS-LIST five" in home, "namespace INBOX.: folders' "
          "Lists/announce fetched from INBOX.Lists.announce", home + [log])
    rc, log = run(conf)
    check(rc == 0 and "fetched 0" in log, "namespace INBOX.: a second "
          "round does nothing", log)


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
    # not test_transforms' victim, a directory that exists
    victim = os.path.join(W, "sort-victim")
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


# --- kill -9 while the rules save attachments and queue replies -------

CRASH_MESSAGES = 300
CRASH_REPLY_RULES = 50
SENT = "SELECT count(*) FROM outbox WHERE status = 'sent'"
SAVES = ("SELECT count(*) FROM action_done WHERE key LIKE "
         "'%/pdfs/save-attachments'")
INTENTS = "SELECT count(*) FROM intent"
IN_WINDOW = "a reply accepted, not recorded as sent"
UNQUEUED = ("SELECT (SELECT count(*) FROM reply_log) - "
            "(SELECT count(*) FROM outbox)")


def crash_mail(rng):
    """The crash test's mail for user1: every third message carries a PDF
    of its own; every third asks for an auto-reply, from user2 and user3
    in turn, each pair under a rule of its own, so the rate limit (one
    reply per rule and sender) lets each have exactly one; the rest is
    plain.  (files, {Message-ID: PDF}, set of Message-IDs that ask)."""
    files, pdfs, asks = [], {}, set()
    for i in range(CRASH_MESSAGES):
        name = "crash-%03d" % i
        mid = "<%s@test>" % name
        if i % 3 == 0:
            pdf = (b"%%PDF-1.4\n%% message %d, seed %d\n" % (i, SEED) +
                   rng.randbytes(rng.randint(40000, 160000)) +
                   b"\n%%EOF\n")
            pdfs[mid] = pdf
            files.append(msg(name, E["MSX_USER2_ADDR"], "Invoice %d" % i,
                             attach=("doc-%d.pdf" % i, pdf)))
        elif i % 3 == 1:
            j = i // 3
            sender = E["MSX_USER%d_ADDR" % (2 + j % 2)]
            asks.add(mid)
            files.append(msg(name, sender, "R%02d away? %d" % (j // 2, i)))
        else:
            files.append(msg(name, E["MSX_USER2_ADDR"], "Plain %d" % i))
    return files, pdfs, asks


def crash_conf(cdir, imap_port, smtp_port):
    rules = os.path.join(cdir, "rules.yaml")
    with open(rules, "w") as f:
        f.write("""version: 1
rules:
  - name: pdfs
    when: { attachment: { filename: '(?i)\\.pdf$' } }
    do:
      - save-attachments: { to: '%s/saved', type: 'application/pdf' }
""" % cdir)
        for k in range(CRASH_REPLY_RULES):
            f.write("""  - name: away-%02d
    when: { subject: '^R%02d ' }
    do:
      - reply: { from: '%s', subject: 'Auto: {subject}', body: "Away.", every: 7d }
""" % (k, k, E["MSX_USER1_ADDR"]))
    conf = os.path.join(cdir, "mailsift.conf")
    with open(conf, "w") as f:
        f.write("""state = "%(c)s/state.db"
smtp mx {
	host = "127.0.0.1"
	port = %(smtp)s
	tls = none
	from = "%(me)s"
}
account crash {
	type = imap
	host = "127.0.0.1"
	port = %(imap)s
	tls = implicit
	tls-ca-file = "%(ca)s"
	user = "user1"
	password = 'user1-secret'
	keep = false
	deliver = "maildir:%(c)s/Maildir"
	rules = "%(rules)s"
	smtp = "mx"
}
""" % {"c": cdir, "smtp": smtp_port, "imap": imap_port, "ca": E["MSX_CA"],
       "me": E["MSX_USER1_ADDR"], "rules": rules})
    os.chmod(conf, 0o600)
    return conf


def entries(path):
    return set(os.listdir(path)) if os.path.isdir(path) else set()


def staged_names(md):
    """Maildir names in tmp/ and new/: a file keeps its name from one to
    the other."""
    return entries(os.path.join(md, "tmp")) | entries(os.path.join(md, "new"))


def db_count(state, sql):
    try:
        db = sqlite3.connect("file:%s?mode=ro" % state, uri=True)
        try:
            return db.execute(sql).fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0        # not created yet


def sha(data):
    return hashlib.sha256(data).hexdigest()


def survey(saved, want):
    """The save directory: {PDF hash: [names]} of whole PDFs, names of
    files that are no PDF of ours whole (short), and hidden ones (our
    temporaries)."""
    whole, short, hidden = {}, [], []
    for n in sorted(entries(saved)):
        if n.startswith("."):
            hidden.append(n)
            continue
        with open(os.path.join(saved, n), "rb") as f:
            h = sha(f.read())
        if h in want:
            whole.setdefault(h, []).append(n)
        else:
            short.append(n)
    return whole, short, hidden


def crash_plan(rng):
    """Where the kills go: first while the messages are fetched - at a
    seeded number of messages staged (two at 64, where a batch commits)
    or of files that appeared in the save directory, a few ms later;
    then while the replies are sent, right after the SMTP server took
    the k-th (at once or up to 0.5 ms later: in or near the window where a reply is the
    server's but not yet recorded as sent)."""
    plan = [("staged", rng.randint(1, 80), rng.uniform(0, 0.02))
            for _ in range(4)]
    plan += [("staged", 64, rng.uniform(0, 0.005)) for _ in range(2)]
    plan += [("saved", rng.randint(1, 20), rng.uniform(0, 0.004))
             for _ in range(8)]
    rng.shuffle(plan)
    return plan + [("sent", rng.randint(1, 10), rng.choice(
        (0, rng.uniform(0, 0.0005)))) for _ in range(6)]


class CrashRig:
    """The throttled links, the paths, and the kill armed for an SMTP
    acceptance."""

    def __init__(self, cdir, want):
        self.md = os.path.join(cdir, "Maildir")
        self.saved = os.path.join(cdir, "saved")
        self.state = os.path.join(cdir, "state.db")
        self.want = want
        self.armed = None
        self.tap = SmtpTap(self.accepted)
        # about 2 MB/s: a kill point is a point in the message stream
        self.imap = SlowLink(E["MSX_IMAPS_PORT"], 2 * 1024 * 1024)
        self.smtp = SlowLink(E["MSX_SMTP_PORT"], 0, self.tap)
        self.conf = crash_conf(cdir, self.imap.addr, self.smtp.addr)

    def accepted(self):
        a = self.armed
        if a is not None and self.tap.accepted >= a[1]:
            self.armed = None
            time.sleep(a[2])
            a[0].kill()

    def close(self):
        self.imap.close()
        self.smtp.close()

    def run(self, point, n, lag):
        """One run, killed at the point; (where the kill landed or None,
        a line of figures)."""
        md_old = staged_names(self.md)
        saved_old = entries(self.saved)
        whole, short, hidden = survey(self.saved, self.want)
        excess0 = (sum(len(v) for v in whole.values()) + len(short) +
                   len(hidden) - db_count(self.state, SAVES))
        acc0, sent0 = self.tap.accepted, db_count(self.state, SENT)
        unqueued0 = db_count(self.state, UNQUEUED)
        p = subprocess.Popen([MAILSIFT, "run", "-c", self.conf, "--once"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL)
        if point == "sent":
            self.armed = (p, acc0 + n, lag)
            try:
                p.wait(timeout=120)
            except subprocess.TimeoutExpired:
                pass
            self.armed = None
        else:
            if point == "staged":
                def cond():
                    return len(staged_names(self.md) - md_old) >= n
            else:
                def cond():
                    return len(entries(self.saved) - saved_old) >= n
            # the fetch may end first: then kill as the replies go
            wait_for(lambda: cond() or self.tap.accepted > acc0, p, 60)
            time.sleep(lag)
        p.kill()
        p.wait()
        killed = p.returncode == -signal.SIGKILL
        self.tap.settle(10)     # the server's answer to data sent last
        accepted = self.tap.accepted - acc0
        sent = db_count(self.state, SENT) - sent0
        whole, short, hidden = survey(self.saved, self.want)
        files = sum(len(v) for v in whole.values())
        recorded = db_count(self.state, SAVES)
        if accepted > sent:
            where = IN_WINDOW
        elif db_count(self.state, UNQUEUED) > unqueued0:
            where = "a reply allowed by the rate limit, not queued"
        elif files + len(short) + len(hidden) - recorded > excess0:
            where = "a save written, not recorded"
        elif db_count(self.state, INTENTS) > 0:
            where = "intents pending"
        else:
            where = "between steps"
        line = ("%s at %s %3d +%4.1f ms: delivered %3d, PDFs %3d whole "
                "(%d short, %d hidden, %d recorded), replies accepted %d "
                "(recorded %d)%s" % (
                    "kill" if killed else "ended", point, n, lag * 1000,
                    len(maildir_files(self.md)), files, len(short),
                    len(hidden), recorded, accepted, sent,
                    ": " + where if killed else ""))
        return where if killed else None, line


def replies_to(asks):
    """{Message-ID asked: number of replies} in user2's and user3's
    INBOX, by In-Reply-To."""
    got = {}
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    for user in ("user2", "user3"):
        for path in maildir_files(E["MSX_%s_MAILDIR" % user.upper()]):
            with open(path, "rb") as f:
                irt = str(parser.parse(f).get("In-Reply-To", "")).strip()
            if irt in asks:
                got[irt] = got.get(irt, 0) + 1
    return got


def test_crash():
    """kill -9 at seeded points while the rules save PDFs and queue
    auto-replies (300 messages over IMAPS, keep = no), then a run to
    completion: each PDF saved exactly once and nothing else in the save
    directory, each asked-for reply sent once - twice only where a kill
    landed between the SMTP server's acceptance and its record (the
    documented window), each message in the Maildir once, tmp/ empty."""
    cdir = os.path.join(W, "crash")
    os.makedirs(cdir)
    rng = random.Random(SEED)
    doveadm("expunge", "-u", "user1", "mailbox", "INBOX", "all")
    files, pdfs, asks = crash_mail(rng)
    load("user1", *files)
    want = [open(p, "rb").read() for p in
            maildir_files(E["MSX_USER1_MAILDIR"])]
    check(len(want) == CRASH_MESSAGES, "crash test: %d messages on the "
          "server" % CRASH_MESSAGES, len(want))
    by_hash = {sha(v): k for k, v in pdfs.items()}
    rig = CrashRig(cdir, by_hash)
    figures, where = [], {}
    try:
        for i, (point, n, lag) in enumerate(crash_plan(rng)):
            landed, line = rig.run(point, n, lag)
            figures.append("%2d %s" % (i + 1, line))
            if landed:
                where[landed] = where.get(landed, 0) + 1
            print("# " + figures[-1])
    finally:
        rig.close()
    kills = sum(where.values())
    window = where.get(IN_WINDOW, 0)
    conf = crash_conf(cdir, E["MSX_IMAPS_PORT"], E["MSX_SMTP_PORT"])
    rc, log = run(conf)
    queued = db_count(rig.state, "SELECT count(*) FROM outbox")
    sent = db_count(rig.state, SENT)
    end = time.monotonic() + 30
    while (sum(replies_to(asks).values()) < sent + window and
           time.monotonic() < end):
        time.sleep(0.3)
    time.sleep(1)       # anything more on its way
    got = replies_to(asks)

    whole, short, hidden = survey(rig.saved, by_hash)
    once = sum(len(whole.get(h, [])) == 1 for h in by_hash)
    twice = sum(len(v) - 1 for v in whole.values())
    md_tmp = entries(os.path.join(rig.md, "tmp"))
    delivered = [open(p, "rb").read() for p in maildir_files(rig.md)]
    dig = [sha(m.replace(b"\r\n", b"\n")) for m in delivered]
    wanted = [sha(m.replace(b"\r\n", b"\n")) for m in want]
    md_once = sum(dig.count(h) == 1 for h in wanted)
    dups = sum(c - 1 for c in got.values())
    answered = sum(c == 1 for c in got.values())
    print("# rules crash test: %d kill -9: %s" % (kills, ", ".join(
        "%d with %s" % (v, k) for k, v in sorted(where.items()) if v)))
    print("# PDFs: %d of %d saved exactly once, %d second copies, %d short "
          "files, %d temporaries left" % (once, len(pdfs), twice,
                                          len(short), len(hidden)))
    print("# replies: %d asked for, %d queued, %d answered once, %d "
          "answered twice or more (%d duplicates), %d unanswered" % (
              len(asks), queued, answered,
              sum(c > 1 for c in got.values()), dups, len(asks) - len(got)))
    print("# Maildir: %d of %d messages exactly once, %d files in all, %d "
          "left in tmp/" % (md_once, len(want), len(delivered),
                            len(md_tmp)))
    check(kills >= 15, "crash test: %d kill -9 while the rules ran" % kills,
          "\n".join(figures))
    check(rc == 0, "crash test: then a run to completion", log[-3000:])
    check(once == len(pdfs) and twice == 0,
          "crash test: each of the %d PDFs saved exactly once" % len(pdfs),
          {k: v for k, v in whole.items() if len(v) > 1})
    check(not short and not hidden, "crash test: nothing short or "
          "temporary left in the save directory", short + hidden)
    check(dups <= window, "crash test: a reply twice only after a kill in "
          "the window (%d duplicates, %d kills there)" % (dups, window),
          {k: v for k, v in got.items() if v > 1})
    check(len(got) == len(asks), "crash test: every asked-for reply sent",
          sorted(asks - set(got))[:10])
    check(md_once == len(want) and len(delivered) == len(want),
          "crash test: every message in the Maildir exactly once",
          "%d once, %d files" % (md_once, len(delivered)))
    check(not md_tmp, "crash test: nothing left in the Maildir's tmp/",
          sorted(md_tmp)[:5])
    left = doveadm("search", "-u", "user1", "mailbox", "INBOX", "ALL")
    check(not left.strip(), "crash test: the server's INBOX is empty "
          "(keep = no)", left[:500])


def main():
    os.makedirs(W)
    if sys.argv[1:] == ["test_crash"]:     # that one alone
        test_crash()
        passed = sum(results)
        print("rules: %d passed, %d failed" % (passed, len(results) - passed))
        return 0 if passed == len(results) else 1
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
    test_namespace_prefix()
    test_transforms()
    test_pipe_hardening()
    test_long_names()
    test_crash()
    passed = sum(results)
    print("rules: %d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
