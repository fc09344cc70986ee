# SPDX-License-Identifier: ISC
"""Client side of smoke.sh: one check per invocation.

    python3 smoke.py CHECK [ARGS...]

Reads the MSX_* variables of `servers.sh env`.  Exits 0 when the check
holds, else prints why on stderr and exits 1.  Standard library only.
"""
import imaplib
import os
import poplib
import smtplib
import ssl
import sys

E = os.environ
HOST = E.get("MSX_HOST", "127.0.0.1")
NAME = E.get("MSX_TLS_NAME", "localhost")
TIMEOUT = 10


class Fail(Exception):
    pass


def port(name):
    return int(E["MSX_%s_PORT" % name])


def ctx(ca=None):
    return ssl.create_default_context(cafile=ca or E["MSX_CA"])


def user(n):
    return E["MSX_USER%d" % n], E["MSX_USER%d_PASS" % n]


def expect(cond, what):
    if not cond:
        raise Fail(what)


def imaps(context=None, port_name="IMAPS"):
    # imaplib verifies against `host`, so connect by name and let the
    # resolver give 127.0.0.1 (localhost is in every /etc/hosts).
    return imaplib.IMAP4_SSL(NAME, port(port_name),
                             ssl_context=context or ctx(), timeout=TIMEOUT)


def verify_fails(make, reason):
    try:
        make()
    except ssl.SSLCertVerificationError as e:
        expect(reason in str(e), "failed, but not for '%s': %s" % (reason, e))
        return
    raise Fail("TLS verification unexpectedly succeeded")


def check_imaps_login():
    m = imaps()
    u, p = user(1)
    typ, _ = m.login(u, p)
    expect(typ == "OK", "login refused")
    m.logout()


def check_imaps_other_ca():
    verify_fails(lambda: imaps(ctx(E["MSX_OTHER_CA"])),
                 "unable to get local issuer certificate")


def check_wronghost():
    verify_fails(lambda: imaps(port_name="WRONGHOST"), "Hostname mismatch")
    # Same CA and a working server behind it: only the name is wrong.
    c = ctx()
    c.check_hostname = False
    m = imaps(c, "WRONGHOST")
    u, p = user(2)
    expect(m.login(u, p)[0] == "OK", "login on wronghost port refused")
    m.logout()


def check_imap_starttls():
    m = imaplib.IMAP4(HOST, port("IMAP"), timeout=TIMEOUT)
    expect("STARTTLS" in m.capabilities, "no STARTTLS capability")
    # starttls() verifies against the host we connected to: 127.0.0.1,
    # which the certificate names too.
    m.starttls(ssl_context=ctx())
    u, p = user(3)
    expect(m.login(u, p)[0] == "OK", "login refused")
    m.logout()


def pop3_login(m, n):
    u, p = user(n)
    m.user(u)
    m.pass_(p)
    count, _ = m.stat()
    m.quit()
    return count


def check_pop3s_login():
    m = poplib.POP3_SSL(NAME, port("POP3S"), context=ctx(), timeout=TIMEOUT)
    pop3_login(m, 1)


def check_pop3_stls():
    m = poplib.POP3(HOST, port("POP3"), timeout=TIMEOUT)
    expect("STLS" in m.capa(), "no STLS capability")
    m.stls(context=ctx())
    pop3_login(m, 3)


def lf(data):
    return data.replace(b"\r\n", b"\n")


def check_imap_fetch(folder, *files):
    m = imaps()
    u, p = user(1)
    m.login(u, p)
    typ, data = m.select('"%s"' % folder, readonly=True)
    expect(typ == "OK", "cannot select %s" % folder)
    expect(int(data[0]) == len(files),
           "%s holds %s messages, want %d" % (folder, data[0].decode(),
                                             len(files)))
    for i, path in enumerate(files, 1):
        typ, data = m.uid("FETCH", str(i), "(BODY.PEEK[])")
        expect(typ == "OK" and data and isinstance(data[0], tuple),
               "cannot fetch UID %d" % i)
        with open(path, "rb") as f:
            want = f.read()
        expect(lf(data[0][1]) == lf(want),
               "UID %d differs from %s" % (i, path))
    m.logout()


def check_pop3_count(want):
    m = poplib.POP3_SSL(NAME, port("POP3S"), context=ctx(), timeout=TIMEOUT)
    have = pop3_login(m, 1)
    expect(have == int(want), "POP3 sees %d messages, want %s" % (have, want))


def message(subject, rcpt):
    return ("From: <smoke@example.org>\r\nTo: <%s>\r\nSubject: %s\r\n\r\n"
            "smoke test body\r\n" % (rcpt, subject)).encode()


def check_smtp_deliver(rcpt, subject):
    s = smtplib.SMTP(HOST, port("SMTP"), timeout=TIMEOUT)
    refused = s.sendmail("smoke@example.org", [rcpt], message(subject, rcpt))
    s.quit()
    expect(not refused, "refused: %r" % refused)


