#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_special.py - SPECIAL-USE folders (RFC 6154) against the Dovecot of
servers.sh: a rule's move: '\\Junk' and copy: '\\Archive', and an
account's folders = { '\\Archive' }, reach whatever folder the server
marks so, under a localised name.

Started by test-special.sh once the servers are up.  user5's marked
folders are made here: \\Junk on "Pourriel", \\Archive on "Archives
2026", \\Sent on "Éléments envoyés" (modified UTF-7 on the wire), as
Dovecot's special_use settings in servers.sh say; user5 has no \\Trash
until a step below makes one.  user6's server marks no folder.  One
line per check, then "special: N passed, N failed".
"""
import imaplib
import os
import re
import ssl
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MAILSIFT = os.environ.get("MAILSIFT", os.path.join(TOP, "mailsift"))
E = os.environ
D = E["MSX_DIR"]
W = os.path.join(D, "special-tests")
SENT = "Éléments envoyés"

counts = {"passed": 0, "failed": 0}


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


def mailsift(*args):
    p = subprocess.run([MAILSIFT] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=120)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def run_once(conf):
    return mailsift("run", "-c", conf, "--once", "-v")


def delivered(out, name):
    m = re.search(r"%s: fetched (\d+), delivered (\d+)" % re.escape(name),
                  out)
    return None if m is None else int(m.group(2))


# --- configuration ----------------------------------------------------

def write_conf(sdir, name, user, folders=None, rules=None, kind="imap"):
    port = E["MSX_IMAPS_PORT"] if kind == "imap" else E["MSX_POP3S_PORT"]
    lines = ["state = '%s/state.db'" % sdir,
             "account %s {" % name,
             "\ttype = %s" % kind,
             "\thost = 'localhost'",
             "\tport = %s" % port,
             "\ttls = implicit",
             "\ttls-ca-file = '%s'" % E["MSX_CA"],
             "\tuser = '%s'" % user,
             "\tpassword = '%s'" % E["MSX_%s_PASS" % user.upper()],
             "\tkeep = true",
             "\tdeliver = 'maildir:%s/out'" % sdir]
    if folders is not None:
        # single quotes: libconfuse keeps a lone '\' there
        lines.append("\tfolders = { %s }" %
                     ", ".join("'%s'" % f for f in folders))
    if rules is not None:
        path = os.path.join(sdir, "rules.yaml")
        with open(path, "w") as f:
            f.write(rules)
        lines.append("\trules = '%s'" % path)
    lines.append("}")
    conf = os.path.join(sdir, "mailsift.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(conf, 0o600)
    return conf


def scenario(name):
    sdir = os.path.join(W, name)
    os.makedirs(sdir)
    return sdir


RULES = r"""version: 1
rules:
  - name: spam
    when: { subject: '^SPAM' }
    do: [ move: '\Junk' ]
  - name: archive
    when: { subject: '^ARCHIVE' }
    do: [ copy: "\\Archive" ]
  - name: trash
    when: { subject: '^TRASH' }
    do: [ move: '\trash' ]
