#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_oauth_daemon.py - `mailsift run` (the daemon, not --once) with two
accounts that log in with `auth = oauth2` against the test provider,
whose access tokens live MSX_OIDC_TOKEN_TTL (20 s): an IMAP account in
IDLE (user1, its connection kicked now and then so that it logs in
again) and a POP3 account polled every 5 s (user2).  Mail is saved every
few seconds for both and every message must arrive; no login may be
refused (every login, IDLE's included, used a valid token); the token
requests are counted from the provider's /_admin/stats.  Along the run:
the provider goes down across refreshes (bounded requests, then it
recovers by itself), and user2's grant is revoked (that account goes to
"needs login", one log line, auth-failure-command once with
MAILSIFT_ACCOUNT and MAILSIFT_REASON, no token requests for it after;
the IMAP account carries on).  Then, with the daemon stopped: four
`mailsift auth token` processes at once on an expired grant make one
token request; a keyring (oauth2-token-command, oauth2-store-command)
keeps the refresh token out of the state file, and a store command that
fails keeps the new access token from being used; the refresh token
mailsift started with is refused by the provider (it rotated).

Run by test-oauth-daemon.sh.  '# figure:' lines give the figures; one
line per check, then "oauth-daemon: N passed, N failed".
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oauth_suite import (E, MAILSIFT, NATIVE, SCOPES, Suite,  # noqa: E402
                         account, doveadm_save, expire, fetched, grant_row,
                         native, put_grant, smtp_section, write_conf)

TTL = int(E.get("MSX_OIDC_TOKEN_TTL", "20"))
RUN = int(E.get("MSX_OAUTH_DAEMON_SECS", "100"))
S = Suite("oauth-daemon")
check, mailsift = S.check, S.mailsift
AUTH_FAILED = ("token refused", "refused; asking for a new token",
               "the token was refused", "login failed")


def figure(text):
    print(f"# figure: {text}")


def section(name, kind, port, user, w, token_url, extra=""):
    return account(name, kind, port, w, user,
                   native("oauth2-token-url", token_url) + extra, "false")


def daemon_conf(w, op):
    url = op.meta["token_endpoint"]
    hook = os.path.join(w, "hook.sh")
    with open(hook, "w") as f:
        # what it is told, one line a run; the reason only in the env
        f.write("#!/bin/sh\nprintf '%s|%s\\n' \"$MAILSIFT_ACCOUNT\" "
                f"\"$MAILSIFT_REASON\" >>'{w}/hook.log'\n")
    os.chmod(hook, 0o700)
    keyring = (f"\toauth2-token-command = 'cat {w}/keyring'\n"
               f"\toauth2-store-command = 'cat >{w}/keyring.new && "
               f"mv {w}/keyring.new {w}/keyring'\n")
    broken = (f"\toauth2-token-command = 'cat {w}/keyring-b'\n"
              "\toauth2-store-command = 'cat >/dev/null; exit 3'\n")
    return write_conf(os.path.join(w, "mailsift.conf"),
                      f"state = '{w}/state.db'\nlog-level = debug\n"
                      f"auth-failure-command = '{hook}'\n" +
                      section("i", "imap", E["MSX_IMAP_PORT"], "user1", w,
                              url, "\tidle = true\n\tpoll = 30\n") +
                      section("p", "pop3", E["MSX_POP3_PORT"], "user2", w,
                              url, "\tpoll = 5\n") +
                      section("k", "pop3", E["MSX_POP3_PORT"], "user3", w,
                              url, keyring + "\tfetch = false\n") +
                      section("b", "pop3", E["MSX_POP3_PORT"], "user3", w,
                              url, broken + "\tfetch = false\n") +
                      # submission with account i's grant
                      smtp_section("i"))


def save_message(user, n):
    doveadm_save(user, f"daemon {n}", f"msx-daemon-{user}-{n}")


