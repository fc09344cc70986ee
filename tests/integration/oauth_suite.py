# SPDX-License-Identifier: ISC
"""
oauth_suite.py - what the OAuth2 suites (test_oauth*.py) share: the
MSX_* environment that servers-oauth.sh exports, the checks and their
counts, a runner of mailsift, the suite's main (no mailsift built: one
failure; else a fresh 0700 directory, then the summary line), the
oauth_grant rows of the state file, the account sections of a
configuration, and the mail in Dovecot and in the maildirs.

    S = Suite("oauth")                 # "oauth: N passed, N failed"
    check, mailsift = S.check, S.mailsift
    def main():
        return S.run("msxoauth.", tests)    # tests(op, w)

Suite(flush=True) flushes stdout after each check line (a suite whose
lines are watched while it runs); Suite(record=True) keeps every
mailsift output in S.outputs (a suite that scans them for secrets).
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

from oidc_client import Oidc

E = os.environ
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MAILSIFT = os.path.abspath(E.get("MAILSIFT", os.path.join(TOP, "mailsift")))
NATIVE = E["MSX_OIDC_NATIVE_CLIENT"]
SCOPES = "openid offline_access mail"
# the columns grant_row() reads unless told others
GRANT = "refresh_token, access_token, expires, last_refresh, state"


class Suite:
    """One suite's checks, counts and summary line ("NAME: N passed,
    N failed")."""

    def __init__(self, name, flush=False, record=False):
        self.name = name
        self.flush = flush
        self.outputs = [] if record else None
        self.counts = {"passed": 0, "failed": 0}

    def check(self, name, ok, detail=""):
        if ok:
            self.counts["passed"] += 1
            print(f"ok - {name}")
        else:
            self.counts["failed"] += 1
            print(f"not ok - {name}" + (f": {detail}" if detail else ""))
        if self.flush:
            sys.stdout.flush()

    def record(self, text):
        if self.outputs is not None:
            self.outputs.append(text)

    def mailsift(self, conf, *args, stdin=None, timeout=60):
        """Run `mailsift ARGS` with -c CONF after the command words;
        stdin: bytes to give it (none: /dev/null).  (rc, out, err)."""
        k = 2 if args[0] == "auth" else 1
        feed = {"input": stdin} if stdin is not None else \
            {"stdin": subprocess.DEVNULL}
        p = subprocess.run([MAILSIFT, *args[:k], "-c", conf, *args[k:]],
                           capture_output=True, timeout=timeout, **feed)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        self.record(out + err)
        return p.returncode, out, err

    def summary(self):
        print(f"{self.name}: {self.counts['passed']} passed, "
              f"{self.counts['failed']} failed")
        return 0 if self.counts["failed"] == 0 else 1

    def run(self, prefix, tests, keep=False):
        """The suite's main: tests(op, w) in a new 0700 directory named
        PREFIX..., removed after (kept under MSX_KEEP=1 if KEEP), then
        the summary line; the exit status."""
        if not os.access(MAILSIFT, os.X_OK):
            print(f"not ok - no mailsift at {MAILSIFT}")
            print(f"{self.name}: 0 passed, 1 failed")
            return 1
        op = Oidc(E["MSX_OIDC_ISSUER"], E["MSX_CA"])
        w = tempfile.mkdtemp(prefix=prefix)
        try:
            os.chmod(w, 0o700)
            tests(op, w)
        finally:
            if keep and E.get("MSX_KEEP") == "1":
                print(f"# kept {w}")
            else:
                shutil.rmtree(w, ignore_errors=True)
        return self.summary()


def grant_row(state, acct, cols=GRANT):
    """ACCT's oauth_grant row (the columns COLS), or None."""
    db = sqlite3.connect(state, timeout=10)
    try:
        return db.execute(f"SELECT {cols} FROM oauth_grant WHERE"
                          " account = ?", (acct,)).fetchone()
    finally:
        db.close()


def put_grant(state, acct, refresh, access="none", expires=None):
    """Seed ACCT's grant (provider custom, SCOPES), its access token
    expired unless EXPIRES says otherwise."""
    db = sqlite3.connect(state, timeout=10)
    try:
        now = int(time.time())
        db.execute("INSERT OR REPLACE INTO oauth_grant (account, provider,"
                   " scopes, refresh_token, access_token, expires,"
                   " last_refresh, updated) VALUES (?, 'custom', ?, ?, ?,"
                   " ?, ?, ?)", (acct, SCOPES, refresh, access,
                                 expires if expires is not None else now - 1,
                                 now - 60, now))
        db.commit()
    finally:
        db.close()


def expire(state, acct=None):
    """Expire ACCT's access token (every grant's without ACCT)."""
    db = sqlite3.connect(state, timeout=10)
    try:
        if acct is None:
            db.execute("UPDATE oauth_grant SET expires = 0")
        else:
            db.execute("UPDATE oauth_grant SET expires = 0 WHERE"
                       " account = ?", (acct,))
        db.commit()
    finally:
        db.close()


def account(name, kind, port, w, user="user1", extra="", keep="true"):
    """An account section logging in with auth = oauth2 to the test
    Dovecot, delivering to the maildir W/NAME; EXTRA: its oauth2-*
    lines and any other."""
    return (f"account '{name}' {{\n\ttype = {kind}\n\thost = 'localhost'\n"
            f"\tport = {port}\n\ttls = starttls\n"
            f"\ttls-ca-file = '{E['MSX_CA']}'\n\tuser = '{user}'\n"
            f"\tauth = oauth2\n\toauth2-provider = custom\n{extra}"
            f"\tkeep = {keep}\n\tdeliver = 'maildir:{w}/{name}'\n}}\n")


def native(option, url, scopes=SCOPES):
    """The oauth2-* lines of the code + PKCE client: its id, SCOPES and
    OPTION = URL (oauth2-token-url, oauth2-issuer)."""
    return (f"\toauth2-client-id = '{NATIVE}'\n"
            f"\toauth2-scopes = '{scopes}'\n"
            f"\t{option} = '{url}'\n")


def smtp_section(acct):
    """smtp 's': submission to the test Postfix as user1 with account
    ACCT's grant (oauth2-account)."""
    return (f"smtp 's' {{\n\thost = 'localhost'\n"
            f"\tport = {E['MSX_SUBMISSION_PORT']}\n\ttls = starttls\n"
            f"\ttls-ca-file = '{E['MSX_CA']}'\n\tuser = 'user1'\n"
            f"\tauth = oauth2\n\toauth2-account = '{acct}'\n"
            f"\tfrom = 'user1@{E['MSX_DOMAIN']}'\n}}\n")


def write_conf(path, text):
    """Write a configuration file, mode 0600 (it names commands)."""
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


def doveadm_save(user, subject, msgid):
    """Put a message (Message-ID <MSGID@example.test>) in USER's INBOX."""
    msg = (f"From: a@example.test\nTo: {user}@example.test\n"
           f"Subject: {subject}\nMessage-ID: <{msgid}@example.test>\n\n"
           f"body\n").encode()
    subprocess.run(["doveadm", "-c", E["MSX_DOVECOT_CONF"], "save", "-u",
                    user, "-m", "INBOX"], input=msg, check=True, timeout=30)


def fetched(w, acct):
    """The messages in the maildir W/ACCT (new and cur)."""
    got = []
    for sub in ("new", "cur"):
        d = os.path.join(w, acct, sub)
        got += os.listdir(d) if os.path.isdir(d) else []
    return got
