#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_oauth_login.py - `mailsift auth login` against the test provider,
the accounts configured with oauth2-issuer alone (OpenID discovery, no
explicit endpoint):

- loopback: mailsift prints the URL and its listener's redirect URI; the
  test plays the browser (oidc_client.py's login and consent), first
  knocking on the listener with other paths and a forged state (404,
  400, it waits on), then sending the provider's redirect there; the
  grant is stored and `mailsift run --once` fetches by IMAP with it;
- --no-browser: the redirected URL captured, not followed, and pasted;
- a pasted URL with another state: refused, the code never exchanged;
- the user cancels at the provider (access_denied): a clear message;
- no offline_access: stored, with a warning;
- discovery feeds the refresh path (`auth token` with the issuer alone);
  an issuer whose document names another issuer is refused;
- no code, verifier, access or refresh token in any -vv output.

Run by test-oauth-login.sh (servers started, MSX_* exported).  One line
per check, then "oauth-login: N passed, N failed".
"""
import hashlib
import base64
import os
import re
import select
import subprocess
import sys
import time
import urllib.parse
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oauth_suite import (E, MAILSIFT, NATIVE, SCOPES, Suite,  # noqa: E402
                         account, doveadm_save, expire, fetched, grant_row,
                         native, write_conf)

ISSUER = E["MSX_OIDC_ISSUER"]
# the columns of the grant rows read here
COLS = "refresh_token, access_token, expires, state, scopes"
S = Suite("oauth-login", record=True)
check, mailsift = S.check, S.mailsift
SECRETS = set()       # codes and tokens seen: none may reach an output
OUTPUT = S.outputs    # every mailsift output, checked at the end


class Login:
    """A running `mailsift auth login`, its stdout read line by line."""

    def __init__(self, conf, acct, *opts):
        self.p = subprocess.Popen([MAILSIFT, "auth", "login", "-c", conf,
                                   "-v", "-v", "--timeout", "60", *opts,
                                   acct], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.lines = []
        self.buf = b""

    def read_until(self, pred, secs=20):
        # os.read, not readline: select() does not see Python's buffer
        fd = self.p.stdout.fileno()
        end = time.time() + secs
        while time.time() < end:
            while b"\n" in self.buf:
                ln, self.buf = self.buf.split(b"\n", 1)
                ln = ln.decode("utf-8", "replace") + "\n"
                self.lines.append(ln)
                if pred(ln):
                    return ln
            r, _, _ = select.select([fd], [], [], 1)
            if not r:
                continue
            data = os.read(fd, 4096)
            if not data:
                return None
            self.buf += data
        return None

    def url(self):
        ln = self.read_until(lambda s: s.startswith("  http"))
        return ln.strip() if ln else None

    def finish(self, paste=None):
        if paste is not None:
            self.p.stdin.write(paste.encode() + b"\n")
            self.p.stdin.flush()
        out, err = self.p.communicate(timeout=60)
        out = "".join(self.lines) + (self.buf + out).decode("utf-8",
                                                            "replace")
        err = err.decode("utf-8", "replace")
        S.record(out + err)
        return self.p.returncode, out, err


def imap(name, w, scopes=SCOPES, issuer=ISSUER):
    return account(name, "imap", E["MSX_IMAP_PORT"], w,
                   extra=native("oauth2-issuer", issuer, scopes))


def conf_text(w):
    return (f"state = '{w}/state.db'\n" + imap("o", w) + imap("n", w) +
            imap("w", w, scopes="openid mail") +
            # the document names ISSUER, not ISSUER + "/"
            imap("m", w, issuer=ISSUER + "/"))


def local_get(redirect_uri, target, method="GET"):
    u = urllib.parse.urlsplit(redirect_uri)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        c.request(method, target)
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        c.close()


def target_of(url):
    u = urllib.parse.urlsplit(url)
    return u.path + "?" + u.query


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def pasting(conf, acct):
    """`auth login --no-browser ACCT` up to its prompt: (the login, the
    URL it printed, the prompt line, the match of its redirect URI)."""
    lg = Login(conf, acct, "--no-browser")
    url = lg.url()
    prompt = lg.read_until(lambda s: "press Enter" in s)
    m = re.search(r"(http://127\.0\.0\.1:\d+/)", "".join(lg.lines))
    return lg, url, prompt, m


def consent(op, url, redirect):
    """user1 logs in and consents at the provider: the redirected URL
    (its code kept among the secrets)."""
    back = op.login_and_consent(url, "user1", redirect)
    SECRETS.add(query(back).get("code", "-"))
    return back


def loopback(op, w, conf, state):
    op.admin("reset")
    lg = Login(conf, "o")
    url = lg.url()
    wait = lg.read_until(lambda s: "Waiting for" in s)
    m = re.search(r"(http://127\.0\.0\.1:\d+/)", wait or "")
    check("loopback: the URL to open and the listener's redirect URI "
          "(127.0.0.1, a port of the kernel's) are printed",
          url is not None and m is not None, "".join(lg.lines))
    if url is None or m is None:
        lg.p.kill()
        lg.finish()
        return
    redirect = m.group(1)
    q = query(url)
    check("loopback: the URL asks for code + PKCE S256 with a state and "
          "the discovered authorization endpoint",
          url.startswith(op.endpoint("authorization_endpoint") + "?") and
          q.get("response_type") == "code" and
          q.get("code_challenge_method") == "S256" and
          len(q.get("code_challenge", "")) == 43 and
          len(q.get("state", "")) >= 22 and q.get("redirect_uri") ==
          redirect and q.get("client_id") == NATIVE, url)
    st1, _ = local_get(redirect, "/favicon.ico")
    st2, _ = local_get(redirect, "/?code=forged&state=not-ours")
    st3, _ = local_get(redirect, "/", method="POST")
    back = consent(op, url, redirect)
    st4, page = local_get(redirect, target_of(back))
    rc, out, err = lg.finish()
    check("loopback: another path gets 404, a forged state 400, a POST "
          "400, and the listener waits on for the provider's redirect",
          (st1, st2, st3) == (404, 400, 400), f"{st1} {st2} {st3}")
    check("loopback: the redirect is answered with a page, the login "
          "ends with a confirmation",
          st4 == 200 and "close this page" in page and rc == 0 and
          "Logged in: account 'o'" in out, f"rc {rc} {out} {err}")
    check("loopback: the forged state was refused (logged), not exchanged",
          "wrong state" in err or "not the one" in err, err)
    row = grant_row(state, "o", COLS)
    by = op.stats()["by_grant"]
    check("loopback: the grant is stored (refresh token, access token, "
          "scopes, state ok) after one authorization_code request",
          row is not None and row[0] and row[1] and row[2] > time.time()
          and row[3] == "ok" and "offline_access" in row[4] and
          by == {"authorization_code": 1}, f"{row and row[2:]} {by}")
    if row is None:
        return
    SECRETS.update((row[0], row[1]))
    verifier_check(url, q, out + err)
    doveadm_save("user1", "login", "msx-login-1")
    rc, out, err = mailsift(conf + ".o", "run", "-v", "-v", "--once")
    check("mailsift run --once logs in by IMAP with the new grant and "
          "fetches the message", rc == 0 and len(fetched(w, "o")) == 1,
          f"rc {rc}: {(out + err)[-300:]}")


def verifier_check(url, q, text):
    """No 43-character base64url word in the output but the state and
    the challenge: the verifier (which hashes to the challenge) never
    leaves mailsift but as the token request's body."""
    words = set(re.findall(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}"
                           r"(?![A-Za-z0-9_-])", text))
    bad = []
    for wd in words - {q["code_challenge"], q["state"]}:
        h = base64.urlsafe_b64encode(hashlib.sha256(wd.encode()).digest())
        if h.rstrip(b"=").decode() == q["code_challenge"]:
            bad.append("the verifier")
    check("no PKCE verifier in the -vv output", not bad)


