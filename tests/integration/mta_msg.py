# SPDX-License-Identifier: ISC
"""mta_msg.py - message comparisons for test-mta.sh.

  mta_msg.py same DELIVERED SENT [--mask]
      DELIVERED is SENT with only the server's trace fields put on top
      (Return-Path, Delivered-To, Received, X-Original-To): the header
      mailsift wrote, in order, and the body, byte for byte (line ends
      compared as LF: a Maildir stores LF, mailsift's -o writes CRLF).
      --mask: the values of Date and Message-ID may differ (SENT is a
      dry run of the same command), but both must be there and the
      Message-ID must be mailsift's (@ the sender's domain).
  mta_msg.py parts PARSED.json FILE...
      `mailsift parse --json --hash` of the delivered message: no
      defect, and FILE... are its attachments, in order, by name and
      SHA-256.
Exit 1 with the difference on stderr.
"""
import hashlib
import json
import os
import re
import sys

TRACE = (b"return-path", b"delivered-to", b"received", b"x-original-to")


def lines_lf(path):
    return open(path, "rb").read().replace(b"\r\n", b"\n")


def strip_trace(msg):
    """msg without the trace fields at its top (with their folded
    continuation lines)."""
    lines = msg.split(b"\n")
    i = 0
    while i < len(lines):
        name = lines[i].split(b":", 1)[0].strip().lower()
        if name not in TRACE:
            break
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    return b"\n".join(lines[i:])


def masked(msg, bad):
    head, sep, body = msg.partition(b"\n\n")
    out = []
    for line in head.split(b"\n"):
        name = line.split(b":", 1)[0].lower()
        if name == b"date":
            line = b"Date: <masked>"
        elif name == b"message-id":
            if not re.match(rb"Message-ID: <[^@<>]+@[a-z0-9.-]+>$", line):
                bad.append("not mailsift's Message-ID: %r" % line)
            line = b"Message-ID: <masked>"
        out.append(line)
    return b"\n".join(out) + sep + body


def same(delivered, sent, mask):
    got = strip_trace(lines_lf(delivered))
    want = lines_lf(sent)
    bad = []
    if mask:
        got, want = masked(got, bad), masked(want, [])
    if got != want:
        gl, wl = got.split(b"\n"), want.split(b"\n")
        for n, (g, w) in enumerate(zip(gl, wl)):
            if g != w:
                bad.append("line %d: got %r, sent %r" % (n + 1, g, w))
                break
        else:
            bad.append("%d lines arrived, %d sent" % (len(gl), len(wl)))
    return bad


def parts(parsed, files):
    p = json.load(open(parsed))
    bad = []
    if p["defects"]:
        bad.append("defects: %r" % p["defects"])
    atts = [x for x in p["parts"] if x["disposition"] == "attachment"]
    if len(atts) != len(files):
        bad.append("%d attachments, want %d" % (len(atts), len(files)))
    for a, f in zip(atts, files):
        sha = hashlib.sha256(open(f, "rb").read()).hexdigest()
        if a["filename"] != os.path.basename(f):
            bad.append("filename %r, want %r" % (a["filename"],
                                                 os.path.basename(f)))
        if a["sha256"] != sha:
            bad.append("%s: the bytes differ" % a["filename"])
    return bad


def main(argv):
    if len(argv) >= 3 and argv[0] == "same":
        bad = same(argv[1], argv[2], "--mask" in argv[3:])
    elif len(argv) >= 2 and argv[0] == "parts":
        bad = parts(argv[1], argv[2:])
    else:
        sys.stderr.write(__doc__)
        return 2
    for b in bad:
        sys.stderr.write(b + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