def kick(user):
    subprocess.run(["doveadm", "-c", E["MSX_DOVECOT_CONF"], "kick", user],
                   capture_output=True, timeout=30)


def count(w, acct):
    return len(fetched(w, acct))


def wait_for(pred, secs):
    end = time.time() + secs
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.5)
    return pred()


def refreshes(stats):
    return stats["by_grant"].get("refresh_token", 0)


def down_requests(stats):
    """Token requests the provider refused while down (counted before
    it reads the body: any grant type)."""
    return sum(v for k, v in stats["by_grant"].items()
               if k.endswith("(down)"))


class Daemon:
    def __init__(self, conf, w):
        self.log = os.path.join(w, "daemon.log")
        self.f = open(self.log, "w")
        self.p = subprocess.Popen([MAILSIFT, "run", "-c", conf],
                                  stdin=subprocess.DEVNULL, stdout=self.f,
                                  stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.f.close()


def lines_for(text, acct, what):
    return [ln for ln in text.splitlines()
            if f"'{acct}'" in ln and what in ln]


def daemon_run(op, w, conf, state, tok):
    """The long run: rounds, IDLE, refreshes, provider down, revoke."""
    op.admin("reset")
    d = Daemon(conf, w)
    t0 = time.time()
    sent = {"user1": 0, "user2": 0}
    figures = {}
    try:
        # the first part: both accounts, mail every 10 s; IDLE's
        # connection kicked once: its reconnect (after the scheduler's
        # backoff, a lost connection is an error) logs in again
        k = 0
        while time.time() - t0 < RUN * 0.5:
            for u in sent:
                sent[u] += 1
                save_message(u, sent[u])
            time.sleep(10)
            k += 1
            if k == 1:
                kick("user1")
        s1 = op.stats()
        figures["normal_secs"] = time.time() - t0
        figures["normal_refreshes"] = refreshes(s1)
        # the provider down across refreshes: a 503 to every request,
        # until the accounts have met it, then 15 s more
        op.admin("down", on="1")
        down_t0 = time.time()
        wait_for(lambda: down_requests(op.stats()) > 0, 3 * TTL)
        time.sleep(15)
        down_reqs = down_requests(op.stats())
        down_secs = time.time() - down_t0
        op.admin("down", on="0")
        for u in sent:
            sent[u] += 1
            save_message(u, sent[u])
        ok = wait_for(lambda: count(w, "i") == sent["user1"] and
                      count(w, "p") == sent["user2"], 70)
        text = d.text()
        check("provider down: the refreshes failed as temporary errors "
              "(HTTP 503), the accounts backed off",
              down_reqs >= 1 and "answered HTTP 503" in text and
              "retrying in" in text, f"{down_reqs} requests while down")
        # two accounts, backoff 30 s doubling with jitter: a few each
        check("provider down: the token requests stayed bounded (no "
              "storm)", down_reqs <= 2 * (2 + int(down_secs // 15)),
              f"{down_reqs} in {down_secs:.0f} s")
        figures["down"] = (down_reqs, down_secs)
        check("provider back: both accounts recovered by themselves and "
              "every message so far arrived", ok,
              f"i {count(w, 'i')}/{sent['user1']}, "
              f"p {count(w, 'p')}/{sent['user2']}")
        send_burst(op, w, conf, state, d, sent, figures)
        revoke_part(op, w, conf, state, d, sent, figures)
    finally:
        d.stop()
    figures["secs"] = time.time() - t0
    text = d.text()
    return text, figures, sent


def send_burst(op, w, conf, state, d, sent, figures):
    """`mailsift send` (an smtp section with oauth2-account = i) three
    times and `mailsift auth token i` at once, next to the daemon, i's
    access token expired: i's refresh token is spent once."""
    body = os.path.join(w, "body.txt")
    with open(body, "w") as f:
        f.write("sent next to the daemon\n")
    expire(state, "i")
    mark = len(d.text())
    before = refreshes(op.stats())
    outs = [None] * 4

    def one(k):
        if k == 3:
            outs[k] = mailsift(conf, "auth", "token", "i")
        else:
            outs[k] = mailsift(conf, "send", "--smtp", "s", "--to",
                               f"user1@{E['MSX_DOMAIN']}", "--subject",
                               f"burst {k}", "--text", body)
    th = [threading.Thread(target=one, args=(k,)) for k in range(4)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    delta = refreshes(op.stats()) - before
    ours = delta - len([ln for ln in d.text()[mark:].splitlines()
                        if "OAuth2 token request" in ln])
    sent["user1"] += 3
    check("send x3 + auth token at once, next to the daemon, i's token "
          "expired: all succeed, one token request among them, i's grant "
          "still ok", all(o[0] == 0 for o in outs) and ours <= 1 and
          grant_row(state, "i")[4] == "ok",
          f"{ours} requests: {[o[0] for o in outs]} "
          f"{[o[2][-200:] for o in outs if o[0] != 0]}")
    figures["burst"] = ours
    ok = wait_for(lambda: count(w, "i") == sent["user1"], 70)
    check("the sent messages reached the IMAP account in the daemon", ok,
          f"{count(w, 'i')}/{sent['user1']}")


def revoke_part(op, w, conf, state, d, sent, figures):
    """user2's grant revoked while the daemon runs."""
    figures["before_revoke"] = len(d.text())
    op.admin("revoke", account="user2")
    rv_t0 = time.time()
    ok = wait_for(lambda: grant_row(state, "p")[4] == "needs-login", 3 * TTL)
    check("revoked: account p's grant went to needs login", ok,
          str(grant_row(state, "p")[2:]))
    time.sleep(2)
    rc, out, err = mailsift(conf, "status")
    row = [ln for ln in out.splitlines() if ln.startswith("p ")]
    check("revoked: mailsift status shows p as 'needs login' with the "
          "command `mailsift auth login p`",
          rc == 0 and row and "needs login" in row[0] and
          "`mailsift auth login p`" in out, out)
    rc, out, err = mailsift(conf, "status", "--json")
    try:
        acc = {a["name"]: a for a in json.loads(out)["accounts"]}
        jok = (acc["p"]["state"] == "needs login" and
               acc["p"]["needs_login"]["command"] ==
               "mailsift auth login p" and acc["i"]["state"] !=
               "needs login")
    except (ValueError, KeyError, TypeError):
        jok = False
    check("revoked: status --json says the same, i is not affected", jok,
          out)
    # the other account carries on; p is asked nothing more
    before = d.text()
    p_reqs = len(lines_for(before, "p", "OAuth2 token request"))
    for _ in range(3):
        sent["user1"] += 1
        save_message("user1", sent["user1"])
        time.sleep(8)
    ok = wait_for(lambda: count(w, "i") == sent["user1"], 30)
    after = d.text()
    p_reqs2 = len(lines_for(after, "p", "OAuth2 token request"))
    check("revoked: the IMAP account carries on (every message arrived)",
          ok, f"{count(w, 'i')}/{sent['user1']}")
    check("revoked: no token request for p after it needs login",
          p_reqs2 == p_reqs, f"{p_reqs} then {p_reqs2}")
    refused = [ln for ln in after.splitlines() if "refused the grant" in ln]
    check("revoked: one log line says so, naming `mailsift auth login p`",
          len(refused) == 1 and "`mailsift auth login p`" in refused[0],
          "\n".join(refused))
    figures["revoked_wait"] = time.time() - rv_t0
    try:
        with open(os.path.join(w, "hook.log")) as f:
            hook = f.read().splitlines()
    except OSError:
        hook = []
    check("revoked: auth-failure-command ran once, told the account and "
          "the reason in its environment", len(hook) == 1 and
          hook[0].startswith("p|invalid_grant"), str(hook))
    # the failed round's backoff ends, then the scheduler sees the grant
    wait_for(lambda: "p: not polled until" in d.text(), 40)
    time.sleep(12)
    after = d.text()
    blocked = after[after.find("p: not polled until"):]
    check("revoked: the scheduler stopped p's rounds (no login, no "
          "connection) and said so once",
          after.count("p: not polled until you run `mailsift auth login "
                      "p`") == 1 and "p: fetched" not in blocked,
          blocked[:300])
    # the user logs in again (a new grant seeded): p carries on, no restart
    tok = op.code_login(NATIVE, "user2", scope=SCOPES)
    put_grant(state, "p", tok["refresh_token"])
    sent["user2"] += 1
    save_message("user2", sent["user2"])
    ok = wait_for(lambda: count(w, "p") == sent["user2"], 40)
    check("logged in again: p is polled again without a restart", ok,
          f"{count(w, 'p')}/{sent['user2']}")


def concurrent(op, conf, state):
    """Four processes need a refresh of one grant at once."""
    expire(state, "i")
    op.admin("reset")
    outs = [None] * 4

    def one(k):
        outs[k] = mailsift(conf, "auth", "token", "i")
    th = [threading.Thread(target=one, args=(k,)) for k in range(4)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    n = refreshes(op.stats())
    toks = {o[1].strip() for o in outs if o and o[0] == 0}
    check("four `mailsift auth token` at once on an expired grant: one "
          "token request, one token for all", n == 1 and len(toks) == 1 and
          all(o[0] == 0 for o in outs), f"{n} requests, {outs}")
    figure(f"concurrent refresh: 4 processes, {n} token request(s)")
    row = grant_row(state, "i")
    check("after it the grant is ok (its refresh token not spent twice)",
          row[4] == "ok", str(row[2:]))


def down_close(op, conf, state):
    """The provider drops the connection: a temporary error, the grant
    untouched; back up, the next ask refreshes."""
    expire(state, "i")
    op.admin("down", on="1", mode="close")
    try:
        rc, out, err = mailsift(conf, "auth", "token", "i")
    finally:
        op.admin("down", on="0")
    row = grant_row(state, "i")
    check("provider closes the connection: auth token fails with the "
          "network error, the grant stays ok (not needs login)",
          rc != 0 and out == "" and "token request to the OAuth2 provider "
          "failed" in err and row[4] == "ok", f"{rc} {err[-300:]}")
    op.admin("reset")
    rc, out, err = mailsift(conf, "auth", "token", "i")
    check("provider back: the next ask refreshes (one request)",
          rc == 0 and out.strip() != "" and refreshes(op.stats()) == 1, err)


def keyring(op, w, conf, state):
    """oauth2-token-command and oauth2-store-command."""
    tok = op.code_login(NATIVE, "user3", scope=SCOPES)
    with open(os.path.join(w, "keyring"), "w") as f:
        f.write(tok["refresh_token"] + "\n")
    put_grant(state, "k", None)
    op.admin("reset")
    rc, out, err = mailsift(conf, "auth", "token", "k")
    row = grant_row(state, "k")
    with open(os.path.join(w, "keyring")) as f:
        kept = f.read().strip()
    check("keyring: the refresh token read from oauth2-token-command, the "
          "rotated one given to oauth2-store-command",
          rc == 0 and out.strip() != "" and kept != tok["refresh_token"] and
          kept != "" and refreshes(op.stats()) == 1, err)
    check("keyring: no refresh token in the state file (the access token "
          "is)", row[0] is None and row[1] == out.strip(), str(row[2:]))
    expire(state, "k")
    rc, out, err = mailsift(conf, "auth", "token", "k")
    check("keyring: the next refresh uses the stored one",
          rc == 0 and grant_row(state, "k")[0] is None and
          refreshes(op.stats()) == 2, err)
    tokb = op.code_login(NATIVE, "user3", scope=SCOPES)
    with open(os.path.join(w, "keyring-b"), "w") as f:
        f.write(tokb["refresh_token"] + "\n")
    put_grant(state, "b", None, access="old-access")
    rc, out, err = mailsift(conf, "auth", "token", "b")
    row = grant_row(state, "b")
    check("keyring: a failing oauth2-store-command: the new access token "
          "is not used or stored, the error says why",
          rc != 0 and out == "" and "oauth2-store-command exited with "
          "status 3" in err and "not used" in err and
          row[1] == "old-access" and tokb["refresh_token"] not in err, err)


def rotation(op, tok):
    """The refresh token mailsift started with was rotated away (reusing
    it revokes the grant at this provider: the last check)."""
    st, j = op.refresh(NATIVE, tok["refresh_token"])
    check("rotation: the first refresh token is refused by the provider "
          "(invalid_grant)", st == 400 and j.get("error") == "invalid_grant",
          f"{st} {j.get('error')}")


def tests(op, w):
    conf = daemon_conf(w, op)
    state = os.path.join(w, "state.db")
    rc, out, err = mailsift(conf, "status")
    check("mailsift status before any round", rc == 0, err)
    rc, out, err = mailsift(conf, "auth", "token", "i")
    check("no grant yet: auth token says to run `mailsift auth login "
          "i`", rc == 1 and "`mailsift auth login i`" in err, err)
    tok = op.code_login(NATIVE, "user1", scope=SCOPES)
    tokp = op.code_login(NATIVE, "user2", scope=SCOPES)
    put_grant(state, "i", tok["refresh_token"])
    put_grant(state, "p", tokp["refresh_token"])
    text, fig, sent = daemon_run(op, w, conf, state, tok)
    secs = fig["secs"]
    # after the revocation p's login is refused, as it must be
    cut = fig["before_revoke"]
    fails = [ln for ln in text[:cut].splitlines() +
             [ln for ln in text[cut:].splitlines()
              if "account p:" not in ln and "'p'" not in ln]
             if any(a in ln for a in AUTH_FAILED)]
    check("no login refused in the whole run (every login, IDLE's "
          "reconnects included, used a valid token)", fails == [],
          "\n".join(fails[:5]))
    nreq = fig["normal_refreshes"]
    nsecs = fig["normal_secs"]
    figure(f"daemon ran {secs:.0f} s (token TTL {TTL} s), "
           f"{sent['user1']} + {sent['user2']} messages delivered")
    figure(f"normal part: {nreq} refreshes in {nsecs:.0f} s for 2 "
           f"grants = {nreq * 3600 / nsecs:.0f} token requests/hour "
           f"(one per lifetime per grant would be "
           f"{2 * 3600 / TTL:.0f}/hour)")
    figure(f"provider down: {fig['down'][0]} token requests in "
           f"{fig['down'][1]:.0f} s")
    figure(f"auth failures (refused logins): {len(fails)}")
    figure(f"send x3 + auth token at once, token expired: "
           f"{fig['burst']} token request(s) among them")
    check("normal part: about one refresh per token lifetime per grant "
          "(not one per login)",
          1 <= nreq <= 2 * (nsecs / TTL + 2),
          f"{nreq} in {nsecs:.0f} s")
    secrets = [tok["refresh_token"], tokp["refresh_token"]] + \
        [v for a in ("i", "p") for v in grant_row(state, a)[:2] if v]
    check("the daemon's debug log holds no token",
          all(t not in text for t in secrets))
    rc, out, err = mailsift(conf, "status")
    check("after a new login mailsift status no longer says needs "
          "login", rc == 0 and "needs login" not in out, out)
    concurrent(op, conf, state)
    down_close(op, conf, state)
    keyring(op, w, conf, state)
    rotation(op, tok)


def main():
    return S.run("msxoad.", tests, keep=True)


if __name__ == "__main__":
    sys.exit(main())