def no_browser(op, w, conf, state):
    op.admin("reset")
    lg, url, prompt, m = pasting(conf, "n")
    check("--no-browser: the URL, the redirect URI and what to paste are "
          "printed", url is not None and prompt is not None and
          m is not None, "".join(lg.lines))
    if url is None or m is None:
        lg.p.kill()
        lg.finish()
        return
    back = consent(op, url, m.group(1))
    rc, out, err = lg.finish(paste=back)
    print("# the --no-browser dialogue (stdout):")
    for ln in out.splitlines():
        print("#   " + ln)
    row = grant_row(state, "n", COLS)
    check("--no-browser: the pasted URL's code is exchanged, the grant "
          "stored", rc == 0 and "Logged in: account 'n'" in out and
          row is not None and row[0] and row[3] == "ok",
          f"rc {rc} {err}")
    if row is not None:
        SECRETS.update((row[0], row[1]))


def wrong_state(op, conf):
    op.admin("reset")
    lg, url, _, m = pasting(conf, "n")
    back = consent(op, url, m.group(1))
    forged = back.replace("state=" + query(back)["state"],
                          "state=someone-elses")
    rc, out, err = lg.finish(paste=forged)
    by = op.stats()["by_grant"]
    check("--no-browser: a pasted URL with another state is refused and "
          "its code never exchanged",
          rc == 1 and "state" in err and "not used" in err and
          "authorization_code" not in by, f"rc {rc} {err} {by}")


