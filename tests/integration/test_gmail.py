#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_gmail.py - `mailsift run` against an EMULATION of Gmail's IMAP
(emul_gmail.py, built from Google's published description; see its
sources there and in README.md).  Passing here means mailsift does what
those documents describe, not that it was tried on Gmail itself.

Started by test-gmail.sh with MSX_DIR, MSX_GMAIL_CA, _CERT and _KEY in
the environment.  One line per check ("ok - ..." / "not ok - ..."),
then "gmail: N passed, N failed".
"""
import hashlib
import os
import re
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import emul_gmail  # noqa: E402

MAILSIFT = os.path.join(TOP, "mailsift")
E = os.environ
D = E["MSX_DIR"]
USER, PASS = "user@gmail.test", "gmail-secret"

counts = {"passed": 0, "failed": 0}


def check(ok, desc, detail=""):
    if ok:
        print("ok - " + desc)
        counts["passed"] += 1
    else:
        print("not ok - " + desc)
        for line in str(detail).splitlines()[-30:]:
            print("#   " + line)
        counts["failed"] += 1
    sys.stdout.flush()
    return ok


def run(conf):
    p = subprocess.run([MAILSIFT, "run", "-c", conf, "--once"],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=120)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def stats(out):
    m = re.search(r"gmail: fetched (\d+), delivered (\d+), skipped (\d+), "
                  r"errors (\d+)", out)
    return tuple(map(int, m.groups())) if m else None


def message(tag, subject, body=b"hello\n"):
    return (b"From: Sender <sender@example.test>\n"
            b"To: user@gmail.test\n"
            b"Date: Mon, 03 Jun 2024 10:00:00 +0000\n"
            b"Subject: " + subject.encode() + b"\n"
            b"Message-ID: <" + tag.encode() + b"@gmail.example.test>\n"
            b"\n" + body)


def maildir_files(path):
    out = []
    for root, _, names in os.walk(path):
        if os.path.basename(root) in ("new", "cur"):
            out += [os.path.join(root, n) for n in names]
    return out


def delivered(root, tag):
    """Files under root holding the message tagged tag."""
    needle = ("<%s@gmail.example.test>" % tag).encode()
    hits = []
    for f in maildir_files(root):
        with open(f, "rb") as fp:
            if needle in fp.read():
                hits.append(f)
    return hits


def digest(data):
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


RULES = """version: 1
rules:
  - name: work
    when: { label: '^Work$' }
    do:
      - deliver: 'maildir:%(w)s/Work'
      - add-label: [Processed, '\\Starred']
      - remove-label: '\\Important'
  - name: buero
    when: { label: '^B\u00fcro/2026$' }
    do: [ { deliver: 'maildir:%(w)s/Buero' } ]
  - name: trash
    when: { subject: '^Trash me' }
    do: [ delete ]
  - name: archive
    when: { subject: '^Archive me' }
    do: [ { move: 'Archive/2026' } ]
