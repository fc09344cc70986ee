#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_oauth_device.py - the device grant, logout and the client
credentials flow of mailsift's own OAuth2 code, against the test
provider (oidc/provider.mjs), Dovecot's oauth2 passdb, as a user would:

1. `mailsift auth login --device d` (client mailsift-device) prints the
   verification URI and the user code and polls; the provider answers
   authorization_pending until the test, as the user, approves it after
   a few polls (oidc_client.approve_device); the grant is stored
   (refresh token, access token, granted scopes) and `mailsift run
   --once` fetches user1's message over IMAP with it.
2. A second --device login the user denies (the provider's abort
   button): access_denied, a clear message, exit 1, the grant kept.
3. `mailsift auth logout d`: the provider counts one revocation, the
   grant is gone, and the refresh token mailsift held is refused by the
   provider afterwards (invalid_grant).
4. oauth2-flow = client-credentials (client mailsift-service, HTTP
   Basic, the secret through oauth2-client-secret-command from
   MSX_OIDC_SERVICE_SECRET): `auth login` says no login is needed, `mailsift
   run --once` fetches user2's mail over IMAP and POP3 with no login, one
   client_credentials request per account, none on a second run while
   the tokens are fresh; `auth status` shows the accounts.

Run by test-oauth-device.sh.  One line per check, then "oauth-device: N
passed, N failed".
"""
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oauth_suite import (E, MAILSIFT, SCOPES, Suite,  # noqa: E402
                         account, doveadm_save, fetched, grant_row,
                         write_conf)

DEVICE = E["MSX_OIDC_DEVICE_CLIENT"]
# a confidential client: mailsift authenticates it with HTTP Basic
# (client_secret_basic, RFC 6749 2.3.1), which the provider enforces
SERVICE = E["MSX_OIDC_SERVICE_CLIENT"]
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# the columns of the grant rows read here
COLS = "refresh_token, access_token, expires, scopes, state, provider"
S = Suite("oauth-device", flush=True)
check, mailsift = S.check, S.mailsift


def conf_text(w, op, device_account=True):
    m = op.meta
    device = (f"\toauth2-client-id = '{DEVICE}'\n"
              f"\toauth2-scopes = '{SCOPES}'\n"
              f"\toauth2-token-url = '{m['token_endpoint']}'\n"
              f"\toauth2-device-url = "
              f"'{m['device_authorization_endpoint']}'\n"
              f"\toauth2-revoke-url = '{m['revocation_endpoint']}'\n")
    app = (f"\toauth2-flow = client-credentials\n"
           f"\toauth2-client-id = '{SERVICE}'\n"
           f"\toauth2-client-secret-command = "
           f"'printenv MSX_OIDC_SERVICE_SECRET'\n"
           f"\toauth2-scopes = 'mail'\n"
           f"\toauth2-token-url = '{m['token_endpoint']}'\n")
    return (f"state = '{w}/state.db'\n" +
            (account("d", "imap", E["MSX_IMAP_PORT"], w, "user1",
                     device) if device_account else
             account("c", "imap", E["MSX_IMAP_PORT"], w, "user2", app) +
             account("cp", "pop3", E["MSX_POP3_PORT"], w, "user2", app)))


def polls(op):
    return op.stats()["by_grant"].get(DEVICE_GRANT, 0)


def device_start(conf, acct):
    """Start `auth login --device`; read what it shows up to the
    complete URI: (process, lines shown, verification_uri_complete)."""
    p = subprocess.Popen([MAILSIFT, "auth", "login", "-c", conf, "--device",
                          acct], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    shown, complete = [], None
    for line in p.stdout:
        line = line.decode("utf-8", "replace").rstrip("\n")
        shown.append(line)
        if line.startswith("(or open "):
            complete = line[len("(or open "):].split(",")[0]
        if "Waiting for the login" in line:
            break
    return p, shown, complete


def wait_polls(op, n):
    for _ in range(120):
        if polls(op) >= n:
            return True
        time.sleep(0.5)
    return False


def deny_device(op, complete):
    """The user presses the provider's abort button (access_denied)."""
    op.cookies = {}
    st, _, body = op.request("GET", complete)
    page = body.decode(errors="replace")
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page)
    code = re.search(r'name="user_code" value="([^"]+)"', page)
    if st != 200 or not xsrf or not code:
        return False
    st, _, _ = op.request("POST", urllib.parse.urlsplit(complete).path, {
        "xsrf": xsrf.group(1), "user_code": code.group(1), "abort": "yes"})
    return st in (200, 302, 303, 400)