def check_submission(rcpt, subject):
    s = smtplib.SMTP(HOST, port("SUBMISSION"), timeout=TIMEOUT)
    s.ehlo()
    expect(not s.has_extn("auth"), "AUTH offered before STARTTLS")
    code, _ = s.mail("user1@example.test")
    expect(code == 530, "MAIL before STARTTLS answered %d, want 530" % code)
    s.rset()
    s.starttls(context=ctx())
    s.ehlo()
    expect(s.has_extn("auth"), "no AUTH after STARTTLS")
    s.mail("user1@example.test")
    code, _ = s.rcpt(rcpt)
    expect(code >= 500, "RCPT without AUTH answered %d" % code)
    s.rset()
    u, p = user(1)
    try:
        s.login(u, p + "x")
        raise Fail("wrong password accepted")
    except smtplib.SMTPAuthenticationError:
        pass
    s.login(u, p)
    refused = s.sendmail(E["MSX_USER1_ADDR"], [rcpt], message(subject, rcpt))
    s.quit()
    expect(not refused, "refused: %r" % refused)


def check_smtps(rcpt, subject):
    s = smtplib.SMTP_SSL(NAME, port("SMTPS"), context=ctx(), timeout=TIMEOUT)
    u, p = user(3)
    s.login(u, p)
    refused = s.sendmail(E["MSX_USER3_ADDR"], [rcpt], message(subject, rcpt))
    s.quit()
    expect(not refused, "refused: %r" % refused)


def rcpt_refused(s, rcpt):
    s.mail("smoke@example.org")
    code, msg = s.rcpt(rcpt)
    expect(code >= 500, "RCPT %s answered %d %s" % (rcpt, code, msg))


def check_no_relay(rcpt):
    s = smtplib.SMTP(HOST, port("SMTP"), timeout=TIMEOUT)
    s.ehlo()
    rcpt_refused(s, rcpt)
    s.quit()
    # Even an authenticated user cannot send mail off this machine.
    s = smtplib.SMTP(HOST, port("SUBMISSION"), timeout=TIMEOUT)
    s.starttls(context=ctx())
    u, p = user(1)
    s.login(u, p)
    rcpt_refused(s, rcpt)
    s.quit()


def xoauth2(n):
    return "user=%s\x01auth=Bearer %s\x01\x01" % (
        E["MSX_USER%d" % n], E["MSX_USER%d_TOKEN" % n])


def oauthbearer(n):
    return "n,a=%s,\x01auth=Bearer %s\x01\x01" % (
        E["MSX_USER%d" % n], E["MSX_USER%d_TOKEN" % n])


def check_oauth():
    for mech, resp in (("XOAUTH2", xoauth2(1)),
                       ("OAUTHBEARER", oauthbearer(2))):
        m = imaps()
        typ, _ = m.authenticate(mech, lambda _: resp.encode())
        expect(typ == "OK", "IMAP %s refused" % mech)
        m.logout()
    s = smtplib.SMTP(HOST, port("SUBMISSION"), timeout=TIMEOUT)
    s.starttls(context=ctx())
    s.ehlo()
    code, msg = s.auth("XOAUTH2", lambda challenge=None: xoauth2(3))
    expect(code == 235, "SMTP XOAUTH2 answered %d %s" % (code, msg))
    s.quit()
    # A token is no password, and a password no token.
    m = imaps()
    try:
        m.login(E["MSX_USER1"], E["MSX_USER1_TOKEN"])
        raise Fail("token accepted as password")
    except imaplib.IMAP4.error:
        pass


def check_idle(rcpt, subject):
    m = imaps()
    u, p = user(2)
    m.login(u, p)
    m.select("INBOX")
    m.sock.settimeout(TIMEOUT)
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    line = m.readline()
    expect(line.startswith(b"+"), "IDLE answered %r" % line)
    check_smtp_deliver(rcpt, subject)
    # Dovecot notices new Maildir files through inotify at once; its
    # fallback poll would take 30 s and trip the timeout.
    while b"EXISTS" not in line:
        line = m.readline()
        expect(line, "connection closed while idling")
    m.send(b"DONE\r\n")
    while not line.startswith(tag):
        line = m.readline()
    expect(b" OK" in line, "IDLE ended with %r" % line)
    m.logout()


CHECKS = {
    "oauth": check_oauth,
    "idle": check_idle,
    "imaps-login": check_imaps_login,
    "imaps-other-ca": check_imaps_other_ca,
    "wronghost": check_wronghost,
    "imap-starttls": check_imap_starttls,
    "pop3s-login": check_pop3s_login,
    "pop3-stls": check_pop3_stls,
    "imap-fetch": check_imap_fetch,
    "pop3-count": check_pop3_count,
    "smtp-deliver": check_smtp_deliver,
    "submission": check_submission,
    "smtps": check_smtps,
    "no-relay": check_no_relay,
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in CHECKS:
        sys.exit("usage: smoke.py {%s} [ARGS...]" % ",".join(CHECKS))
    try:
        CHECKS[sys.argv[1]](*sys.argv[2:])
    except (Fail, OSError, imaplib.IMAP4.error, poplib.error_proto,
            smtplib.SMTPException) as e:
        print("%s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