"""

CONF = """state = "%(w)s/state.db"
account gmail {
	type = imap
	host = "localhost"
	port = %(port)d
	tls = implicit
	tls-ca-file = "%(ca)s"
	user = "%(user)s"
	password = "%(pw)s"
	folders = { "INBOX", "Work", "B\u00fcro/2026" }
	deliver = "maildir:%(w)s/Maildir"
	rules = "%(rules)s"
}
"""


def main():
    emu = emul_gmail.Emulator(E["MSX_GMAIL_CERT"], E["MSX_GMAIL_KEY"],
                              {USER: PASS})
    port = emu.start()
    acct = emu.accounts[USER]
    w = os.path.join(D, "gmail")
    os.makedirs(w)
    v = {"w": w, "port": port, "ca": E["MSX_GMAIL_CA"], "user": USER,
         "pw": PASS, "rules": os.path.join(w, "rules.yaml")}
    with open(v["rules"], "w", encoding="utf-8") as f:
        f.write(RULES % v)
    conf = os.path.join(w, "mailsift.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(CONF % v)
    os.chmod(conf, 0o600)

    both = emu.add_message(USER, message("both", "In INBOX and Work"),
                           ["\\Inbox", "Work", "\\Important"])
    only_label = emu.add_message(USER, message("buero", "Receipt"),
                                 ["B\u00fcro/2026"])
    trash = emu.add_message(USER, message("trash", "Trash me"),
                            ["\\Inbox", "Newsletters"])
    archive = emu.add_message(USER, message("archive", "Archive me"),
                              ["\\Inbox"])
    plain = emu.add_message(USER, message("plain", "Plain",
                                          b"line\n.\n..dots\n"), ["\\Inbox"])

    rc, log = run(conf)
    check(rc == 0, "emulated Gmail: the round succeeds", log)
    check(len(re.findall(r"folder Work UID \d+: the same message "
                         r"\(X-GM-MSGID %d\)" % both.msgid, log)) == 1 and
          stats(log) == (5, 4, 2, 0), "emulated Gmail: the INBOX message seen "
          "again in Work is recognised by X-GM-MSGID, not fetched", log)
    hits = delivered(w, "both")
    check(len(hits) == 1, "emulated Gmail: the message in INBOX and Work "
          "is delivered once", "%s\n%s" % (hits, log))
    check(len(hits) == 1 and "/Work/" in hits[0], "emulated Gmail: its "
          "labels reached the rules (label: '^Work$' delivered it to Work)",
          "%s\n%s" % (hits, log))
    hits = delivered(w, "buero")
    check(len(hits) == 1 and "/Buero/" in hits[0], "emulated Gmail: a "
          "modified UTF-7 label (B&APw-ro/2026) matched as UTF-8, fetched "
          "from its label folder", "%s\n%s" % (hits, log))
    check("Processed" in both.labels and "\\Starred" in both.labels,
          "emulated Gmail: add-label reached the server (STORE "
          "+X-GM-LABELS)", "%s\n%s" % (both.labels, log))
    check("\\Important" not in both.labels and "Work" in both.labels and
          "\\Inbox" in both.labels, "emulated Gmail: remove-label took "
          "only that label off", "%s\n%s" % (both.labels, log))
    check(acct.folders_of(trash) == ["[Gmail]/Trash"] and
          len(delivered(w, "trash")) == 1, "emulated Gmail: delete moved "
          "the message to [Gmail]/Trash (found by SPECIAL-USE), after "
          "its delivery", "%s\n%s" % (acct.folders_of(trash), log))
    moved = acct.folders_of(archive)
    check("Archive/2026" in acct.user_labels and "Archive/2026" in moved
          and "INBOX" not in moved, "emulated Gmail: a move to a missing "
          "folder, refused without [TRYCREATE], creates it and moves",
          "%s\n%s" % (moved, log))
    p = delivered(w, "plain")
    check(len(p) == 1 and digest(open(p[0], "rb").read()) ==
          digest(plain.data), "emulated Gmail: the bytes delivered are "
          "the bytes stored", p)
    check(acct.folders_of(only_label) == ["[Gmail]/All Mail",
                                          "B\u00fcro/2026"],
          "emulated Gmail: a label folder fetched with keep stays as it "
          "was", acct.folders_of(only_label))
    stores = [c for c in acct.log if "X-GM-LABELS" in c and "STORE" in c]
    check(any("+X-GM-LABELS" in c for c in stores) and
          any("-X-GM-LABELS (\\Important)" in c for c in stores),
          "emulated Gmail: labels sent as STORE +/-X-GM-LABELS, system "
          "labels as atoms", "\n".join(stores))

    # a message that turns up in a second label folder later
    both.labels.add("B\u00fcro/2026")
    acct.sync()
    rc, log = run(conf)
    st = stats(log)
    check(rc == 0 and st is not None and st[0] == 0 and st[1] == 0,
          "emulated Gmail: a second run fetches nothing, even with the "
          "message now in a third label folder", log)
    check(len(delivered(w, "both")) == 1, "emulated Gmail: still delivered "
          "once after the second run", log)
    emu.stop()


if __name__ == "__main__":
    try:
        main()
    except Exception:
        check(False, "the suite ran to its end", traceback.format_exc())
    print("gmail: %d passed, %d failed" % (counts["passed"],
                                           counts["failed"]))
    sys.exit(1 if counts["failed"] else 0)