def device_login(op, w, conf, state):
    doveadm_save("user1", "device", "msx-dev-1")
    op.admin("reset")
    p, shown, complete = device_start(conf, "d")
    text = "\n".join(shown)
    check("auth login --device shows the verification URI and the user "
          "code, and the complete URI",
          complete is not None and "/device" in text and
          "enter the code" in text, text)
    if complete is None:
        p.kill()
        p.wait()
        return None
    uri = shown[shown.index("and enter the code") - 2].strip() \
        if "and enter the code" in shown else ""
    code = shown[shown.index("and enter the code") + 2].strip() \
        if "and enter the code" in shown else ""
    check("the user code shown is the one in the complete URI",
          code != "" and urllib.parse.parse_qs(urllib.parse.urlsplit(
              complete).query).get("user_code") == [code] and
          complete.startswith(uri), f"{uri} {code} {complete}")
    # the user approves only after mailsift has polled twice: pending
    check("mailsift polls while the login is pending",
          wait_polls(op, 2), str(op.stats()["by_grant"]))
    op.approve_device(complete, "user1")
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    by = op.stats()
    row = grant_row(state, "d", COLS)
    check("approved: auth login --device ends 0, the grant stored "
          "(refresh and access token, granted scopes, provider)",
          p.returncode == 0 and "Logged in" in out and row is not None and
          row[0] and row[1] and row[2] > time.time() and
          "offline_access" in row[3] and row[4] == "ok" and
          row[5] == "custom", f"rc {p.returncode} {err} {row and row[2:]}")
    check("one device authorization, polls answered pending until the "
          "approval, then one token",
          by["device_authorization"] == 1 and
          by["by_grant"].get(DEVICE_GRANT, 0) >= 3 and
          by["token_ok"] == 1, str(by))
    check("no token in what auth login --device printed",
          row is not None and row[0] not in text + out + err and
          row[1] not in text + out + err)
    rc, out, err = mailsift(conf, "run", "--once")
    got = fetched(w, "d")
    check("mailsift run --once fetches user1's mail over IMAP with the "
          "device grant", rc == 0 and len(got) == 1,
          f"rc {rc} {len(got)} {(out + err)[-300:]}")
    return row


def device_denied(op, conf, state):
    before = grant_row(state, "d", COLS)
    op.admin("reset")
    p, shown, complete = device_start(conf, "d")
    ok = complete is not None and wait_polls(op, 1) and \
        deny_device(op, complete)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    err = err.decode(errors="replace")
    check("denied at the provider: exit 1, access_denied named, nothing "
          "stored (the old grant kept)",
          ok and p.returncode == 1 and "denied" in err and
          "access_denied" in err and grant_row(state, "d", COLS) == before,
          f"rc {p.returncode} {err}")


def logout(op, conf, state):
    row = grant_row(state, "d", COLS)
    op.admin("reset")
    rc, out, err = mailsift(conf, "auth", "logout", "d")
    st = op.stats()
    check("auth logout: revoked at the provider and forgotten, exit 0",
          rc == 0 and "revoked at the provider" in out and
          st["revocation"] == 1 and grant_row(state, "d", COLS) is None,
          f"rc {rc} {out} {err} {st['revocation']}")
    code, j = op.refresh(DEVICE, row[0])
    check("the refresh token mailsift held is refused after logout",
          code == 400 and j.get("error") == "invalid_grant", f"{code} {j}")
    rc, out, err = mailsift(conf, "auth", "logout", "d")
    check("logout again: no grant, nothing to do, exit 0",
          rc == 0 and "no grant" in out, out + err)
    rc, out, err = mailsift(conf, "auth", "token", "d")
    check("after logout auth token says to log in",
          rc == 1 and "`mailsift auth login d`" in err, err)


def client_credentials(op, w, conf, state):
    rc, out, err = mailsift(conf, "auth", "login", "c")
    check("auth login for a client-credentials account: no login needed",
          rc == 0 and "no login is needed" in out, out + err)
    doveadm_save("user2", "device", "msx-dev-2")
    op.admin("reset")
    rc, out, err = mailsift(conf, "run", "-v", "-v", "--once")
    got, gotp = fetched(w, "c"), fetched(w, "cp")
    check("the -vv trace holds neither the client secret nor a token",
          E["MSX_OIDC_SERVICE_SECRET"] not in out + err and
          all(r is None or r[1] not in out + err
              for r in (grant_row(state, "c", COLS),
                        grant_row(state, "cp", COLS))))
    st = op.stats()
    by = st["by_grant"]
    check("client credentials: IMAP and POP3 fetch user2's mail with no "
          "login", rc == 0 and len(got) == 1 and len(gotp) == 1,
          f"rc {rc} {len(got)}/{len(gotp)} {(out + err)[-300:]}")
    check("one client_credentials request per account",
          st["token"] == 2 and st["token_ok"] == 2 and
          by.get("client_credentials", 2) == 2, str(st))
    rows = [grant_row(state, a, COLS) for a in ("c", "cp")]
    check("the app's tokens are kept in the store, no refresh token",
          all(r is not None and r[0] is None and r[1] and
              r[2] > time.time() and r[4] == "ok" for r in rows),
          str(rows))
    doveadm_save("user2", "device", "msx-dev-3")
    rc, out, err = mailsift(conf, "run", "--once")
    st = op.stats()
    check("a second run while the tokens are fresh: both logins, no "
          "token request", rc == 0 and len(fetched(w, "c")) == 2 and
          len(fetched(w, "cp")) == 2 and st["token"] == 2,
          f"rc {rc} {st}")
    rc, out, err = mailsift(conf, "auth", "status")
    check("auth status shows the app-only accounts",
          rc == 0 and "c: oauth2-flow = client-credentials" in out and
          "cp: oauth2-flow = client-credentials" in out and
          all(r[1] not in out for r in rows), out)


def tests(op, w):
    conf = write_conf(os.path.join(w, "mailsift.conf"), conf_text(w, op))
    state = os.path.join(w, "state.db")
    if device_login(op, w, conf, state) is not None:
        device_denied(op, conf, state)
        logout(op, conf, state)
    # the app-only accounts, in a file of their own (same state)
    client_credentials(op, w, write_conf(os.path.join(w, "app.conf"),
                                         conf_text(w, op, False)), state)


def main():
    return S.run("msxdev.", tests)


if __name__ == "__main__":
    sys.exit(main())
