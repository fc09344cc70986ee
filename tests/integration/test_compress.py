#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_compress.py - IMAP COMPRESS=DEFLATE (RFC 4978, compress = yes)
against the real Dovecot of servers.sh, whose imap has the imap_zlib
plugin.  Started by test-compress.sh with the servers' MSX_* variables;
borrows the helpers of test_fetch.py (loading, configurations, byte
comparison after CRLF -> LF against Dovecot's own files).

That the session really was compressed is shown by the protocol trace
(-vv: the COMPRESS command and its OK, the layer starting, later commands
still answered) and by the layer's own count at close (bytes read on the
wire fewer than the bytes inflated from them).  One line per check, then
"compress: N passed, N failed".
"""
import os
import re
import signal
import subprocess
import sys
import time
import traceback

import test_fetch as tf
from crashkit import wait_for

tf.W = os.path.join(tf.D, "compress")
check = tf.check
SEED = tf.SEED + 7

COUNTS = re.compile(r"compressed session: (\d+) bytes read \((\d+) "
                    r"inflated\), (\d+) sent \((\d+) before compression\)")


def big_text(size):
    """A large plain-text message: what compression is for."""
    return tf.message("big text", tf.filler(__import__("random").Random(
        SEED), size))


def fetch_compressed(mode, user, keep):
    tf.clear(user)
    msgs = tf.corpus(SEED, 25) + tf.edge_messages(True) + [
        big_text(2 * 1024 * 1024)]
    tf.load(user, "INBOX", msgs)
    want = tf.server(user)
    sdir = tf.scenario("compress-" + mode)
    conf = tf.write_conf(sdir, [tf.account(sdir, "z", mode, user,
                                           compress=True, keep=keep)])
    rc, out = tf.run_once(conf, "-vv")
    got = tf.contents(os.path.join(sdir, "z"))
    ok, detail = tf.same(got, want)
    check(rc == 0 and ok, "%s, compress = yes: %d messages delivered "
          "byte for byte" % (mode, len(want)), detail + "\n" + out)
    started = re.search(r"> (\w+) COMPRESS DEFLATE\n", out)
    tag = started.group(1) if started else "none"
    check(started is not None and
          re.search(r"< %s OK" % tag, out) is not None and
          "COMPRESS=DEFLATE started" in out,
          "%s: the trace shows COMPRESS DEFLATE, the server's OK and the "
          "layer starting" % mode, out[-3000:])
    after = out.split("COMPRESS=DEFLATE started", 1)[-1]
    check(re.search(r"> \w+ UID FETCH .*BODY", after) is not None and
          re.search(r"< \w+ OK", after) is not None,
          "%s: the fetch ran after it, inside the compressed stream" % mode,
          after[-2000:])
    m = COUNTS.search(out)
    wire_in, plain_in = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    total = sum(len(x) for x in want)
    check(m is not None and plain_in > total and wire_in < plain_in,
          "%s: the server's bytes were compressed: %d on the wire for %d "
          "inflated (%d in the messages)" % (mode, wire_in, plain_in, total),
          out[-2000:])
    if not keep:
        check(tf.server(user) == [], "%s: keep = false deleted them on the "
              "server, through the compressed session" % mode)
    rc, out = tf.run_once(conf)
    again = tf.contents(os.path.join(sdir, "z"))
    check(rc == 0 and len(again) == len(got),
          "%s: a second compressed run fetches nothing" % mode, out)


def test_fetch_imaps():
    fetch_compressed("imaps", "user1", True)


def test_fetch_starttls():
    fetch_compressed("imap-starttls", "user2", False)


def test_not_offered():
    """The wrong-host instance has no imap_zlib: a note, once, no error.
    Its certificate is for another name, so it is pinned instead."""
    tf.clear("user3")
    msgs = [tf.message("no compress %d" % i) for i in range(3)]
    tf.load("user3", "INBOX", msgs)
    sdir = tf.scenario("not-offered")
    fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint",
                         "-sha256", "-in",
                         os.path.join(tf.D, "tls", "wronghost.crt")],
                        capture_output=True, check=True, text=True)
    fp = fp.stdout.strip().split("=", 1)[1]
    conf = tf.write_conf(sdir, [tf.account(
        sdir, "n", "wronghost", "user3", compress=True, tls_fingerprint=fp,
        poll=1)], "poll = 1\n")
    rc, out = tf.run_once(conf)
    check(rc == 0 and tf.same(tf.contents(os.path.join(sdir, "n")),
                              msgs)[0] and
          "does not offer COMPRESS=DEFLATE" in out and "[error]" not in out,
          "a server without COMPRESS: delivered, a note, no error", out)
    # A daemon polling every second notes it in its first round only.
    log = os.path.join(sdir, "daemon.log")
    with open(log, "wb") as f:
        p = subprocess.Popen([tf.MAILSIFT, "run", "-c", conf], stdout=f,
                             stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)

    def rounds():
        with open(log, encoding="utf-8", errors="replace") as f:
            return len(re.findall(r"n: fetched \d+", f.read()))
    try:
        wait_for(lambda: rounds() >= 3, p, 30)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
    with open(log, encoding="utf-8", errors="replace") as f:
        out = f.read()
    check(rounds() >= 3 and out.count("does not offer COMPRESS") == 1,
          "... and a daemon notes it once, not every round (%d rounds)"
          % rounds(), out[-2000:])


def test_pop3_refused():
    sdir = tf.scenario("pop3")
    conf = tf.write_conf(sdir, [tf.account(sdir, "p", "pop3s", "user1",
                                           compress=True)])
    rc, out = tf.run_once(conf)
    check(rc != 0 and "compress" in out and "imap" in out,
          "compress on a pop3 account: a configuration error", out)


def main():
    os.makedirs(os.path.join(tf.W, "load"))
    tests = [test_fetch_imaps, test_fetch_starttls, test_not_offered,
             test_pop3_refused]
    only = sys.argv[1:]
    for t in tests:
        if only and t.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            t()
        except Exception:
            check(False, "%s ran to its end" % t.__name__,
                  traceback.format_exc())
        print("# %s: %.1f s" % (t.__name__, time.monotonic() - t0))
    print("compress: %d passed, %d failed" % (tf.counts["passed"],
                                              tf.counts["failed"]))
    return 1 if tf.counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