def mixed_up(op, conf):
    """RFC 9207: the redirect carries our state but names another
    issuer (a mix-up attack): refused, its code never exchanged."""
    op.admin("reset")
    lg, url, _, m = pasting(conf, "n")
    back = consent(op, url, m.group(1))
    iss = query(back).get("iss")
    forged = re.sub(r"([?&]iss=)[^&#]*",
                    r"\1" + urllib.parse.quote("https://evil.example", ""),
                    back)
    rc, out, err = lg.finish(paste=forged)
    by = op.stats()["by_grant"]
    check("--no-browser: the provider's redirect names its issuer (iss), "
          "and one naming another issuer is refused, its code never "
          "exchanged", iss is not None and rc == 1 and
          "https://evil.example" in err and "not used" in err and
          "authorization_code" not in by, f"iss {iss} rc {rc} {err} {by}")


def access_denied(op, conf):
    lg, url, _, m = pasting(conf, "n")
    # the user presses Cancel on the provider's login page
    op.cookies = {}
    st, h, body = op.request("GET", url)
    while st in (302, 303):
        loc = urllib.parse.urljoin(url, h["location"])
        st, h, body = op.request("GET", loc)
    abort = re.search(r'href="([^"]*abort[^"]*)"', body.decode())
    back = None
    if abort:
        st, h, _ = op.request("GET", abort.group(1))
        for _ in range(5):
            loc = urllib.parse.urljoin(ISSUER + "/", h.get("location", ""))
            if loc.startswith(m.group(1)):
                back = loc
                break
            st, h, _ = op.request("GET", loc)
    rc, out, err = lg.finish(paste=back or "")
    check("the user cancels at the provider: access_denied, said clearly",
          back is not None and rc == 1 and
          "the provider refused the login: access_denied" in err and
          "mailsift: account 'n':" in err, f"rc {rc} {err}")


def no_offline(op, conf, state):
    lg, url, _, m = pasting(conf, "w")
    back = consent(op, url, m.group(1))
    rc, out, err = lg.finish(paste=back)
    row = grant_row(state, "w", COLS)
    check("no offline_access: the grant is stored without a refresh token "
          "and the user is warned",
          rc == 0 and row is not None and row[0] is None and row[1] and
          "no refresh token" in err and "offline_access" in err,
          f"rc {rc} {err}")
    if row is not None and row[1]:
        SECRETS.add(row[1])


def discovery(op, conf, state):
    expire(state, "o")
    op.admin("reset")
    rc, out, err = mailsift(conf, "auth", "token", "o")
    row = grant_row(state, "o", COLS)
    by = op.stats()["by_grant"]
    check("discovery: auth token refreshes with oauth2-issuer alone",
          rc == 0 and out.strip() == row[1] and
          by == {"refresh_token": 1}, f"rc {rc} {err} {by}")
    SECRETS.update((row[0], row[1]))
    OUTPUT[-1] = OUTPUT[-1].replace(row[1], "")    # its job: the token
    rc, out, err = mailsift(conf, "auth", "login", "--no-browser", "m",
                            stdin=b"")
    url = ISSUER + "/.well-known/openid-configuration"
    check("discovery: a document naming another issuer is refused, the "
          "account and the URL named",
          rc == 1 and f"account 'm': OpenID discovery at {url}: the document's "
          f"issuer '{ISSUER}' is not the configured oauth2-issuer "
          f"'{ISSUER}/'" in err and "http" not in out, f"rc {rc} {err}")
    rc, out, err = mailsift(conf, "auth", "token", "m")
    check("discovery: the refresh path refuses the mismatch too",
          rc == 1 and "is not the configured oauth2-issuer" in err, err)


def tests(op, w):
    conf = write_conf(os.path.join(w, "mailsift.conf"), conf_text(w))
    # `run --once` with o alone: the others have no grant, or fail
    write_conf(conf + ".o", f"state = '{w}/state.db'\n" + imap("o", w))
    state = os.path.join(w, "state.db")
    loopback(op, w, conf, state)
    no_browser(op, w, conf, state)
    wrong_state(op, conf)
    mixed_up(op, conf)
    access_denied(op, conf)
    no_offline(op, conf, state)
    discovery(op, conf, state)
    text = "".join(OUTPUT)
    leaked = [s for s in SECRETS if s and s in text]
    check(f"no code or token in any output or -vv trace "
          f"({len(SECRETS)} secrets looked for)",
          not leaked and len(SECRETS) >= 6, f"{len(leaked)} leaked")


def main():
    return S.run("msxlogin.", tests)


if __name__ == "__main__":
    sys.exit(main())