"""


# --- the server's side --------------------------------------------------

def doveadm(*args):
    subprocess.run(["doveadm", "-c", E["MSX_DOVECOT_CONF"]] + list(args),
                   check=True, capture_output=True)


def load(user, folder, *subjects):
    paths = []
    for s in subjects:
        path = os.path.join(W, re.sub(r"\W", "_", s) + ".eml")
        with open(path, "w") as f:
            f.write("From: someone@example.test\nTo: %s@example.test\n"
                    "Subject: %s\nMessage-ID: <%s@special.test>\n"
                    "Date: Fri, 04 Dec 2026 10:00:00 +0000\n\nbody of %s\n"
                    % (user, s, re.sub(r"\W", "-", s), s))
        paths.append(path)
    subprocess.run(["sh", os.path.join(HERE, "servers.sh"), "load", D, user,
                    folder] + paths, check=True, capture_output=True)


def imap(user):
    ctx = ssl.create_default_context(cafile=E["MSX_CA"])
    m = imaplib.IMAP4_SSL("localhost", int(E["MSX_IMAPS_PORT"]),
                          ssl_context=ctx)
    m.login(user, E["MSX_%s_PASS" % user.upper()])
    return m


def mutf7(name):
    """A folder name in modified UTF-7 (RFC 3501 5.1.3), quoted."""
    out, run = "", ""
    for ch in name + "\0":
        if " " <= ch <= "~" or ch == "\0":
            if run:
                b = run.encode("utf-16-be")
                import base64
                out += "&" + base64.b64encode(b).decode().rstrip("=") \
                    .replace("/", ",") + "-"
                run = ""
            if ch != "\0":
                out += "&-" if ch == "&" else ch
        else:
            run += ch
    return '"' + out.replace("\\", "\\\\").replace('"', '\\"') + '"'


def subjects(user, folder):
    """Subjects in a folder, sorted; None if it cannot be selected."""
    m = imap(user)
    try:
        typ, _ = m.select(mutf7(folder), readonly=True)
        if typ != "OK":
            return None
        _, data = m.search(None, "ALL")
        got = []
        for n in data[0].split():
            _, d = m.fetch(n, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            got.append(d[0][1].decode().strip().split(": ", 1)[1])
        return sorted(got)
    finally:
        m.logout()


def folder_names(user):
    m = imap(user)
    try:
        _, data = m.list('""', "*")
        return sorted(d.decode().rsplit(' "/" ', 1)[1] for d in data)
    finally:
        m.logout()


def local_subjects(sdir):
    out = []
    for sub in ("new", "cur"):
        path = os.path.join(sdir, "out", sub)
        for f in os.listdir(path) if os.path.isdir(path) else []:
            with open(os.path.join(path, f)) as fh:
                m = re.search(r"^Subject: (.*)$", fh.read(), re.M)
                out.append(m.group(1) if m else "?")
    return sorted(out)


# --- scenarios ----------------------------------------------------------

def test_rules_localised():
    """user5: \\Junk is "Pourriel", \\Archive "Archives 2026"; it has no
    \\Trash: that move fails with a clear error and is retried until the
    server marks one."""
    sdir = scenario("rules5")
    for f in ("Pourriel", "Archives 2026", SENT):
        doveadm("mailbox", "create", "-u", "user5", f)
    load("user5", "INBOX", "SPAM one", "ARCHIVE two", "TRASH three",
         "plain four")
    before = folder_names("user5")
    conf = write_conf(sdir, "sp5", "user5", rules=RULES)
    rc, out = run_once(conf)
    check(subjects("user5", "Pourriel") == ["SPAM one"],
          "move: '\\Junk' lands in the folder marked \\Junk (\"Pourriel\")",
          out)
    check('sp5: the server marks "Pourriel" as \\Junk' in out and
          'sp5: the server marks "%s" as \\Sent' % SENT in out,
          "-v says which folder each attribute is (UTF-8 from modified "
          "UTF-7)", out)
    check(subjects("user5", "Archives 2026") == ["ARCHIVE two"],
          "copy: '\\Archive' lands in \"Archives 2026\"", out)
    inbox = subjects("user5", "INBOX")
    check(inbox == ["ARCHIVE two", "TRASH three", "plain four"],
          "the moved message left the INBOX, the copied one stayed", inbox)
    check(rc != 0, "a move to an attribute the server marks on no folder "
          "fails the round", "rc=%d" % rc)
    check("the server of account sp5 marks no folder as \\Trash"
          in out and "nothing was created" in out,
          "... with an error naming the attribute and the account", out)
    check(folder_names("user5") == before,
          "... and no folder is created (no \"\\Trash\", no \"Trash\")",
          folder_names("user5"))
    rc, out = run_once(conf)
    check(rc != 0 and "marks no folder as \\Trash" in out and
          "TRASH three" in subjects("user5", "INBOX"),
          "the failed move is retried next round; the message stays", out)
    # the server marks one now: the same rule reaches it
    doveadm("mailbox", "create", "-u", "user5", "Trash")
    rc, out = run_once(conf)
    check(rc == 0 and subjects("user5", "Trash") == ["TRASH three"] and
          "TRASH three" not in subjects("user5", "INBOX"),
          "once the server marks a \\Trash, the retried move lands there",
          out)
    check(local_subjects(sdir) == ["plain four"],
          "only the message no rule filed is delivered locally",
          local_subjects(sdir))


def test_rules_unmarked():
    """user6: its server marks nothing."""
    sdir = scenario("rules6")
    load("user6", "INBOX", "SPAM six")
    conf = write_conf(sdir, "sp6", "user6", rules=RULES)
    rc, out = run_once(conf)
    check(rc != 0 and "the server of account sp6 marks no folder "
          "as \\Junk (SPECIAL-USE, RFC 6154)" in out,
          "move: '\\Junk' where no folder is marked: a clear error", out)
    check(subjects("user6", "INBOX") == ["SPAM six"],
          "... the message stays in the INBOX", subjects("user6", "INBOX"))
    check(folder_names("user6") == ["INBOX"],
          "... and no folder is created", folder_names("user6"))
    rc, out = run_once(conf)
    check(rc != 0 and "marks no folder as \\Junk" in out and
          subjects("user6", "INBOX") == ["SPAM six"],
          "... and it is tried again next round, nothing lost", out)


def test_fetch_marked():
    """folders = { '\\Archive', '\\\\Sent' }: the marked folders are
    fetched, whatever they are called."""
    sdir = scenario("fetch5")
    load("user5", "Archives 2026", "ARCHIVED five")
    load("user5", SENT, "SENT six")
    conf = write_conf(sdir, "fetch5", "user5",
                      folders=["\\Archive", "\\\\Sent"])
    rc, out = run_once(conf)
    got = local_subjects(sdir)
    check(rc == 0 and got == ["ARCHIVE two", "ARCHIVED five", "SENT six"],
          "folders = { '\\Archive', '\\\\Sent' } fetches \"Archives 2026\" "
          "and \"%s\" (modified UTF-7 on the wire)" % SENT, out + repr(got))
    rc, out = run_once(conf)
    check(rc == 0 and delivered(out, "fetch5") == 0,
          "... and the second run fetches nothing", out)
    sdir = scenario("fetch5twice")
    conf = write_conf(sdir, "twice", "user5",
                      folders=["\\Archive", "Archives 2026"])
    rc, out = run_once(conf)
    got = local_subjects(sdir)
    check(rc == 0 and got == ["ARCHIVE two", "ARCHIVED five"] and
          'folder Archives 2026 is "Archives 2026", listed before as '
          '\\Archive: fetched once' in out,
          "a folder listed by its attribute and by its name is fetched "
          "once", out + repr(got))
    conf = write_conf(scenario("fetch6"), "fetch6", "user6",
                      folders=["INBOX", "\\All"])
    rc, out = run_once(conf)
    check(rc != 0 and "folder \\All: the server of account fetch6 "
          "marks no folder as \\All" in out and
          delivered(out, "fetch6") == 1,
          "folders = { INBOX, '\\All' } where nothing is marked: INBOX is "
          "fetched, \\All is a clear error", out)


def test_check():
    """`mailsift check` takes the attributes and refuses what cannot be."""
    sdir = scenario("check")
    conf = write_conf(sdir, "chk", "user5", folders=["INBOX", "\\All"],
                      rules=RULES)
    rc, out = mailsift("check", "-c", conf)
    check(rc == 0, "check: move: '\\Junk' and folders = { '\\All' } pass",
          out)
    conf = write_conf(sdir, "chk", "user5", rules=RULES, kind="pop3")
    rc, out = mailsift("check", "-c", conf)
    check(rc != 0 and "'\\Junk' is the folder an IMAP server marks so, and "
          "this account's source has no server folders" in out,
          "check: a POP3 account's move: '\\Junk' is refused", out)
    conf = write_conf(sdir, "chk", "user5", folders=["\\Spam"])
    rc, out = mailsift("check", "-c", conf)
    check(rc != 0 and "'\\Spam' is not a SPECIAL-USE folder" in out,
          "check: folders = { '\\Spam' } is refused", out)


def main():
    os.makedirs(W)
    os.chmod(W, 0o755)
    for t in (test_check, test_rules_localised, test_rules_unmarked,
              test_fetch_marked):
        try:
            t()
        except Exception:
            check(False, t.__name__ + " ran to the end",
                  traceback.format_exc())
    print("special: %d passed, %d failed" % (counts["passed"],
                                             counts["failed"]))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
