#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""gen-edge.py - single messages at the edges, for the benchmark.

Usage:
  gen-edge.py big [--mb 50] [--seed S] FILE
      one message: a short text part and an attachment of --mb MB
      (seeded random bytes, base64 in 76-character lines).
  gen-edge.py deep [--depth 2000] FILE
      multipart/mixed nested --depth levels, a text leaf at the bottom:
      a parser must stay linear and stop at its depth limit.
"""
import argparse
import base64
from random import Random


def big(path, mb, seed):
    blob = Random(f"{seed}/big").randbytes(mb * 1024 * 1024)
    with open(path, "wb") as f:
        f.write(b"From: Big Sender <big@example.com>\n"
                b"To: rcpt@example.org\n"
                b"Subject: %d MB attachment\n"
                b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
                b"Message-ID: <big.%d@example.com>\n"
                b"MIME-Version: 1.0\n"
                b"Content-Type: multipart/mixed; boundary=\"big-b\"\n\n"
                b"--big-b\n"
                b"Content-Type: text/plain; charset=us-ascii\n\n"
                b"The archive is attached.\n\n"
                b"--big-b\n"
                b"Content-Type: application/zip; name=\"archive.zip\"\n"
                b"Content-Disposition: attachment; filename=\"archive.zip\"\n"
                b"Content-Transfer-Encoding: base64\n\n" % (mb, seed))
        f.write(base64.encodebytes(blob))
        f.write(b"\n--big-b--\n")


def deep(path, depth):
    with open(path, "wb") as f:
        f.write(b"From: Deep <deep@example.com>\n"
                b"To: rcpt@example.org\n"
                b"Subject: nested %d deep\n"
                b"MIME-Version: 1.0\n"
                b"Content-Type: multipart/mixed; boundary=\"d0\"\n\n" % depth)
        for i in range(1, depth):
            f.write(b"--d%d\nContent-Type: multipart/mixed; "
                    b"boundary=\"d%d\"\n\n" % (i - 1, i))
        f.write(b"--d%d\nContent-Type: text/plain\n\nbottom\n" % (depth - 1))
        for i in range(depth - 1, -1, -1):
            f.write(b"--d%d--\n" % i)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="kind", required=True)
    b = sub.add_parser("big")
    b.add_argument("--mb", type=int, default=50)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("file")
    d = sub.add_parser("deep")
    d.add_argument("--depth", type=int, default=2000)
    d.add_argument("file")
    a = ap.parse_args()
    if a.kind == "big":
        big(a.file, a.mb, a.seed)
    else:
        deep(a.file, a.depth)


if __name__ == "__main__":
    main()
