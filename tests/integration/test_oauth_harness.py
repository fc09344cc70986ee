#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_oauth_harness.py - the OAuth2 test chain of servers-oauth.sh, with
real parts and plain Python only (no mailsift code): tokens from the
test OpenID provider (client credentials, code + PKCE with a scripted
login, device flow) log in to Dovecot (IMAP, POP3) and to Postfix
submission (SASL through Dovecot) with XOAUTH2 and OAUTHBEARER, Dovecot
asking the provider's introspection endpoint each time; an expired, a
revoked or a foreign token is refused; a refresh rotates the refresh
token; the provider's counters and its "down" switch work.

Run by test-oauth-harness.sh (servers started, MSX_* exported).  One
line per check, then "oauth-harness: N passed, N failed".
"""
import base64
import http.client
import imaplib
import os
import poplib
import shutil
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oidc_client import Oidc, OidcError  # noqa: E402
from oauth_suite import (E, MAILSIFT, NATIVE, Suite,  # noqa: E402
                         doveadm_save, fetched)

HOST = E["MSX_HOST"]
CTX = ssl.create_default_context(cafile=E["MSX_CA"])
TTL = int(E["MSX_OIDC_TOKEN_TTL"])
DEVICE = E["MSX_OIDC_DEVICE_CLIENT"]
SERVICE = E["MSX_OIDC_SERVICE_CLIENT"]
SECRET = E["MSX_OIDC_SERVICE_SECRET"]
S = Suite("oauth-harness")
check = S.check


def xoauth2(user, token):
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def oauthbearer(user, token):
    return (f"n,a={user},\x01host={HOST}\x01port=143\x01"
            f"auth=Bearer {token}\x01\x01").encode()


MECHS = {"XOAUTH2": xoauth2, "OAUTHBEARER": oauthbearer}


def imap_login(user, token, mech="XOAUTH2"):
    """True if Dovecot's IMAP takes the token for USER."""
    m = imaplib.IMAP4(HOST, int(E["MSX_IMAP_PORT"]), timeout=10)
    try:
        m.starttls(CTX)
        resp = MECHS[mech](user, token)
        # A failed XOAUTH2 gets a JSON challenge first: answer it empty.
        answers = iter([resp, b""])
        try:
            typ, _ = m.authenticate(mech, lambda _c: next(answers))
        except imaplib.IMAP4.error:
            return False
        return typ == "OK"
    finally:
        try:
            m.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def pop3_login(user, token, mech="XOAUTH2"):
    p = poplib.POP3(HOST, int(E["MSX_POP3_PORT"]), timeout=10)
    try:
        p.stls(CTX)
        b64 = base64.b64encode(MECHS[mech](user, token)).decode()
        try:
            r = p._shortcmd(f"AUTH {mech} {b64}")
        except poplib.error_proto:
            return False
        if r.startswith(b"+ ") or r == b"+":
            try:
                p._shortcmd("")
            except poplib.error_proto:
                pass
            return False
        return r.startswith(b"+OK")
    finally:
        try:
            p.quit()
        except (poplib.error_proto, OSError):
            pass


def smtp_login(user, token, mech="XOAUTH2"):
    s = smtplib.SMTP(HOST, int(E["MSX_SUBMISSION_PORT"]), timeout=10)
    try:
        s.starttls(context=CTX)
        s.ehlo()
        b64 = base64.b64encode(MECHS[mech](user, token)).decode()
        code, _ = s.docmd("AUTH", f"{mech} {b64}")
        if code == 334:
            code, _ = s.docmd("")
        return code == 235
    finally:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass


def with_mailsift(op):
    """Today's mailsift (no OAuth2 code of its own): `mailsift run
    --once` with a password-command printing a token of the code grant,
    auth = xoauth2 (IMAP) and oauthbearer (POP3).  Skipped without a
    built mailsift (make check builds it first)."""
    if not os.access(MAILSIFT, os.X_OK):
        print(f"# skipped: no mailsift at {MAILSIFT}: the mailsift checks")
        return
    w = tempfile.mkdtemp(prefix="msxoauth.")
    try:
        os.chmod(w, 0o700)
        tok = op.code_login(NATIVE, "user1")
        tf = os.path.join(w, "token")
        with open(tf, "w") as f:
            f.write(tok["access_token"] + "\n")
        os.chmod(tf, 0o600)
        doveadm_save("user1", "oauth harness", "oh-1")
        accts = ""
        for name, kind, port, mech in (
                ("imap", "imap", E["MSX_IMAP_PORT"], "xoauth2"),
                ("pop3", "pop3", E["MSX_POP3_PORT"], "oauthbearer")):
            accts += (f"account '{name}' {{\n\ttype = {kind}\n"
                      f"\thost = 'localhost'\n\tport = {port}\n"
                      f"\ttls = starttls\n\ttls-ca-file = '{E['MSX_CA']}'\n"
                      f"\tuser = 'user1'\n"
                      f"\tpassword-command = '/bin/cat {tf}'\n"
                      f"\tauth = {mech}\n\tkeep = true\n"
                      f"\tdeliver = 'maildir:{w}/{name}'\n}}\n")
        conf = os.path.join(w, "mailsift.conf")
        with open(conf, "w") as f:
            f.write(f"state = '{w}/state.db'\n" + accts)
        os.chmod(conf, 0o600)
        p = subprocess.run([MAILSIFT, "run", "-c", conf, "--once"],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=60)
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        for name, mech in (("imap", "XOAUTH2"), ("pop3", "OAUTHBEARER")):
            got = fetched(w, name)
            check(f"mailsift run: {name} with {mech} through "
                  f"password-command fetched the message",
                  p.returncode == 0 and len(got) == 1,
                  f"rc {p.returncode}, {len(got)} messages: {out[-300:]}")
        check("mailsift's output holds no token",
              tok["access_token"] not in out)
    finally:
        shutil.rmtree(w, ignore_errors=True)


