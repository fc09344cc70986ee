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
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oauth_suite import (E, NATIVE, SCOPES, Suite, account,  # noqa: E402
                         doveadm_save, expire, fetched, grant_row, native,
                         put_grant, smtp_section, write_conf)

S = Suite("oauth")
check, mailsift = S.check, S.mailsift


def conf_text(w, op):
    url = op.meta["token_endpoint"]
    # auth = oauth2 and nothing else: the logins ask daemon/oauth/
    return (f"state = '{w}/state.db'\n" +
            account("o", "imap", E["MSX_IMAP_PORT"], w,
                    extra=native("oauth2-token-url", url)) +
            account("p", "pop3", E["MSX_POP3_PORT"], w,
                    extra=native("oauth2-token-url", url)) +
            # submission with the grant of account o
            smtp_section("o"))


def save_message(n=1):
    doveadm_save("user1", "oauth", f"msx-oauth-{n}")


def refresh_and_login(op, w, conf, state):
    tok = op.code_login(NATIVE, "user1", scope=SCOPES)
    tokp = op.code_login(NATIVE, "user1", scope=SCOPES)
    check("the code grants gave refresh tokens",
          "refresh_token" in tok and "refresh_token" in tokp)
    rc, out, err = mailsift(conf, "auth", "token", "o")
    check("no grant yet: auth token says to run `mailsift auth login o`",
          rc == 1 and "`mailsift auth login o`" in err, err)
    put_grant(state, "o", tok["refresh_token"], tok["access_token"])
    put_grant(state, "p", tokp["refresh_token"], tokp["access_token"])
    save_message()
    op.admin("reset")
    rc, out, err = mailsift(conf, "run", "-v", "-v", "--once")
    got, gotp = fetched(w, "o"), fetched(w, "p")
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
    row, rowp = grant_row(state, "o"), grant_row(state, "p")
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
    put_grant(state, "o", grant_row(state, "o")[0],
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
    row = grant_row(state, "o")
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
    put_grant(state, "o", row[0], access=bogus,
              expires=int(time.time()) + 3000)
    put_grant(state, "p", rowp[0], access=bogus + "-p",
              expires=int(time.time()) + 3000)
    save_message(2)
    op.admin("reset")
    rc, out, err = mailsift(conf, "run", "-v", "-v", "--once")
    got, gotp = fetched(w, "o"), fetched(w, "p")
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
    new, newp = grant_row(state, "o"), grant_row(state, "p")
    check("refused token: the new ones are stored, the refused ones gone, "
          "no token in the trace", all(
              r[1] is not None and not r[1].startswith(bogus) and
              r[4] == "ok" and r[1] not in err and r[0] not in err
              for r in (new, newp)) and bogus not in err, str(new[2:]))


def revoked(op, conf, state):
    op.admin("revoke", account="user1")
    expire(state)
    op.admin("reset")
    rc, out, err = mailsift(conf, "auth", "token", "o")
    lines = [ln for ln in err.splitlines() if "auth login o" in ln]
    check("revoked: auth token fails and says to run "
          "`mailsift auth login o`, in one log line and the error",
          rc == 1 and len(lines) == 2 and out == "", err)
    row = grant_row(state, "o")
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


def tests(op, w):
    conf = write_conf(os.path.join(w, "mailsift.conf"), conf_text(w, op))
    state = os.path.join(w, "state.db")
    refresh_and_login(op, w, conf, state)
    check("the state file is 0600",
          os.stat(state).st_mode & 0o777 == 0o600)
    revoked(op, conf, state)


def main():
    return S.run("msxoauth.", tests)


if __name__ == "__main__":
    sys.exit(main())
