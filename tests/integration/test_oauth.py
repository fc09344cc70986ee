#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_oauth.py - mailsift's own OAuth2 code against the test provider:
grants of the code + PKCE flow (oidc_client.py, the login scripted) are
put in mailsift's state file with expired access tokens; `mailsift run
--once` logs in with `auth = oauth2` alone (no password-command) to
Dovecot's IMAP and POP3, with OAUTHBEARER, which both offer next to
XOAUTH2: each login refreshes its grant, one token request each, the
rotated refresh tokens saved, the message fetched, no token in any
output or trace.  Tokens the servers refuse (stored as fresh, but not
the provider's) are asked for again as refused, refreshed, and the
login retried once, with no error line.  `mailsift send` submits
through Postfix with an smtp section's oauth2-account (the account's
grant), the same way.  Then the provider revokes the grant: `mailsift
auth token` says "needs login" once, naming `mailsift auth login
ACCOUNT`, and asks the provider no more.

Run by test-oauth.sh (servers started, MSX_* exported).  One line per
check, then "oauth: N passed, N failed".
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from oidc_client import Oidc  # noqa: E402

E = os.environ
NATIVE = E["MSX_OIDC_NATIVE_CLIENT"]
TOP = os.path.dirname(os.path.dirname(HERE))
MAILSIFT = os.path.abspath(E.get("MAILSIFT", os.path.join(TOP, "mailsift")))
SCOPES = "openid offline_access mail"
counts = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    if ok:
        counts["passed"] += 1
        print(f"ok - {name}")
    else:
        counts["failed"] += 1
        print(f"not ok - {name}" + (f": {detail}" if detail else ""))


def mailsift(conf, *args):
    k = 2 if args[0] == "auth" else 1     # -c after the command words
    p = subprocess.run([MAILSIFT, *args[:k], "-c", conf, *args[k:]],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def grant_row(state, acct="o"):
    db = sqlite3.connect(state)
    try:
        return db.execute("SELECT refresh_token, access_token, expires,"
                          " last_refresh, state FROM oauth_grant WHERE"
                          " account = ?", (acct,)).fetchone()
    finally:
        db.close()


def account(name, kind, port, w):
    return (f"account '{name}' {{\n\ttype = {kind}\n\thost = 'localhost'\n"
            f"\tport = {port}\n\ttls = starttls\n"
            f"\ttls-ca-file = '{E['MSX_CA']}'\n\tuser = 'user1'\n"
            f"\tauth = oauth2\n\toauth2-provider = custom\n"
            f"\toauth2-client-id = '{NATIVE}'\n"
            f"\toauth2-scopes = '{SCOPES}'\n"
            f"\toauth2-token-url = '{TOKEN_URL[0]}'\n"
            f"\tkeep = true\n\tdeliver = 'maildir:{w}/{name}'\n}}\n")


def write_conf(w, op):
    conf = os.path.join(w, "mailsift.conf")
    TOKEN_URL[0] = op.meta["token_endpoint"]
    with open(conf, "w") as f:
        # auth = oauth2 and nothing else: the logins ask daemon/oauth/
        f.write(f"state = '{w}/state.db'\n" +
                account("o", "imap", E["MSX_IMAP_PORT"], w) +
                account("p", "pop3", E["MSX_POP3_PORT"], w) +
                # submission with the grant of account o
                f"smtp 's' {{\n\thost = 'localhost'\n"
                f"\tport = {E['MSX_SUBMISSION_PORT']}\n\ttls = starttls\n"
                f"\ttls-ca-file = '{E['MSX_CA']}'\n\tuser = 'user1'\n"
                f"\tauth = oauth2\n\toauth2-account = 'o'\n"
                f"\tfrom = 'user1@{E['MSX_DOMAIN']}'\n}}\n")
    os.chmod(conf, 0o600)
    return conf


TOKEN_URL = [""]


def put_grant(state, tok, acct="o", access=None, expires=None):
    db = sqlite3.connect(state)
    try:
        now = int(time.time())
        db.execute("INSERT OR REPLACE INTO oauth_grant (account, provider,"
                   " scopes, refresh_token, access_token, expires,"
                   " last_refresh, updated) VALUES (?, 'custom', ?, ?, ?,"
                   " ?, ?, ?)", (acct, SCOPES, tok["refresh_token"],
                                 access or tok["access_token"],
                                 expires or now - 1, now - 60, now))
        db.commit()
    finally:
        db.close()


def save_message(n=1):
    msg = (b"From: a@example.test\nTo: user1@example.test\n"
           b"Subject: oauth\nMessage-ID: <msx-oauth-%d@example.test>\n\n"
           b"body\n" % n)
    subprocess.run(["doveadm", "-c", E["MSX_DOVECOT_CONF"], "save", "-u",
                    "user1", "-m", "INBOX"], input=msg, check=True,
                   timeout=30)


def fetched(w, acct="o"):
    got = []
    for sub in ("new", "cur"):
        d = os.path.join(w, acct, sub)
        got += os.listdir(d) if os.path.isdir(d) else []
    return got


def refresh_and_login(op, w, conf, state):
    tok = op.code_login(NATIVE, "user1", scope=SCOPES)
    tokp = op.code_login(NATIVE, "user1", scope=SCOPES)
    check("the code grants gave refresh tokens",
          "refresh_token" in tok and "refresh_token" in tokp)
    rc, out, err = mailsift(conf, "auth", "token", "o")
    check("no grant yet: auth token says to run `mailsift auth login o`",
          rc == 1 and "`mailsift auth login o`" in err, err)
    put_grant(state, tok)
    put_grant(state, tokp, "p")
    save_message()
    op.admin("reset")
    rc, out, err = mailsift(conf, "run", "-v", "-v", "--once")
    got, gotp = fetched(w), fetched(w, "p")
    check("mailsift run: IMAP login with auth = oauth2 alone (the token "
          "mailsift refreshed) fetched the message",
          rc == 0 and len(got) == 1,
          f"rc {rc}, {len(got)} messages: {(out + err)[-300:]}")
    check("mailsift run: POP3 login with auth = oauth2 alone fetched "
          "the message", rc == 0 and len(gotp) == 1,
          f"rc {rc}, {len(gotp)} messages: {(out + err)[-300:]}")
    check("both logins chose OAUTHBEARER, offered next to XOAUTH2",
          "AUTHENTICATE OAUTHBEARER" in err and "AUTH OAUTHBEARER" in
          err.replace("AUTHENTICATE OAUTHBEARER", "") and
          "AUTHENTICATE XOAUTH2" not in err and "AUTH XOAUTH2" not in err,
          err[-600:])
    by = op.stats()["by_grant"]
    check("one token request per grant, a refresh",
          by == {"refresh_token": 2}, str(by))
    row, rowp = grant_row(state), grant_row(state, "p")
    check("the rotated refresh tokens are saved, the new access tokens "
          "with their expiry", all(
              r is not None and r[0] != t["refresh_token"] and
              r[1] != t["access_token"] and r[2] > time.time() and
              r[4] == "ok" for r, t in ((row, tok), (rowp, tokp))),
          str(row and row[2:]))
    rc2, out2, err2 = mailsift(conf, "auth", "token", "o")
    by = op.stats()["by_grant"]
    check("asked again while fresh: the same token, no request",
          rc2 == 0 and out2.strip() == row[1] and
          by == {"refresh_token": 2}, str(by))
    rc3, out3, err3 = mailsift(conf, "auth", "status")
    lines = out3.splitlines()
    check("auth status lists the grants: ok, custom, scopes, no token",
          rc3 == 0 and len(lines) == 3 and lines[1].split()[:3] ==
          ["o", "custom", "ok"] and SCOPES in lines[1] and
          row[0] not in out3 and row[1] not in out3, out3)
    text = out + err + err2 + out3 + err3
    check("mailsift's output and -vv trace hold no token",
          all(t not in text for t in (tok["refresh_token"],
                                      tok["access_token"], row[0],
                                      tokp["refresh_token"],
                                      tokp["access_token"], rowp[0],
                                      rowp[1])))
    refused(op, w, conf, state, row)
    submission(op, w, conf, state)


def submission(op, w, conf, state):
    """mailsift send through the smtp section with oauth2-account."""
    body = os.path.join(w, "body.txt")
    with open(body, "w") as f:
        f.write("sent with a token\n")
    # a token the server refuses first: asked again, the login retried
    put_grant(state, {"refresh_token": grant_row(state)[0]}, "o",
              access="refused-by-submission",
              expires=int(time.time()) + 3000)
    op.admin("reset")
    rc, out, err = mailsift(conf, "send", "--smtp", "s", "--to",
                            f"user1@{E['MSX_DOMAIN']}", "--subject",
                            "msx-oauth-submission", "--text", body, "-v",
                            "-v")
    found = ""
    for _ in range(50):
        p = subprocess.run(["doveadm", "-c", E["MSX_DOVECOT_CONF"],
                            "search", "-u", "user1", "mailbox", "INBOX",
                            "subject", "msx-oauth-submission"],
                           capture_output=True, timeout=30)
        found = p.stdout.decode().strip()
        if found:
            break
        time.sleep(0.2)
    check("mailsift send: submission with auth = oauth2 and oauth2-account"
          " (the account's grant) delivered the message",
          rc == 0 and found != "", f"rc {rc}: {(out + err)[-400:]}")
    row = grant_row(state)
    by = op.stats()["by_grant"]
    check("mailsift send: OAUTHBEARER chosen, the refused token "
          "refreshed once and the login retried once, no token in the "
          "-vv trace", err.count("AUTH OAUTHBEARER") == 2 and
          by == {"refresh_token": 1} and row[1] not in err and
          row[0] not in err and "refused-by-submission" not in err,
          f"{by}: {err[-400:]}")


def refused(op, w, conf, state, row):
    """Stored tokens with time left that the servers refuse."""
    bogus = "not-a-token-the-provider-gave"
    rowp = grant_row(state, "p")
    put_grant(state, {"refresh_token": row[0]}, "o", access=bogus,
              expires=int(time.time()) + 3000)
    put_grant(state, {"refresh_token": rowp[0]}, "p", access=bogus + "-p",
              expires=int(time.time()) + 3000)
    save_message(2)
    op.admin("reset")
    rc, out, err = mailsift(conf, "run", "-v", "-v", "--once")
    got, gotp = fetched(w), fetched(w, "p")
    by = op.stats()["by_grant"]
    check("refused token: asked again as refused, refreshed, the IMAP and "
          "POP3 logins retried once and the new message fetched",
          rc == 0 and len(got) == 2 and len(gotp) == 2 and
          by == {"refresh_token": 2} and
          err.count("AUTHENTICATE OAUTHBEARER") == 2 and
          err.count("> AUTH OAUTHBEARER") == 2 and
          "[error]" not in err,
          f"rc {rc}, {len(got)}/{len(gotp)} messages, {by}, "
          f"{err.count('AUTHENTICATE OAUTHBEARER')} AUTHENTICATE, "
          f"{err.count('> AUTH OAUTHBEARER')} AUTH: "
          + "|".join(ln for ln in err.splitlines() if "OAUTHB" in ln or
                     "refused" in ln))
    new, newp = grant_row(state), grant_row(state, "p")
    check("refused token: the new ones are stored, the refused ones gone, "
          "no token in the trace", all(
              r[1] is not None and not r[1].startswith(bogus) and
              r[4] == "ok" and r[1] not in err and r[0] not in err
              for r in (new, newp)) and bogus not in err, str(new[2:]))


def revoked(op, conf, state):
    op.admin("revoke", account="user1")
    db = sqlite3.connect(state)
    db.execute("UPDATE oauth_grant SET expires = 0")
    db.commit()
    db.close()
    op.admin("reset")
    rc, out, err = mailsift(conf, "auth", "token", "o")
    lines = [ln for ln in err.splitlines() if "auth login o" in ln]
    check("revoked: auth token fails and says to run "
          "`mailsift auth login o`, in one log line and the error",
          rc == 1 and len(lines) == 2 and out == "", err)
    row = grant_row(state)
    check("revoked: the grant needs login, its access token forgotten",
          row[4] == "needs-login" and row[1] is None, str(row[2:]))
    for _ in range(3):
        rc, out, err = mailsift(conf, "auth", "token", "o")
    by = op.stats()["by_grant"]
    check("revoked: no retry storm (one token request in four asks)",
          rc == 1 and by == {"refresh_token": 1}, str(by))
    rc, out, _ = mailsift(conf, "auth", "status")
    check("auth status shows needs-login and the command to run",
          "needs-login" in out and "`mailsift auth login o`" in out, out)


def main():
    if not os.access(MAILSIFT, os.X_OK):
        print(f"not ok - no mailsift at {MAILSIFT}")
        print("oauth: 0 passed, 1 failed")
        return 1
    op = Oidc(E["MSX_OIDC_ISSUER"], E["MSX_CA"])
    w = tempfile.mkdtemp(prefix="msxoauth.")
    try:
        os.chmod(w, 0o700)
        conf = write_conf(w, op)
        state = os.path.join(w, "state.db")
        refresh_and_login(op, w, conf, state)
        check("the state file is 0600",
              os.stat(state).st_mode & 0o777 == 0o600)
        revoked(op, conf, state)
    finally:
        shutil.rmtree(w, ignore_errors=True)
    print(f"oauth: {counts['passed']} passed, {counts['failed']} failed")
    return 0 if counts["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