def main():
    op = Oidc(E["MSX_OIDC_ISSUER"], E["MSX_CA"])
    m = op.meta
    check("discovery names the token, introspection, revocation and "
          "device endpoints",
          all(k in m for k in ("token_endpoint", "introspection_endpoint",
                               "revocation_endpoint",
                               "device_authorization_endpoint"))
          and m["issuer"] == E["MSX_OIDC_ISSUER"])
    op.admin("reset")
    sent = 0    # token endpoint requests made here

    # Client credentials: the token's user is the client's mailbox.
    svc = op.client_credentials(SERVICE, SECRET)
    sent += 1
    su = E["MSX_OIDC_SERVICE_USER"]
    check("client_credentials gives a token that lives TTL seconds",
          svc.get("expires_in") == TTL and "refresh_token" not in svc,
          str(svc.get("expires_in")))
    svc_born = time.monotonic()
    check("IMAP XOAUTH2 with a client_credentials token",
          imap_login(su, svc["access_token"]))
    check("POP3 OAUTHBEARER with a client_credentials token",
          pop3_login(su, svc["access_token"], "OAUTHBEARER"))
    svc2 = op.client_credentials(E["MSX_OIDC_SERVICE_POST_CLIENT"], SECRET,
                                 basic=False)
    sent += 1
    check("client_credentials with the secret in the body",
          imap_login(su, svc2["access_token"], "OAUTHBEARER"))
    st, j = op.token({"grant_type": "client_credentials", "scope": "mail"},
                     SERVICE, "wrong-secret")
    sent += 1
    check("a wrong client secret is refused (invalid_client)",
          st == 401 and j.get("error") == "invalid_client", f"{st} {j}")

    # Authorization code + PKCE, login and consent scripted.
    tok = op.code_login(NATIVE, "user1",
                        redirect_uri="http://127.0.0.1:49152/callback")
    sent += 1
    check("code + PKCE: access and refresh token, offline_access granted",
          "refresh_token" in tok and "offline_access" in tok["scope"],
          str(sorted(tok)))
    at = tok["access_token"]
    for mech in ("XOAUTH2", "OAUTHBEARER"):
        check(f"IMAP {mech} with the code grant's token",
              imap_login("user1", at, mech))
        check(f"POP3 {mech} with the code grant's token",
              pop3_login("user1", at, mech))
        check(f"SMTP submission AUTH {mech} (Postfix through Dovecot)",
              smtp_login("user1", at, mech))
    check("IMAP refuses user1's token for user3", not imap_login("user3", at))
    check("SMTP refuses a bogus token", not smtp_login("user1", "bogus"))
    check("POP3 refuses a bogus token", not pop3_login("user1", "bogus"))
    try:
        op.code_login(NATIVE, "user1", wrong_verifier=True)
        check("a wrong PKCE verifier is refused", False)
    except OidcError as e:
        check("a wrong PKCE verifier is refused", "invalid_grant" in str(e),
              str(e))
    sent += 1

    # Device flow (RFC 8628), the user's side scripted.
    d = op.device_start(DEVICE)
    st, j = op.device_poll(DEVICE, d["device_code"])
    sent += 1
    check("device: authorization_pending before the user approves",
          st == 400 and j.get("error") == "authorization_pending", str(j))
    op.approve_device(d["verification_uri_complete"], "user3")
    st, dev = op.device_poll(DEVICE, d["device_code"])
    sent += 1
    check("device: tokens once approved", st == 200 and
          "refresh_token" in dev, str(st))
    check("IMAP XOAUTH2 with the device grant's token (user3)",
          imap_login("user3", dev.get("access_token", "")))

    # Rotation: the refresh token changes on use; the old one is refused
    # and, reused, revokes the whole grant (reuse detection).
    st, r2 = op.refresh(NATIVE, tok["refresh_token"])
    sent += 1
    check("refresh: new access and refresh token",
          st == 200 and r2.get("refresh_token") not in
          (None, tok["refresh_token"]), str(st))
    check("IMAP OAUTHBEARER with the refreshed token",
          imap_login("user1", r2.get("access_token", ""), "OAUTHBEARER"))
    st, r3 = op.refresh(NATIVE, r2["refresh_token"])
    sent += 1
    check("refresh again with the rotated token", st == 200, str(r3))
    st, j = op.refresh(NATIVE, tok["refresh_token"])
    sent += 1
    check("the old refresh token is refused (invalid_grant)",
          st == 400 and j.get("error") == "invalid_grant", f"{st} {j}")
    st, j = op.refresh(NATIVE, r3["refresh_token"])
    sent += 1
    check("reusing an old refresh token revoked the grant (the newest "
          "refresh token is refused too)",
          st == 400 and j.get("error") == "invalid_grant", f"{st} {j}")
    check("... and its access token is refused by IMAP",
          not imap_login("user1", r3["access_token"]))

    # Revocation endpoint (RFC 7009) and the admin's grant revocation.
    t2 = op.code_login(NATIVE, "user1")
    sent += 1
    check("a second login works", imap_login("user1", t2["access_token"]))
    check("revocation endpoint answers 200",
          op.revoke(NATIVE, t2["access_token"]) == 200)
    check("a revoked access token is refused by IMAP",
          not imap_login("user1", t2["access_token"]))
    st, t3 = op.refresh(NATIVE, t2["refresh_token"])
    sent += 1
    check("revoking the access token left the refresh token", st == 200,
          str(t3))
    n = op.admin("revoke", account="user1")["revoked"]
    check("admin revoke: user1's grants revoked", n >= 1, str(n))
    check("a revoked grant's access token is refused by IMAP",
          not imap_login("user1", t3["access_token"]))
    st, j = op.refresh(NATIVE, t3["refresh_token"])
    sent += 1
    check("a revoked grant's refresh token is refused (invalid_grant)",
          st == 400 and j.get("error") == "invalid_grant", f"{st} {j}")
    check("user3's grant is untouched by user1's revocation",
          imap_login("user3", dev["access_token"], "OAUTHBEARER"))

    # Provider down: the token endpoint fails, introspection still works.
    op.admin("down", on=1)
    st, j = op.refresh(DEVICE, dev["refresh_token"])
    sent += 1
    check("down: the token endpoint answers 503",
          st == 503 and j.get("error") == "temporarily_unavailable", str(st))
    op.admin("down", on=1, mode="close")
    try:
        st, j = op.refresh(DEVICE, dev["refresh_token"])
        check("down (close): the token request gets no answer", False,
              str(st))
    except (OSError, http.client.HTTPException):
        check("down (close): the token request gets no answer", True)
    sent += 1
    op.admin("down", on=0)
    st, j = op.refresh(DEVICE, dev["refresh_token"])
    sent += 1
    check("up again: the same refresh token works", st == 200, str(j))

    s = op.stats()
    check(f"the provider counted every token request ({sent})",
          s["token"] == sent, str(s["token"]))
    check("introspection requests were counted (Dovecot asked)",
          s["introspection"] >= 10, str(s["introspection"]))

    with_mailsift(op)

    # Expiry: the first token, after its lifetime.
    left = TTL + 1 - (time.monotonic() - svc_born)
    if left > 0:
        time.sleep(left)
    check(f"an expired token (after {TTL}s) is refused by IMAP",
          not imap_login(su, svc["access_token"]))
    check("... and by POP3",
          not pop3_login(su, svc["access_token"], "OAUTHBEARER"))

    return S.summary()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a crash is a failure, with its summary
        check("unexpected error", False, repr(e))
        sys.exit(S.summary())
