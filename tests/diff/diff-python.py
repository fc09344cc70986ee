#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""diff-python.py - differential test of `mailsift parse --json --hash`
against Python's email package, judged three ways when the corpus has a
manifest.jsonl from tests/corpus/gen-corpus.py (the generator's truth).

Usage: diff-python.py [--mailsift PATH] [--self-check] [-v] DIR

For every DIR/*.eml it compares, between mailsift and Python
(BytesParser(policy=email.policy.default)): subject, from, to, cc, the
number of leaves, and per leaf (depth first, nested message/rfc822
bodies included) its IMAP path, content type, charset, disposition,
filename, decoded size and SHA-256.  With a manifest, mailsift must also
equal the truth on every field, and report the defects the generator
planted.  It prints agreement figures per field and ends with
"diff: N passed, N failed" (per message); exit status 1 if any failed.

Where mailsift and Python differ, the difference must be one of the
KNOWN DIVERGENCES below, detected from the raw bytes of the message, and
mailsift's value must equal the one this script computes on its own from
those raw bytes (its own RFC 2047 / quoted-printable / base64 decoders
and address splitter, written from the RFCs).  Anything else fails.

KNOWN DIVERGENCES (name: when; why mailsift's value is the right one)
  raw-8bit-header: header bytes >= 0x80 that are not UTF-8.  RFC 5322
      2.2 allows only US-ASCII and RFC 6532 3.2 only UTF-8, so no charset
      is stated; mailsift decodes with its documented fallback
      (windows-1252) and reports header-8bit, Python gives U+FFFD or
      surrogate escapes, which lose the text.
  raw-utf8-header: raw UTF-8 in an address header.  RFC 6532 3.2 makes
      UTF-8 legal in header fields; Python's address parser leaves the
      bytes as surrogate escapes instead of characters.
  encoded-word-whitespace: adjacent encoded words in a display name.
      RFC 2047 6.2: white space between adjacent encoded words is not
      displayed; Python keeps a space there.
  latin1-as-windows-1252: an encoded word labelled iso-8859-1 (or
      us-ascii) holding bytes 0x80-0x9F.  Those are C1 controls in
      ISO-8859-1 and never text; the WHATWG Encoding Standard maps the
      label to windows-1252, which mailsift follows (curly quotes, euro).
  gb2312-as-gb18030: bytes labelled gb2312 that are GBK, not GB2312.
      WHATWG maps gb2312 to the GBK/gb18030 decoder, so the real
      characters come out; Python's strict gb2312 fails on them.
  split-multibyte-word: a character split across adjacent encoded words
      in one charset.  RFC 2047 5 forbids producing this; mailsift joins
      the bytes of adjacent words before conversion (as its header.h
      says) and recovers the text, Python decodes word by word into
      U+FFFD.
  comment-name: an address with no display name and a comment
      ("addr (Name)").  RFC 5322 3.2.2 makes comments semantically
      invisible, so Python's empty name is literal; mailsift's contract
      (mime/address.h) uses the comment as the name, the "addr (Full
      Name)" form of RFC 822 mailers.  Asserted: ours is the comment.
  qp-trailing-whitespace: quoted-printable lines ending in SP/HTAB.
      RFC 2045 6.7 rule 3: trailing white space was added in transport
      and must be deleted when decoding; Python keeps it.
  base64-after-padding: base64 text continuing after '=' padding (two
      blobs glued).  RFC 2045 6.8 lets a decoder stop at '=' but does not
      require it; mailsift decodes the rest as a new stream (decode.h),
      so the second blob is not lost; Python stops.
  base64-junk: characters outside the base64 alphabet.  RFC 2045 6.8:
      they must be ignored; Python's fallback gives up on some lengths.
  cte-token: a Content-Transfer-Encoding with odd case or surrounding
      white space ("  BASE64 ").  RFC 2045 6.1: the value is a
      case-insensitive token and RFC 822 lexing allows white space around
      it; Python then returns the body undecoded.

Checked and NOT divergent with Python 3.11 (so a difference there
fails): lines that merely start with a boundary, delimiters with
transport padding, an inner boundary extending the outer one, a missing
close delimiter, a missing blank line after part headers, parts without
headers, RFC 2231 continuations splitting UTF-8 characters, RFC 2047
words in quoted file names and display names, and split or adjacent
words in an unstructured Subject (Python joins them there).

--self-check puts the manifest's truth in place of mailsift's output, to
check that every way Python departs from the truth is explained above
(useful before ./mailsift exists).
"""
import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import subprocess
import sys
from email import policy
from email.parser import BytesParser

BATCH = 100
FIELDS = ["subject", "from", "to", "cc", "leaves", "path", "type",
          "charset", "disposition", "filename", "body", "encoding",
          "defects"]
# Fields Python has no opinion on: judged against the truth only.
TRUTH_ONLY = {"encoding", "defects"}


# ------------------------------------------------- independent decoders

B64_VALUE = {c: i for i, c in enumerate(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def b64_decode(raw):
    """RFC 2045 6.8: skip everything outside the alphabet; after '='
    padding, further text starts a new stream."""
    out = bytearray()
    acc = n = 0
    for c in raw:
        if c == 0x3D:
            if n == 2:
                out.append((acc >> 4) & 0xFF)
            elif n == 3:
                out += bytes([(acc >> 10) & 0xFF, (acc >> 2) & 0xFF])
            acc = n = 0
            continue
        v = B64_VALUE.get(c)
        if v is None:
            continue
        acc = (acc << 6) | v
        n += 1
        if n == 4:
            out += bytes([(acc >> 16) & 0xFF, (acc >> 8) & 0xFF, acc & 0xFF])
            acc = n = 0
    if n == 2:
        out.append((acc >> 4) & 0xFF)
    elif n == 3:
        out += bytes([(acc >> 10) & 0xFF, (acc >> 2) & 0xFF])
    return bytes(out)


HEX = b"0123456789abcdefABCDEF"


def qp_decode(raw):
    """RFC 2045 6.7: trailing SP/HTAB dropped, "=" at the end of a line
    is a soft break, "=XX" a byte (either case), any other "=" literal.
    Line breaks stay as they are (CRLF or LF)."""
    out = bytearray()
    for line in raw.splitlines(keepends=True):
        body = line.rstrip(b"\r\n")
        brk = line[len(body):]
        body = body.rstrip(b" \t")
        soft = body.endswith(b"=")
        if soft:
            body = body[:-1]
        i = 0
        while i < len(body):
            c = body[i]
            if c == 0x3D and i + 2 < len(body) and \
                    body[i + 1] in HEX and body[i + 2] in HEX:
                out.append(int(body[i + 1:i + 3], 16))
                i += 3
            else:
                out.append(c)
                i += 1
        if not soft:
            out += brk
    return bytes(out)


# WHATWG Encoding Standard labels that matter for mail.
CODEC = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
         "us-ascii": "cp1252", "ascii": "cp1252", "iso8859-1": "cp1252",
         "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
         "shift_jis": "cp932", "sjis": "cp932", "koi8-r": "koi8_r"}
EW = re.compile(rb"=\?([^?\s*]+)(\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")


def codec_of(label):
    label = label.lower()
    return CODEC.get(label, label)


def q_word(data):
    """RFC 2047 4.2 "Q": '_' is a space, "=XX" a byte."""
    out = bytearray()
    i = 0
    while i < len(data):
        c = data[i]
        if c == 0x3D and i + 2 < len(data) and data[i + 1] in HEX and \
                data[i + 2] in HEX:
            out.append(int(data[i + 1:i + 3], 16))
            i += 3
            continue
        out.append(0x20 if c == 0x5F else c)
        i += 1
    return bytes(out)


def raw_text(data, fallback="cp1252"):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(fallback, "replace")


def unfold(raw):
    return re.sub(rb"\r?\n(?=[ \t])", b"", raw).strip(b" \t\r\n")


def decode_text(raw):
    """An unstructured header value: RFC 2047 words (white space between
    adjacent words dropped, bytes of adjacent words in one charset joined
    before conversion), raw UTF-8 (RFC 6532), else windows-1252."""
    toks = re.split(rb"([ \t]+)", unfold(raw))
    items = []      # ("ew", label, bytes) | ("raw", bytes)
    for t in toks:
        if not t:
            continue
        m = EW.fullmatch(t)
        if m:
            data = m.group(4)
            if m.group(3) in b"bB":
                data = b64_decode(data)
            else:
                data = q_word(data)
            label = m.group(1).decode("ascii").lower()
            if items and items[-1][0] == "ws" and len(items) > 1 and \
                    items[-2][0] == "ew":
                items.pop()
            if items and items[-1][0] == "ew" and items[-1][1] == label:
                items[-1] = ("ew", label, items[-1][2] + data)
            else:
                items.append(("ew", label, data))
        elif t[0] in b" \t":
            items.append(("ws", t))
        else:
            items.append(("raw", t))
    out = []
    for it in items:
        if it[0] == "ew":
            try:
                out.append(it[2].decode(codec_of(it[1]), "replace"))
            except LookupError:
                out.append(it[2].decode("ascii", "replace"))
        else:
            out.append(raw_text(it[1]))
    return "".join(out)


def split_addresses(raw):
    """Entries of an address list split at commas outside quotes,
    comments and angle brackets."""
    out, cur, depth, quote, angle = [], bytearray(), 0, False, False
    i = 0
    v = unfold(raw)
    while i < len(v):
        c = v[i:i + 1]
        if quote:
            if c == b"\\":
                cur += v[i:i + 2]
                i += 2
                continue
            quote = c != b'"'
        elif depth:
            depth += {b"(": 1, b")": -1}.get(c, 0)
        elif c == b'"':
            quote = True
        elif c == b"(":
            depth = 1
        elif c == b"<":
            angle = True
        elif c == b">":
            angle = False
        elif c == b"," and not angle:
            out.append(bytes(cur).strip())
            cur = bytearray()
            i += 1
            continue
        cur += c
        i += 1
    if cur.strip():
        out.append(bytes(cur).strip())
    return out


def decode_addresses(raw):
    """[{name, address}] for the simple forms real mail uses: phrase
    <addr>, "quoted" <addr>, addr, <addr>, addr (comment)."""
    res = []
    for e in split_addresses(raw):
        m = re.fullmatch(rb'(.*?)\s*<([^<>]*)>\s*(\(.*\))?', e, re.S)
        if m:
            phrase = m.group(1).strip()
            if phrase.startswith(b'"') and phrase.endswith(b'"'):
                # Words inside quotes are decoded, as mailers expect
                # (though RFC 2047 5(3) forbids them there).
                name = decode_text(re.sub(rb"\\(.)", rb"\1",
                                          phrase[1:-1]))
            else:
                name = decode_text(phrase)
            res.append({"name": name, "address": raw_text(m.group(2))})
            continue
        m = re.fullmatch(rb"([^\s()]+)\s*(?:\((.*)\))?", e, re.S)
        if m:
            name = decode_text(m.group(2)) if m.group(2) else ""
            res.append({"name": name, "address": raw_text(m.group(1))})
        else:
            res.append({"name": None, "address": raw_text(e)})
    return res


def header_block(data):
    """{lower-case name: [raw value bytes]} of the top header block."""
    m = re.search(rb"\r?\n\r?\n", data)
    block = data[:m.start()] if m else data
    fields = {}
    for f in re.split(rb"\r?\n(?![ \t])", block):
        name, sep, value = f.partition(b":")
        if sep:
            fields.setdefault(name.strip().lower().decode("latin-1"),
                              []).append(value)
    return fields


# ------------------------------------------------------------- the views

def python_view(data):
    msg = BytesParser(policy=policy.default).parsebytes(data)
    view = {"subject": None, "from": [], "to": [], "cc": [], "parts": []}
    s = msg["subject"]
    view["subject"] = None if s is None else str(s)
    for h in ("from", "to", "cc"):
        v = msg[h]
        if v is not None:
            view[h] = [{"name": a.display_name, "address": a.addr_spec}
                       for a in v.addresses]
    walk(msg, None, view["parts"])
    return view


def walk(e, path, out):
    """Leaves depth first with IMAP paths (as gen-corpus.py numbers
    them).  Python models message/rfc822 as a container of one Message."""
    if e.is_multipart() and e.get_content_maintype() == "message":
        inner = e.get_payload(0)
        if inner.is_multipart() and inner.get_content_maintype() != \
                "message":
            for i, c in enumerate(inner.get_payload()):
                walk(c, f"{path}.{i + 1}", out)
        else:
            walk(inner, path + ".1", out)
    elif e.is_multipart():
        for i, c in enumerate(e.get_payload()):
            walk(c, f"{path}.{i + 1}" if path else str(i + 1), out)
    else:
        body = e.get_payload(decode=True) or b""
        # The public get_payload() re-decodes 8-bit text with the part's
        # charset; the stored payload keeps the raw bytes as surrogate
        # escapes, which is what the independent decoders need.
        raw = e._payload
        if isinstance(raw, str):
            raw = raw.encode("ascii", "surrogateescape")
        cte = e.get("content-transfer-encoding")
        out.append({"path": path or "1", "type": e.get_content_type(),
                    "charset": e.get_content_charset(),
                    "disposition": e.get_content_disposition(),
                    "filename": e.get_filename(),
                    "size": len(body),
                    "sha256": hashlib.sha256(body).hexdigest(),
                    "raw": raw or b"",
                    "cte": None if cte is None else str(cte)})


def run_mailsift(mailsift, files):
    """{file: JSON object}; files that gave no line are missing."""
    res = {}
    for i in range(0, len(files), BATCH):
        batch = files[i:i + BATCH]
        p = subprocess.run([mailsift, "parse", "--json", "--hash", *batch],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            sys.stderr.write(p.stderr.decode("utf-8", "replace")[-2000:])
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            res[obj.get("file")] = obj
    return res


def ours_from_truth(t):
    return {"subject": t["subject"], "from": t["from"], "to": t["to"],
            "cc": t["cc"], "parts": t["parts"],
            "defects": [{"offset": 0, "path": "1", "code": c}
                        for c in t["defects"]]}


# ------------------------------------------------------------ the judge

def norm_addrs(v):
    return [{"name": a.get("name") or "", "address": a.get("address")}
            for a in (v or [])]


def same(v):
    return v


def fold_case(v):
    """Charset names are case-insensitive (RFC 2046 4.1.2): mailsift may
    report them as written."""
    return v.lower() if isinstance(v, str) else v


def explain_subject(raw):
    """Divergences present in a raw Subject value (bytes)."""
    found = []
    if raw is None:
        return found
    try:
        unfold(raw).decode("ascii")
    except UnicodeDecodeError:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            found.append("raw-8bit-header")
    words = list(EW.finditer(unfold(raw)))
    for m in words:
        label = m.group(1).decode("ascii").lower()
        data = b64_decode(m.group(4)) if m.group(3) in b"bB" else \
            q_word(m.group(4))
        if label in ("iso-8859-1", "latin1", "latin-1", "us-ascii") and \
                any(0x80 <= c <= 0x9F for c in data):
            found.append("latin1-as-windows-1252")
        if label == "gb2312":
            try:
                data.decode("gb2312")
            except UnicodeDecodeError:
                found.append("gb2312-as-gb18030")
        try:
            data.decode(codec_of(label))
        except (UnicodeDecodeError, LookupError):
            if label not in ("gb2312",):
                found.append("split-multibyte-word")
    return sorted(set(found))


def explain_address(raw, py_entry):
    """Divergences present in one raw address list (bytes)."""
    found = []
    v = unfold(raw)
    try:
        v.decode("ascii")
    except UnicodeDecodeError:
        try:
            v.decode("utf-8")
            found.append("raw-utf8-header")
        except UnicodeDecodeError:
            found.append("raw-8bit-header")
    if re.search(rb"\?=\s+=\?", v):
        found.append("encoded-word-whitespace")
    for e in split_addresses(raw):
        if b"<" not in e and b"(" in e:
            found.append("comment-name")
    return sorted(set(found))


def explain_body(pp, expect_sha):
    """Divergences in a leaf's raw body; returns [(name, ok)] where ok says
    whether decoding the raw body independently gives expect_sha."""
    raw = pp["raw"]
    cte = (pp["cte"] or "7bit").strip().lower()
    found = []
    if pp["cte"] is not None and pp["cte"] != pp["cte"].strip().lower():
        found.append("cte-token")
    if cte == "quoted-printable":
        if re.search(rb"[ \t]\r?$", raw, re.M):
            found.append("qp-trailing-whitespace")
        dec = qp_decode(raw)
    elif cte == "base64":
        body = re.sub(rb"[\r\n]", b"", raw)
        if re.search(rb"=+[^=]*[A-Za-z0-9+/]", body):
            found.append("base64-after-padding")
        if re.search(rb"[^A-Za-z0-9+/=]", body):
            found.append("base64-junk")
        dec = b64_decode(raw)
    else:
        dec = raw
    ok = hashlib.sha256(dec).hexdigest() == expect_sha
    return [(f, ok) for f in found]


class Judge:
    def __init__(self, verbose):
        self.verbose = verbose
        self.stats = {f: {"ours=python": [0, 0], "ours=truth": [0, 0],
                          "python=truth": [0, 0]} for f in FIELDS}
        self.known = {}
        self.failures = []

    def tally(self, field, pair, same):
        s = self.stats[field][pair]
        s[0] += same
        s[1] += 1

    def message(self, name, data, ours, py, truth):
        """Judge one message; returns the list of its failures."""
        fails = []
        hdr = header_block(data)

        where = ""

        def fail(field, why):
            fails.append(f"{name}{where}: {field}: {why}")

        def known(field, names):
            for n in names:
                self.known[n] = self.known.get(n, 0) + 1

        def field(fname, o, p, t, explain):
            """explain() -> (divergence names, independent value)."""
            if t is not None:
                self.tally(fname, "ours=truth", o == t)
                if p is not None:
                    self.tally(fname, "python=truth", p == t)
                if o != t:
                    fail(fname, f"ours {o!r} != truth {t!r}")
            if p is None:
                return
            self.tally(fname, "ours=python", o == p)
            if o == p:
                return
            names, indep = explain()
            if not names:
                fail(fname, f"unexplained: ours {o!r}, python {p!r}")
            elif o != indep:
                fail(fname, f"known {names} but ours {o!r} != "
                     f"independent {indep!r} (python {p!r})")
            else:
                known(fname, names)

        t = truth or {}
        rs = hdr.get("subject", [None])[0]
        field("subject", ours.get("subject"), py and py["subject"],
              t.get("subject"),
              lambda: (explain_subject(rs),
                       None if rs is None else decode_text(rs)))
        for h in ("from", "to", "cc"):
            raw = b", ".join(hdr.get(h, []))
            field(h, norm_addrs(ours.get(h)),
                  py and norm_addrs(py[h]),
                  norm_addrs(t[h]) if h in t else None,
                  lambda raw=raw: (explain_address(raw, None),
                                   decode_addresses(raw)))

        op = ours.get("parts") or []
        pp = py["parts"] if py else None
        tp = t.get("parts")
        field("leaves", len(op), None if pp is None else len(pp),
              None if tp is None else len(tp), lambda: ([], None))
        for i, o in enumerate(op):
            p = pp[i] if pp is not None and i < len(pp) and \
                len(pp) == len(op) else None
            tt = tp[i] if tp is not None and i < len(tp) else None
            where = f" part {o.get('path')}"
            for k in ("path", "type", "charset", "disposition",
                      "filename"):
                norm = fold_case if k == "charset" else same
                field(k, norm(o.get(k)), None if p is None else norm(p[k]),
                      None if tt is None else norm(tt[k]),
                      lambda: ([], None))
            ob = (o.get("size"), o.get("sha256"))
            field("body", ob, None if p is None else (p["size"],
                                                      p["sha256"]),
                  None if tt is None else (tt["size"], tt["sha256"]),
                  lambda p=p, ob=ob: self.body_explain(p, ob))
            if tt is not None:
                field("encoding", o.get("encoding"), None,
                      tt["encoding"], lambda: ([], None))
        if truth is not None:
            codes = {d.get("code") for d in ours.get("defects") or []}
            for d in truth.get("defects", []):
                self.tally("defects", "ours=truth", d in codes)
                if d not in codes:
                    fail("defects", f"expected defect {d} not reported "
                         f"(got {sorted(codes)})")
        return fails

    @staticmethod
    def body_explain(p, ob):
        found = explain_body(p, ob[1])
        names = [n for n, _ in found]
        if found and all(ok for _, ok in found):
            return names, ob
        return names, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mailsift", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "mailsift"))
    ap.add_argument("--self-check", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("dir")
    a = ap.parse_args()

    names = sorted(n for n in os.listdir(a.dir) if n.endswith(".eml"))
    files = [os.path.join(a.dir, n) for n in names]
    truth = {}
    mpath = os.path.join(a.dir, "manifest.jsonl")
    if os.path.exists(mpath):
        with open(mpath, encoding="utf-8") as f:
            for line in f:
                o = json.loads(line)
                truth[o["file"]] = o
    if a.self_check:
        if not truth:
            sys.exit("diff: --self-check needs a manifest.jsonl")
        ours_all = {os.path.join(a.dir, n): ours_from_truth(truth[n])
                    for n in names}
    else:
        ours_all = run_mailsift(a.mailsift, files)

    judge = Judge(a.verbose)
    passed = failed = 0
    for name, path in zip(names, files):
        with open(path, "rb") as f:
            data = f.read()
        ours = ours_all.get(path)
        if ours is None:
            judge.failures.append(f"{name}: no output from mailsift")
            failed += 1
            continue
        try:
            py = python_view(data)
        except Exception as e:  # Python's own bug: judge ours vs truth
            print(f"note: {name}: python failed: {e!r}")
            py = None
        fails = judge.message(name, data, ours, py, truth.get(name))
        if fails:
            failed += 1
            judge.failures.extend(fails)
        else:
            passed += 1

    for f in FIELDS:
        figs = []
        for pair, (same, n) in judge.stats[f].items():
            if n:
                figs.append(f"{pair} {same}/{n}")
        if figs:
            print(f"  {f:12s} " + ", ".join(figs))
    for k in sorted(judge.known):
        print(f"  known divergence {k}: {judge.known[k]}")
    shown = judge.failures if a.verbose else judge.failures[:40]
    for line in shown:
        print("FAIL " + line)
    if len(judge.failures) > len(shown):
        print(f"... and {len(judge.failures) - len(shown)} more failures")
    print(f"diff: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
