#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""gen-corpus.py - seeded generator of realistic mail for mailsift's
differential test and benchmarks.

Usage:
  gen-corpus.py --seed S --count N [--size-mb M] [--max-attachment-kb K]
                [--small] OUTDIR

Writes OUTDIR/msg-00000.eml ... and two sidecar files:
  manifest.jsonl  one JSON object per message, in file order: what the
                  generator meant to say (the ground truth the diff test
                  judges against): subject, from/to/cc, every leaf in
                  depth-first order with its IMAP path, type, charset,
                  disposition, decoded filename, transfer encoding,
                  decoded size and SHA-256, the defects a parser must
                  report, and tags naming the tricks used.
  small.txt       names of the messages under 50 KB (the small-message
                  subset the benchmark selects).

The same arguments give byte-identical output: every message draws from
its own random.Random seeded with "seed/plan/i" or "seed/body/i", so
nothing depends on hash order, the clock or the OS entropy pool.

The mix (percent of messages):
  plain us-ascii 7bit ............  7    multipart/alternative .......... 14
  plain utf-8 8bit (raw UTF-8       5    multipart/mixed, 1-3 base64
    subject, RFC 6532)                     attachments ................. 22
  plain quoted-printable utf-8 ...  4    forward: message/rfc822 nested
  plain quoted-printable latin-1 .  4      1-3 deep .....................  8
  multipart/related (html +              multipart/signed (text +
    inline images, Content-ID) ...  7      application/pgp-signature) ..  5
  malformed, 9 kinds of 2-3% each ............................... 24
    missing-close (no final boundary), missing-blank (no empty line
    after part headers), base64-junk (characters outside the alphabet),
    base64-odd (unpadded / two padded blobs glued), raw-8bit (latin-1
    bytes in Subject and From), boundary-prefix ("--bX" lines and an
    inner boundary that extends the outer one, padded delimiters),
    qp-odd (transport-added trailing white space, bad and lower-case
    escapes), encoded-word-odd (words split inside a UTF-8 character,
    GBK bytes labelled gb2312, windows-1252 bytes labelled iso-8859-1),
    header-case (odd case, a comment after an unquoted boundary, a
    padded "  BASE64 " encoding, a part with no header lines at all).
Across all classes: 30% of files use CRLF line ends; subjects are plain,
RFC 2047 B/Q words (utf-8, iso-8859-1, gb2312, koi8-r, shift_jis), mixed
or folded; display names are plain, quoted (with escapes), encoded words
(bare or, as some mailers do, inside quotes), raw UTF-8, or a comment
after the address; attachment names are plain, RFC 2231 (utf-8 or
iso-8859-1, with continuations that split UTF-8 characters across
segments) or RFC 2047 words inside quotes.

Sizes: attachments are 20 KB - 2 MB (pdf/png/jpeg/zip/docx/octet-stream:
plausible magic bytes, then seeded random bytes), 76-character base64
lines.  Their distribution lo*(hi/lo)**(u**p) has its skew p chosen so
the corpus totals about --size-mb (default 0.2 MB per message: 2000
messages give ~400 MB).  --max-attachment-kb lowers hi (the skew is then
log-uniform unless --size-mb is given too).  --small makes a corpus of
small messages only (attachments 2-10 KB, short texts: a few KB to about
45 KB each).
"""
import argparse
import base64
import hashlib
import json
import math
import os
import re
import sys
from random import Random

KB = 1024
MB = 1024 * 1024
SMALL_LIMIT = 50 * KB

CLASSES = [
    ("plain-ascii", 7), ("plain-utf8", 5), ("plain-qp-utf8", 4),
    ("plain-qp-latin1", 4), ("alternative", 14), ("mixed", 22),
    ("forward", 8), ("related", 7), ("signed", 5), ("malformed", 24),
]
MALFORMED = [
    "missing-close", "missing-blank", "base64-junk", "base64-odd",
    "raw-8bit", "boundary-prefix", "qp-odd", "encoded-word-odd",
    "header-case",
]

WORDS = """the of and to in is it that for on with as was be at by this
have from or one had not but what all were when we there can an your
which their said if do will each about how up out them then she many
some so these would other into has more her two like him see time could
no make than first been its who now people my made over did down only
way find use may water long little very after words called just where
most know get through back much before go good new write our used me
man too any day same right look think also around another came come
work three word must because does part even place well such here take
why things help put years different away again off went old number
report budget meeting draft invoice order shipment contract review
quarter figures schedule agenda project status update server backup
release customer supplier payment attached please regards thanks team
""".split()

LATIN1_WORDS = """réunion équipe café naïve façade garçon déjà vu crème
brûlée Grüße München Straße Bücher für schön Mädchen Übersicht Größe
señor año mañana niño corazón pequeño Ångström København smørrebrød
""".split()

UTF8_WORDS = LATIN1_WORDS + """Отчёт квартал Привет Москва счёт оплата
会议 纪要 季度 报告 发票 見積書 送付 会議 お知らせ 請求書 Ελληνικά
καλημέρα Łódź Zażółć gęślą jaźń ☕ 🚀 €
""".split()

# Text per charset for encoded words; every string encodes in its charset.
CHARSET_TEXT = {
    "utf-8": ["Réunion d'équipe", "Grüße aus München", "Отчёт за квартал",
              "会议纪要", "見積書の送付", "Καλημέρα κόσμε", "Zażółć gęślą jaźń",
              "naïve café ☕", "Launch 🚀 plan", "Счёт № 42 и €"],
    "iso-8859-1": ["Réunion d'équipe", "Grüße aus München", "Año nuevo",
                   "Bücher für Sie", "Übersicht der Größe", "Crème brûlée"],
    "gb2312": ["会议纪要", "季度报告", "发票", "你好，世界", "项目进度"],
    "koi8-r": ["Отчёт за квартал", "Привет", "Счёт на оплату",
               "Встреча в пятницу"],
    "shift_jis": ["見積書の送付", "会議のお知らせ", "請求書", "ご確認ください"],
}
# Characters in GBK (what "gb2312" mail really carries) but not GB2312.
GBK_ONLY_TEXT = ["朱镕基总理讲话", "喆的报告", "堃和镕"]
# Windows-1252 characters in 0x80-0x9F, sent under an iso-8859-1 label.
CP1252_TEXT = ["“Quoted” offer – €100", "Price list … ‘final’",
               "Angebot – 50 € • gültig"]

SUBJECTS = ["Quarterly report", "Meeting notes for Tuesday",
            "Invoice {n}", "Project status", "Your order {n} has shipped",
            "Lunch?", "Draft contract v{n}", "Backup failed on host{n}",
            "Agenda for the review", "Holiday schedule",
            "Updated figures for Q{q}", "Question about ticket #{n}",
            "Welcome to the team", "Release {n} notes", "Server migration"]
PREFIXES = ["Re: ", "RE: ", "Fwd: ", "AW: ", "Fw: ", ""]

# (display name, local part, charset the name is best encoded in)
PEOPLE = [
    ("John Smith", "john.smith", "us-ascii"),
    ("Alice Johnson", "alice", "us-ascii"),
    ("Bob O'Neil", "bob.oneil", "us-ascii"),
    ("Smith, Jane", "jane.smith", "us-ascii"),
    ("Dr. Carol White", "cwhite", "us-ascii"),
    ("Support Team", "support", "us-ascii"),
    ("Jürgen Müller", "j.mueller", "iso-8859-1"),
    ("François Lefèvre", "flefevre", "iso-8859-1"),
    ("Søren Kierkegård", "soren", "iso-8859-1"),
    ("José Núñez", "jose.nunez", "iso-8859-1"),
    ("Łukasz Wiśniewski", "lukasz", "utf-8"),
    ("Борис Иванов", "b.ivanov", "koi8-r"),
    ("Ольга Петрова", "olga", "koi8-r"),
    ("王小明", "wang.xm", "gb2312"),
    ("李娜", "li.na", "gb2312"),
    ("山田太郎", "yamada", "shift_jis"),
    ("Νίκος Παπαδόπουλος", "nikos", "utf-8"),
]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.de",
           "corp.example.co.uk", "example.jp", "lists.example.org"]

ATTACH_KINDS = [
    ("application/pdf", ".pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
    ("image/png", ".png",
     b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x04\x00\x00\x00\x03"
     b"\x00\x08\x02\x00\x00\x00"),
    ("image/jpeg", ".jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01"),
    ("application/zip", ".zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml"
     ".document", ".docx",
     b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"
     b"[Content_Types].xml"),
    ("application/octet-stream", ".bin", b""),
]
ASCII_STEMS = ["report", "Invoice_2023-{n}", "scan{n}", "photo_{n}",
               "contract draft", "Q3 results final", "backup-{n}",
               "minutes", "very long attachment name for the quarterly "
               "budget review meeting {n}"]
INTL_STEMS = [("Rechnung März", "iso-8859-1"), ("Übersicht", "iso-8859-1"),
              ("Отчёт", "koi8-r"), ("报价单", "gb2312"),
              ("見積書", "shift_jis"), ("日本語の資料", "utf-8"),
              ("Präsentation für Kunden", "utf-8"), ("Zażółć", "utf-8")]

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec"]

# Non-alphabet characters that base64 decoders must skip (RFC 2045 6.8);
# never '=' or '-' ('-' could look like a boundary).
B64_JUNK = b"!#$%&*,.:;<>?@[]^_`{|}~ \t"


# ---------------------------------------------------------------- entities

class Leaf:
    """A non-multipart entity: raw header lines, the body as it appears in
    the file, and what a correct parser must report for it."""

    def __init__(self, headers, body, decoded, ctype, *, charset=None,
                 disposition=None, filename=None, encoding="7bit",
                 textual=False):
        self.headers = headers
        self.body = body
        self.decoded = decoded
        self.ctype = ctype
        self.charset = charset
        self.disposition = disposition
        self.filename = filename
        self.encoding = encoding
        # Identity and quoted-printable bodies keep the file's line ends
        # when decoded; base64 bodies do not.
        self.textual = textual
        self.no_blank = False


class Multi:
    def __init__(self, headers, boundary, children, *, preamble=b"",
                 epilogue=b"", close=True, pad=b""):
        self.headers = headers
        self.boundary = boundary
        self.children = children
        self.preamble = preamble
        self.epilogue = epilogue
        self.close = close
        self.pad = pad
        self.no_blank = False


class Rfc822:
    """message/rfc822: a container whose body is a whole message."""

    def __init__(self, headers, inner):
        self.headers = headers
        self.inner = inner
        self.no_blank = False


def render(e, out):
    for h in e.headers:
        out.append(h)
        out.append(b"\n")
    if not e.no_blank:
        out.append(b"\n")
    if isinstance(e, Leaf):
        out.append(e.body)
    elif isinstance(e, Rfc822):
        render(e.inner, out)
    else:
        out.append(e.preamble)
        for i, c in enumerate(e.children):
            # The line break before a delimiter belongs to the delimiter
            # (RFC 2046 5.1.1), so every body keeps its own last newline.
            out.append(b"" if i == 0 and not e.preamble else b"\n")
            out.append(b"--" + e.boundary + e.pad + b"\n")
            render(c, out)
        if e.close:
            out.append(b"\n--" + e.boundary + b"--" + e.pad + b"\n")
            out.append(e.epilogue)


def leaves(e, path, out):
    """Leaves depth-first with IMAP part numbers: children of a multipart
    are path.1, path.2...; the body of message/rfc822 part P is P.1 when
    it is a single part, and its children are P.1, P.2... when it is a
    multipart."""
    if isinstance(e, Leaf):
        out.append((path or "1", e))
    elif isinstance(e, Multi):
        for i, c in enumerate(e.children):
            leaves(c, f"{path}.{i + 1}" if path else str(i + 1), out)
    else:
        inner = e.inner
        if isinstance(inner, Multi):
            leaves(inner, path, out)
        else:
            leaves(inner, path + ".1", out)


# ----------------------------------------------------------- header pieces

def fold(name, value, width=78):
    """name: value folded at spaces; unfolding gives the value back."""
    tokens = value.split(b" ")
    lines = [name + b": " + tokens[0]]
    for t in tokens[1:]:
        if t and len(lines[-1]) + 1 + len(t) > width:
            lines.append(b" " + t)
        else:
            lines[-1] += b" " + t
    return b"\n".join(lines)


def q_encode(data, phrase=True):
    safe = b"!*+-/" if phrase else b"!*+-/.,:;()'"
    out = []
    for c in data:
        if c == 0x20:
            out.append("_")
        elif (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A
              or c in safe):
            out.append(chr(c))
        else:
            out.append("=%02X" % c)
    return "".join(out)


def ew(data, label, enc):
    if enc.upper() == "B":
        text = base64.b64encode(data).decode("ascii")
    else:
        text = q_encode(data)
    return f"=?{label}?{enc}?{text}?="


def ew_words(text, charset, enc, label=None, codec=None):
    """Encode text as encoded words of at most 75 characters, each holding
    whole characters (RFC 2047 5)."""
    label = label or charset
    codec = codec or charset
    words, cur = [], ""
    for ch in text:
        cand = cur + ch
        if cur and len(ew(cand.encode(codec), label, enc)) > 75:
            words.append(cur)
            cur = ch
        else:
            cur = cand
    words.append(cur)
    return [ew(w.encode(codec), label, enc) for w in words]


def ew_split_bytes(text, enc, rng):
    """UTF-8 words cut at byte offsets that fall inside characters, which
    RFC 2047 forbids but mailers produce."""
    data = text.encode("utf-8")
    cuts = [i for i in range(1, len(data))
            if (data[i] & 0xC0) == 0x80]
    cuts = sorted(rng.sample(cuts, min(len(cuts), rng.randint(1, 3))))
    pieces, prev = [], 0
    for c in cuts + [len(data)]:
        pieces.append(data[prev:c])
        prev = c
    return [ew(p, rng.choice(["utf-8", "UTF-8"]), enc) for p in pieces]


def date_header(rng):
    t = rng.randint(1546300800, 1735689599)  # 2019-2024
    days, secs = divmod(t, 86400)
    # Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (1 if m <= 2 else 0)
    wd = (days + 3) % 7
    hh, rem = divmod(secs, 3600)
    tz = rng.choice(["+0000", "+0100", "+0200", "-0500", "+0900", "-0800"])
    return (f"{DAYS[wd]}, {d} {MONTHS[m - 1]} {y} {hh:02d}:{rem // 60:02d}:"
            f"{rem % 60:02d} {tz}").encode()


def hexid(rng, n):
    return rng.randbytes(n).hex()


# ----------------------------------------------------------------- builder

class Builder:
    """Builds one message from its own random stream."""

    def __init__(self, rng, small):
        self.rng = rng
        self.small = small
        self.tags = []
        self.defects = []

    # -- text

    def sentence(self, words=WORDS, extra=None, p_extra=0.0):
        r = self.rng
        n = r.randint(5, 16)
        ws = []
        for _ in range(n):
            if extra and r.random() < p_extra:
                ws.append(r.choice(extra))
            else:
                ws.append(r.choice(words))
        s = " ".join(ws)
        return s[0].upper() + s[1:] + r.choice([".", ".", ".", "?", "!"])

    def paragraphs(self, nlines, extra=None, p_extra=0.0):
        """Text of about nlines lines wrapped at 72 columns, ending in a
        newline."""
        r = self.rng
        lines = []
        while len(lines) < nlines:
            para = " ".join(self.sentence(WORDS, extra, p_extra)
                            for _ in range(r.randint(1, 5)))
            cur = ""
            for w in para.split(" "):
                if cur and len(cur) + 1 + len(w) > 72:
                    lines.append(cur)
                    cur = w
                else:
                    cur = f"{cur} {w}" if cur else w
            lines.append(cur)
            lines.append("")
        return "\n".join(lines[:nlines]).rstrip("\n") + "\n"

    def text_lines(self):
        r = self.rng
        if self.small:
            return r.randint(3, 60)
        if r.random() < 0.1:
            return r.randint(80, 600)
        return r.randint(3, 40)

    def html_of(self, text):
        paras = [p for p in text.split("\n\n") if p.strip()]
        body = "\n".join("<p>" + p.replace("\n", " ") + "</p>"
                         for p in paras)
        return ("<html><head><meta http-equiv=\"Content-Type\" "
                "content=\"text/html; charset=utf-8\"></head>\n<body "
                "style=\"font-family: Arial, sans-serif; font-size: "
                "11pt\">\n" + body + "\n</body></html>\n")

    # -- transfer encodings

    def qp(self, data, trailing_ws=False, odd=False):
        """Quoted-printable (RFC 2045 6.7), lines at most 76 characters.
        Returns (encoded body, decoded truth).  trailing_ws adds the white
        space transports append (decoders must drop it); odd adds a bad
        escape (kept literally, RFC 2045 6.7 note 2) and lower-case hex
        digits (which robust decoders accept)."""
        r = self.rng
        src = data.split(b"\n")
        encoded = []    # per source line, its encoded lines
        for line in src:
            toks = []
            for i, c in enumerate(line):
                if c in (0x20, 0x09) and i == len(line) - 1:
                    toks.append("=%02X" % c)
                elif c == 0x3D or c < 0x20 or c > 0x7E:
                    lower = odd and c > 0x7E and r.random() < 0.3
                    toks.append(("=%02x" if lower else "=%02X") % c)
                else:
                    toks.append(chr(c))
            pieces, cur = [], ""
            for tok in toks:
                if len(cur) + len(tok) > 75:
                    pieces.append(cur + "=")
                    cur = tok
                else:
                    cur += tok
            pieces.append(cur)
            encoded.append(pieces)
        if odd:
            i = r.randrange(len(src))
            encoded[i][0] = "=ZZ" + encoded[i][0]
            src[i] = b"=ZZ" + src[i]
            self.tags.append("qp-bad-escape")
        lines = [p for pieces in encoded for p in pieces]
        if trailing_ws:
            for i in range(len(lines) - 1):
                if r.random() < 0.3:
                    lines[i] += r.choice([" ", "\t", "  ", " \t "])
            self.tags.append("qp-trailing-ws")
        return "\n".join(lines).encode("ascii"), b"\n".join(src)

    def b64(self, data):
        return base64.encodebytes(data)

    # -- headers

    def address(self, person=None):
        """(rendered bytes, truth {name, address})."""
        r = self.rng
        name, local, cs = person or r.choice(PEOPLE)
        addr = f"{local}@{r.choice(DOMAINS)}"
        ascii_name = cs == "us-ascii"
        styles = ({"plain": 40, "quoted": 20, "bare": 10, "angle": 10,
                   "comment": 10, "trailing-comment": 10}
                  if ascii_name else
                  {"encoded": 60, "quoted-encoded": 10, "raw-utf8": 10,
                   "comment-encoded": 10, "bare": 10})
        style = r.choices(list(styles), list(styles.values()))[0]
        if style == "bare":
            return addr.encode(), {"name": "", "address": addr}
        if style == "angle":
            return f"<{addr}>".encode(), {"name": "", "address": addr}
        if style == "plain":
            if any(c in name for c in ",.'"):
                style = "quoted"
            else:
                return (f"{name} <{addr}>".encode(),
                        {"name": name, "address": addr})
        if style == "quoted":
            shown = name
            if r.random() < 0.2:
                shown = name.split(" ")[0] + ' "the boss" ' + \
                    name.split(" ")[-1]
                self.tags.append("quoted-escape")
            esc = shown.replace("\\", "\\\\").replace('"', '\\"')
            return (f'"{esc}" <{addr}>'.encode(),
                    {"name": shown, "address": addr})
        if style == "comment":
            self.tags.append("comment-name")
            return (f"{addr} ({name})".encode(),
                    {"name": name, "address": addr})
        if style == "trailing-comment":
            return (f"{name.replace(',', '').replace('.', '')} <{addr}> "
                    f"(Sales)".encode(),
                    {"name": name.replace(",", "").replace(".", ""),
                     "address": addr})
        if style == "raw-utf8":
            self.tags.append("raw-utf8-name")
            return (f"{name} <{addr}>".encode("utf-8"),
                    {"name": name, "address": addr})
        charset = cs if r.random() < 0.6 else "utf-8"
        words = ew_words(name, charset, r.choice("BQ"))
        if style == "comment-encoded":
            self.tags.append("comment-name")
            return (f"{addr} ({' '.join(words)})".encode(),
                    {"name": name, "address": addr})
        if style == "quoted-encoded":
            # RFC 2047 5(3) forbids words inside quotes; mailers do it.
            self.tags.append("quoted-encoded-name")
            return (f"\"{' '.join(words)}\" <{addr}>".encode(),
                    {"name": name, "address": addr})
        return (f"{' '.join(words)} <{addr}>".encode(),
                {"name": name, "address": addr})

    def address_list(self, hname, n):
        r = self.rng
        rendered, truth = [], []
        for _ in range(n):
            a, t = self.address()
            rendered.append(a)
            truth.append(t)
        if r.random() < 0.7:
            return fold(hname, b", ".join(rendered)), truth
        # One address per line, as some mailers fold.
        return hname + b": " + b",\n\t".join(rendered), truth

    def subject_text(self):
        r = self.rng
        s = r.choice(SUBJECTS).format(n=r.randint(100, 99999),
                                      q=r.randint(1, 4))
        if r.random() < 0.1:
            s += " - " + " ".join(r.choice(WORDS) for _ in range(12))
        return s

    def subject(self, mode=None):
        """(header line bytes, decoded truth)."""
        r = self.rng
        if mode is None:
            mode = r.choices(["ascii", "utf8", "other", "mixed", "raw-utf8"],
                             [50, 20, 15, 10, 5])[0]
        if mode == "ascii":
            t = r.choice(PREFIXES) + self.subject_text()
            return fold(b"Subject", t.encode()), t
        if mode == "raw-utf8":
            self.tags.append("raw-utf8-subject")
            t = r.choice(PREFIXES) + r.choice(CHARSET_TEXT["utf-8"])
            return fold(b"Subject", t.encode("utf-8")), t
        if mode == "utf8":
            t = r.choice(CHARSET_TEXT["utf-8"]) + " " + self.subject_text()
            label = r.choice(["utf-8", "UTF-8", "Utf-8"])
            enc = r.choice("BQ") if r.random() < 0.9 else r.choice("bq")
            words = ew_words(t, "utf-8", enc, label=label)
            return fold(b"Subject", " ".join(words).encode()), t
        if mode == "other":
            cs = r.choice(["iso-8859-1", "gb2312", "koi8-r", "shift_jis"])
            t = r.choice(CHARSET_TEXT[cs])
            self.tags.append("subject-" + cs)
            label = cs.upper() if r.random() < 0.3 else cs
            words = ew_words(t, cs, r.choice("BQ"), label=label)
            return fold(b"Subject", " ".join(words).encode()), t
        # Plain prefix, then words: the space between text and a word is
        # kept, spaces between words are not (RFC 2047 6.2).
        pre = r.choice(["Re:", "Fwd:", "AW:", "Re: [list]"])
        cs = r.choice(["utf-8", "iso-8859-1", "koi8-r"])
        t = r.choice(CHARSET_TEXT[cs])
        words = ew_words(t, cs, r.choice("BQ"))
        return (fold(b"Subject", (pre + " " + " ".join(words)).encode()),
                pre + " " + t)

    def top_headers(self, frm, to, cc, subject_line):
        r = self.rng
        h = []
        host = r.choice(DOMAINS)
        date = date_header(r)
        for _ in range(r.randint(1, 3)):
            ip = f"192.0.2.{r.randint(1, 254)}"
            h.append(b"Received: from mx%d.%s (mx%d.%s [%s])\n\tby mail.%s "
                     b"(Postfix) with ESMTPS id %s\n\tfor <rcpt@%s>; %s" % (
                         r.randint(1, 9), host.encode(), r.randint(1, 9),
                         host.encode(), ip.encode(),
                         r.choice(DOMAINS).encode(),
                         hexid(r, 5).upper().encode(),
                         r.choice(DOMAINS).encode(), date))
        if r.random() < 0.5:
            sig = base64.b64encode(r.randbytes(256)).decode()
            bh = base64.b64encode(r.randbytes(32)).decode()
            lines = [sig[i:i + 70] for i in range(0, len(sig), 70)]
            h.append(("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"
                      f"\n\td={host}; s=sel{r.randint(1, 3)}; "
                      "h=from:to:subject:date:message-id;\n\tbh=" + bh +
                      ";\n\tb=" + "\n\t ".join(lines)).encode())
        h.append(frm)
        h.append(to)
        if cc is not None:
            h.append(cc)
        h.append(subject_line)
        h.append(b"Date: " + date)
        h.append(b"Message-ID: <%s.%d@%s>" % (hexid(r, 8).encode(),
                                               r.randint(1, 10**6),
                                               host.encode()))
        if r.random() < 0.4:
            h.append(r.choice([b"X-Mailer: Microsoft Outlook 16.0",
                               b"User-Agent: Mozilla Thunderbird",
                               b"X-Mailer: Apple Mail (2.3654)"]))
        h.append(b"MIME-Version: 1.0")
        return h

    def envelope(self):
        """From/To/Cc/Subject header lines and their truth."""
        r = self.rng
        fa, ft = self.address()
        frm = fold(b"From", fa)
        nto = r.choices([1, 2, 3], [70, 20, 10])[0]
        to, tt = self.address_list(b"To", nto)
        cc, ct = (None, [])
        if r.random() < 0.3:
            cc, ct = self.address_list(b"Cc", r.randint(1, 3))
        subj, st = self.subject()
        truth = {"subject": st, "from": [ft], "to": tt, "cc": ct}
        return frm, to, cc, subj, truth

    def boundary(self):
        r = self.rng
        k = r.randrange(5)
        if k == 0:
            return b"----=_Part_%d_%d.%d" % (r.randint(1, 99999),
                                             r.randint(1, 10**9),
                                             r.randint(10**12, 10**13))
        if k == 1:
            return hexid(r, 14).encode()
        if k == 2:
            return b"=_%s" % hexid(r, 12).encode()
        if k == 3:
            return b"Apple-Mail=_%s" % hexid(r, 16).upper().encode()
        return b"----------=_%s.%s" % (hexid(r, 4).upper().encode(),
                                        hexid(r, 4).upper().encode())

    def multi(self, subtype, children, extra_params=b"", **kw):
        b = self.boundary()
        h = [b"Content-Type: multipart/%s;%s\n\tboundary=\"%s\"" % (
            subtype, extra_params, b)]
        return Multi(h, b, children, **kw)

    # -- leaves

    def text_leaf(self, kind=None, nlines=None, html=False, text=None):
        """A text/plain or text/html leaf in one of the common forms."""
        r = self.rng
        if kind is None:
            kind = r.choices(["ascii", "utf8", "qp-utf8", "qp-latin1",
                              "b64-utf8"], [45, 20, 20, 10, 5])[0]
        nlines = nlines or self.text_lines()
        sub = "html" if html else "plain"
        if text is None:
            if kind == "ascii":
                text = self.paragraphs(nlines)
            elif kind == "qp-latin1":
                text = self.paragraphs(nlines, LATIN1_WORDS, 0.15)
            else:
                text = self.paragraphs(nlines, UTF8_WORDS, 0.15)
            if html:
                text = self.html_of(text)
        if kind == "ascii":
            data = text.encode("ascii", "replace")
            cs = r.choice(["us-ascii", "us-ascii", None])
            h = [b"Content-Type: text/%s" % sub.encode() +
                 (b"; charset=\"%s\"" % cs.encode() if cs else b"")]
            enc = "7bit"
            if r.random() < 0.7:
                h.append(b"Content-Transfer-Encoding: 7bit")
            return Leaf(h, data, data, "text/" + sub, charset=cs,
                        encoding=enc, textual=True)
        if kind == "utf8":
            data = text.encode("utf-8")
            h = [b"Content-Type: text/%s; charset=UTF-8" % sub.encode(),
                 b"Content-Transfer-Encoding: 8bit"]
            return Leaf(h, data, data, "text/" + sub, charset="utf-8",
                        encoding="8bit", textual=True)
        if kind in ("qp-utf8", "qp-latin1"):
            cs = "utf-8" if kind == "qp-utf8" else "iso-8859-1"
            data = text.encode(cs, "replace")
            body, decoded = self.qp(data)
            h = [b"Content-Type: text/%s; charset=\"%s\"" % (
                sub.encode(), cs.encode()),
                b"Content-Transfer-Encoding: quoted-printable"]
            return Leaf(h, body, decoded, "text/" + sub, charset=cs,
                        encoding="quoted-printable", textual=True)
        data = text.encode("utf-8")
        h = [b"Content-Type: text/%s; charset=utf-8" % sub.encode(),
             b"Content-Transfer-Encoding: base64"]
        return Leaf(h, self.b64(data), data, "text/" + sub,
                    charset="utf-8", encoding="base64")

    def alternative(self):
        r = self.rng
        kind = r.choices(["ascii", "utf8", "qp-utf8"], [40, 20, 40])[0]
        nlines = self.text_lines()
        text = self.paragraphs(nlines) if kind == "ascii" else \
            self.paragraphs(nlines, UTF8_WORDS, 0.15)
        plain = self.text_leaf(kind, text=text)
        hkind = r.choice(["qp-utf8", "qp-utf8", "b64-utf8", "utf8"])
        html = self.text_leaf(hkind, html=True, text=self.html_of(text))
        return self.multi(b"alternative", [plain, html])

    def filename_params(self, stem_ext, intl):
        """Content-Type name and Content-Disposition filename parameters in
        one of the encodings mailers use; returns (ct_params,
        cd_params, decoded name)."""
        r = self.rng
        if intl is None:
            name = stem_ext
            if len(name) > 60 and r.random() < 0.7:
                # RFC 2231 continuations without a charset.
                segs = [name[i:i + 30] for i in range(0, len(name), 30)]
                cd = b";".join(b"\n\tfilename*%d=\"%s\"" % (i, s.encode())
                               for i, s in enumerate(segs))
                self.tags.append("rfc2231-continued")
                return b" name=\"%s\"" % name.encode(), cd, name
            if " " not in name and r.random() < 0.3:
                return (b" name=%s" % name.encode(),
                        b" filename=%s" % name.encode(), name)
            return (b" name=\"%s\"" % name.encode(),
                    b" filename=\"%s\"" % name.encode(), name)
        name, cs = stem_ext, intl
        mode = r.choices(["2231", "2231-split", "2047"], [30, 30, 40])[0]
        if mode == "2047":
            self.tags.append("rfc2047-filename-" + cs)
            words = ew_words(name, cs, r.choice("BQ"))
            v = " ".join(words).encode()
            return (b" name=\"%s\"" % v, b" filename=\"%s\"" % v, name)
        cs2231 = "utf-8"
        if cs == "iso-8859-1" and mode == "2231" and r.random() < 0.5:
            cs2231 = "iso-8859-1"
        data = name.encode(cs2231)
        pct = "".join(chr(c) if (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or
                                 0x61 <= c <= 0x7A or c in b"._-")
                      else "%%%02X" % c for c in data)
        lang = r.choice(["", "", "en", "de"])
        ct = b" name=\"%s\"" % " ".join(ew_words(name, "utf-8", "B")).encode()
        if mode == "2231":
            self.tags.append("rfc2231")
            return ct, b" filename*=%s'%s'%s" % (
                cs2231.encode(), lang.encode(), pct.encode()), name
        # Segments cut between %XX triples, inside UTF-8 characters.
        self.tags.append("rfc2231-split-utf8")
        toks = []
        i = 0
        while i < len(pct):
            n = 3 if pct[i] == "%" else 1
            toks.append(pct[i:i + n])
            i += n
        inside = [i for i, t in enumerate(toks)
                  if t[0] == "%" and 0x80 <= int(t[1:], 16) <= 0xBF]
        others = [i for i in range(1, len(toks)) if i not in inside]
        cuts = [r.choice(inside)] + r.sample(others,
                                              min(len(others),
                                                  r.randint(0, 2)))
        cuts = sorted(set(cuts))
        segs, prev = [], 0
        for c in cuts + [len(toks)]:
            segs.append("".join(toks[prev:c]))
            prev = c
        out = []
        for i, s in enumerate(segs):
            pre = f"utf-8'{lang}'" if i == 0 else ""
            out.append(b"\n\tfilename*%d*=%s%s" % (i, pre.encode(),
                                                  s.encode()))
        return ct, b";".join(out), name

    def attachment(self, size, kind=None, disposition="attachment",
                   name_only=None):
        """A base64 attachment of size decoded bytes."""
        r = self.rng
        ctype, ext, magic = kind or r.choice(ATTACH_KINDS)
        if ctype.startswith("image/") and kind is None and \
                r.random() < 0.2:
            disposition = "inline"
        blob = magic + r.randbytes(max(0, size - len(magic)))
        if r.random() < 0.25:
            stem, cs = r.choice(INTL_STEMS)
        else:
            stem = r.choice(ASCII_STEMS).format(n=r.randint(1, 9999))
            cs = None
        ct_p, cd_p, fname = self.filename_params(stem + ext, cs)
        h = [b"Content-Type: %s;%s" % (ctype.encode(), ct_p)]
        if name_only is None:
            name_only = r.random() < 0.05
        if name_only:
            disposition = None
        else:
            h.append(b"Content-Disposition: %s;%s" % (disposition.encode(),
                                                      cd_p))
        h.append(b"Content-Transfer-Encoding: base64")
        return Leaf(h, self.b64(blob), blob, ctype,
                    disposition=disposition, filename=fname,
                    encoding="base64")

    def inline_image(self, cid):
        r = self.rng
        ctype, ext, magic = r.choice([ATTACH_KINDS[1], ATTACH_KINDS[2]])
        size = int(self.log_uniform(1 * KB, 6 * KB) if self.small else
                   self.log_uniform(3 * KB, 60 * KB))
        blob = magic + r.randbytes(size - len(magic))
        fname = f"image{r.randint(1, 999):03d}{ext}"
        h = [b"Content-Type: %s; name=\"%s\"" % (ctype.encode(),
                                                 fname.encode()),
             b"Content-Transfer-Encoding: base64",
             b"Content-ID: <%s>" % cid.encode()]
        disp = None
        if r.random() < 0.7:
            disp = "inline"
            h.append(b"Content-Disposition: inline; filename=\"%s\"" %
                     fname.encode())
        return Leaf(h, self.b64(blob), blob, ctype, disposition=disp,
                    filename=fname, encoding="base64")

    def log_uniform(self, lo, hi):
        return lo * (hi / lo) ** self.rng.random()

    # -- whole bodies per class

    def body_for(self, cls, sizes, depth=0):
        """The top entity's Content-* headers and body for a class."""
        r = self.rng
        if cls == "plain-ascii":
            return self.text_leaf("ascii")
        if cls == "plain-utf8":
            return self.text_leaf("utf8")
        if cls == "plain-qp-utf8":
            return self.text_leaf("qp-utf8")
        if cls == "plain-qp-latin1":
            return self.text_leaf("qp-latin1")
        if cls == "alternative":
            return self.alternative()
        if cls == "mixed":
            first = self.alternative() if r.random() < 0.5 else \
                self.text_leaf()
            atts = [self.attachment(s) for s in sizes]
            pre = b"This is a multi-part message in MIME format.\n" \
                if r.random() < 0.5 else b""
            return self.multi(b"mixed", [first] + atts, preamble=pre)
        if cls == "related":
            n = r.randint(1, 3)
            cids = [f"image{i:03d}.{hexid(r, 4)}@{hexid(r, 4)}"
                    for i in range(n)]
            text = self.paragraphs(self.text_lines())
            html = self.html_of(text).replace(
                "</body>", "".join(f"<img src=\"cid:{c}\">" for c in cids) +
                "</body>")
            hleaf = self.text_leaf("qp-utf8", html=True, text=html)
            if r.random() < 0.5:
                top = self.multi(b"alternative", [
                    self.text_leaf("qp-utf8", text=text), hleaf])
            else:
                top = hleaf
            imgs = [self.inline_image(c) for c in cids]
            return self.multi(b"related", [top] + imgs,
                              extra_params=b" type=\"text/html\";")
        if cls == "signed":
            body = self.text_leaf(r.choice(["qp-utf8", "ascii"]))
            sig = base64.b64encode(r.randbytes(r.choice([96, 119, 566])))
            sig = b"\n".join(sig[i:i + 64] for i in range(0, len(sig), 64))
            armor = (b"-----BEGIN PGP SIGNATURE-----\n\n" + sig + b"\n=" +
                     base64.b64encode(r.randbytes(3)) +
                     b"\n-----END PGP SIGNATURE-----\n")
            sname = r.choice(["signature.asc", "OpenPGP_signature.asc"])
            sleaf = Leaf([b"Content-Type: application/pgp-signature; "
                          b"name=\"%s\"" % sname.encode(),
                          b"Content-Description: OpenPGP digital signature",
                          b"Content-Disposition: attachment; filename=\"%s\""
                          % sname.encode()],
                         armor, armor, "application/pgp-signature",
                         disposition="attachment", filename=sname,
                         textual=True)
            return self.multi(b"signed", [body, sleaf], extra_params=(
                b" micalg=pgp-sha256;\n\tprotocol=\"application/"
                b"pgp-signature\";"))
        if cls == "forward":
            return self.forward(sizes, r.randint(1, 3))
        raise ValueError(cls)

    def forward(self, sizes, depth):
        """multipart/mixed [note, message/rfc822 [... depth levels]]; the
        innermost message carries the attachments."""
        r = self.rng
        if depth == 0:
            cls = "mixed" if sizes else r.choice(["alternative",
                                                  "plain-qp-utf8",
                                                  "plain-ascii"])
            return self.body_for(cls, sizes)
        note = self.text_leaf("ascii", nlines=r.randint(2, 8))
        inner_body = self.forward(sizes, depth - 1)
        # The nested message's envelope is not part of the truth the
        # diff test checks, but it must be realistic to parse.
        saved = self.tags
        self.tags = []
        frm, to, cc, subj, _ = self.envelope()
        self.tags = saved
        inner_hdrs = [frm, to] + ([cc] if cc else []) + [
            subj, b"Date: " + date_header(r),
            b"Message-ID: <%s@%s>" % (hexid(r, 10).encode(),
                                      r.choice(DOMAINS).encode()),
            b"MIME-Version: 1.0"] + inner_body.headers
        inner_body.headers = inner_hdrs
        h = [b"Content-Type: message/rfc822"]
        if r.random() < 0.5:
            h.append(b"Content-Disposition: inline")
        msg = Rfc822(h, inner_body)
        return self.multi(b"mixed", [note, msg])

    # -- malformed kinds

    def malformed(self, kind, sizes):
        r = self.rng
        self.tags.append("malformed-" + kind)
        if kind == "missing-close":
            e = self.body_for("mixed", sizes)
            if r.random() < 0.3 and isinstance(e.children[0], Multi):
                # An open child closed by its parent's delimiter.
                e.children[0].close = False
            else:
                e.close = False
            self.defects.append("no-end-boundary")
            return e
        if kind == "missing-blank":
            e = self.body_for("mixed", sizes)
            e.children[-1].no_blank = True
            return e
        if kind == "base64-junk":
            e = self.body_for("mixed", sizes)
            leaf = e.children[-1]
            lines = leaf.body.split(b"\n")
            for _ in range(r.randint(1, 6)):
                i = r.randrange(len(lines) - 1)
                j = r.randint(0, len(lines[i]))
                junk = bytes(r.choice(B64_JUNK)
                             for _ in range(r.randint(1, 3)))
                lines[i] = lines[i][:j] + junk + lines[i][j:]
            if r.random() < 0.3:
                lines.insert(r.randrange(1, len(lines)), b"****")
            leaf.body = b"\n".join(lines)
            self.defects.append("bad-base64")
            return e
        if kind == "base64-odd":
            e = self.body_for("mixed", sizes)
            leaf = e.children[-1]
            if r.random() < 0.5:
                # Padding stripped: the final group is 2 or 3 characters.
                n = r.randint(1, 2)
                leaf.decoded = leaf.decoded[:len(leaf.decoded) -
                                            (len(leaf.decoded) % 3) - 3 + n]
                leaf.body = base64.encodebytes(leaf.decoded).replace(
                    b"=", b"")
                self.tags.append("base64-unpadded")
            else:
                # Two separately encoded blobs glued together.
                extra = r.randbytes(r.randint(1, 500) * 3 + r.randint(1, 2))
                first = leaf.decoded
                if len(first) % 3 == 0:
                    first = first[:-1]
                leaf.decoded = first + extra
                leaf.body = base64.encodebytes(first) + \
                    base64.encodebytes(extra)
                self.tags.append("base64-concat")
            return e
        if kind == "raw-8bit":
            return self.body_for(r.choice(["plain-ascii", "mixed"]), sizes)
        if kind == "boundary-prefix":
            return self.boundary_prefix(sizes)
        if kind == "qp-odd":
            text = self.paragraphs(self.text_lines(), LATIN1_WORDS, 0.2)
            data = text.encode("utf-8")
            body, decoded = self.qp(data, trailing_ws=True,
                                    odd=r.random() < 0.6)
            h = [b"Content-Type: text/plain; charset=utf-8",
                 b"Content-Transfer-Encoding: quoted-printable"]
            leaf = Leaf(h, body, decoded, "text/plain", charset="utf-8",
                        encoding="quoted-printable", textual=True)
            if r.random() < 0.5:
                return leaf
            return self.multi(b"mixed", [leaf] + [self.attachment(s)
                                                  for s in sizes])
        if kind == "encoded-word-odd":
            return self.body_for("alternative", sizes)
        if kind == "header-case":
            return self.header_case(sizes)
        raise ValueError(kind)

    def boundary_prefix(self, sizes):
        r = self.rng
        e = self.body_for("mixed", sizes)
        b = e.boundary
        self.tags.append("boundary-prefix")
        # Lines that start like the outer delimiter but are longer: text.
        text = self.paragraphs(r.randint(4, 12)).split("\n")
        for s in (b"X", b"-part2", b"--more", b"_"):
            text.insert(r.randrange(len(text)), (b"--" + b + s).decode())
        data = "\n".join(text).encode()
        leaf = Leaf([b"Content-Type: text/plain; charset=us-ascii"], data,
                    data, "text/plain", charset="us-ascii",
                    encoding="7bit", textual=True)
        # An inner multipart whose boundary extends the outer one.
        inner = self.alternative()
        inner.boundary = b + b"_alt"
        inner.headers = [b"Content-Type: multipart/alternative; "
                         b"boundary=\"%s\"" % inner.boundary]
        e.children = [inner, leaf] + e.children[1:]
        if r.random() < 0.5:
            e.pad = r.choice([b" ", b"\t", b"  "])
            self.tags.append("padded-delimiter")
        return e

    def header_case(self, sizes):
        """Valid but unusual spellings of MIME headers."""
        r = self.rng
        e = self.body_for("mixed", sizes)
        self.tags.append("header-case")
        if re.fullmatch(rb"[0-9a-f]+", e.boundary):
            # A token may go unquoted, and a comment may follow it.
            e.headers = [b"content-type: MULTIPART/Mixed; BOUNDARY=%s"
                         b" (a comment)" % e.boundary]
        else:
            e.headers = [b"CONTENT-TYPE: Multipart/MIXED;\n boundary="
                         b"\"%s\"" % e.boundary]
        # A part with no header lines at all: text/plain by default
        # (RFC 2045 5.2), no charset stated.
        data = self.paragraphs(r.randint(1, 4)).encode()
        bare = Leaf([], data, data, "text/plain", textual=True)
        e.children.insert(1, bare)
        for c in e.children[2:]:
            c.headers = [h.replace(b"Content-Transfer-Encoding: base64",
                                   b"Content-Transfer-Encoding:  BASE64 ")
                         .replace(b"Content-Disposition: attachment",
                                  b"Content-Disposition: Attachment")
                         for h in c.headers]
        return e


# ------------------------------------------------------------------ corpus

def plan(seed, i):
    """Class, subclass, attachment count and size draws of message i."""
    r = Random(f"{seed}/plan/{i}")
    cls = r.choices([c for c, _ in CLASSES], [w for _, w in CLASSES])[0]
    sub = r.choice(MALFORMED) if cls == "malformed" else None
    n = 0
    if cls == "mixed":
        n = r.choices([1, 2, 3], [50, 30, 20])[0]
    elif cls == "forward":
        n = r.choice([0, 0, 1, 2])
    elif cls == "malformed" and sub not in ("raw-8bit", "qp-odd",
                                            "encoded-word-odd"):
        n = r.choice([1, 1, 2])
    elif sub in ("raw-8bit", "qp-odd"):
        n = r.choice([0, 1])
    us = [r.random() for _ in range(n)]
    crlf = r.random() < 0.3
    return {"class": cls, "sub": sub, "us": us, "crlf": crlf}


def attachment_sizes(plans, lo, hi, target, fixed_skew):
    """Pick the skew p of lo*(hi/lo)**(u**p) so that the estimated corpus
    size meets target bytes (bisection; clamped when out of reach)."""
    overhead = 6 * KB   # headers, text parts and images per message

    def total(p):
        s = 0.0
        for pl in plans:
            s += overhead + sum(lo * (hi / lo) ** (u ** p)
                                for u in pl["us"]) * (4 / 3) * (77 / 76)
        return s

    if fixed_skew is not None:
        p = fixed_skew
    else:
        a, b = 0.05, 50.0
        for _ in range(60):
            m = math.sqrt(a * b)
            if total(m) > target:
                a = m
            else:
                b = m
        p = math.sqrt(a * b)
    return [[int(lo * (hi / lo) ** (u ** p)) for u in pl["us"]]
            for pl in plans]


def build(seed, i, pl, sizes, small):
    r = Random(f"{seed}/body/{i}")
    b = Builder(r, small)
    cls, sub = pl["class"], pl["sub"]
    if cls == "malformed":
        body = b.malformed(sub, sizes)
    else:
        body = b.body_for(cls, sizes)
    frm, to, cc, subj, truth = b.envelope()
    if sub == "raw-8bit":
        # Latin-1 bytes where only ASCII (or UTF-8) may be.
        t = r.choice(PREFIXES) + " ".join(r.choice(LATIN1_WORDS)
                                          for _ in range(r.randint(2, 5)))
        subj = b"Subject: " + t.encode("latin-1")
        name = r.choice(["Jürgen Müller", "François Lefèvre", "José Núñez"])
        addr = f"sender@{r.choice(DOMAINS)}"
        frm = b"From: \"%s\" <%s>" % (name.encode("latin-1"), addr.encode())
        truth["subject"] = t
        truth["from"] = [{"name": name, "address": addr}]
        b.defects.append("header-8bit")
    elif sub == "encoded-word-odd":
        k = r.randrange(3)
        if k == 0:
            t = r.choice(CHARSET_TEXT["utf-8"][:7])
            words = ew_split_bytes(t, r.choice("BQ"), r)
            b.tags.append("ew-split-char")
        elif k == 1:
            t = r.choice(GBK_ONLY_TEXT)
            words = ew_words(t, "gb2312", r.choice("BQ"), codec="gbk")
            b.tags.append("gb2312-as-gbk")
        else:
            t = r.choice(CP1252_TEXT)
            words = ew_words(t, "iso-8859-1", r.choice("BQ"),
                             codec="cp1252")
            b.tags.append("latin1-as-cp1252")
        subj = fold(b"Subject", " ".join(words).encode())
        truth["subject"] = t
    body.headers = b.top_headers(frm, to, cc, subj) + body.headers
    out = []
    render(body, out)
    data = b"".join(out)
    nl = b"\n"
    if pl["crlf"]:
        data = data.replace(b"\n", b"\r\n")
        nl = b"\r\n"
    found = []
    leaves(body, None, found)
    parts = []
    for path, leaf in found:
        dec = leaf.decoded
        if leaf.textual and nl != b"\n":
            dec = dec.replace(b"\n", nl)
        parts.append({
            "path": path, "type": leaf.ctype, "charset": leaf.charset,
            "disposition": leaf.disposition, "filename": leaf.filename,
            "encoding": leaf.encoding, "size": len(dec),
            "sha256": hashlib.sha256(dec).hexdigest()})
    tags = list(dict.fromkeys(b.tags + (["crlf"] if pl["crlf"] else [])))
    truth.update({"class": cls if sub is None else "malformed-" + sub,
                  "tags": tags, "defects": b.defects, "parts": parts})
    return data, truth


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--size-mb", type=float)
    ap.add_argument("--max-attachment-kb", type=int)
    ap.add_argument("--small", action="store_true",
                    help="small messages only (attachments 2-10 KB)")
    ap.add_argument("outdir")
    a = ap.parse_args()

    lo, hi = 20 * KB, 2 * MB
    skew = None
    if a.small:
        lo, hi, skew = 2 * KB, 10 * KB, 1.0
    elif a.max_attachment_kb is not None:
        hi = max(a.max_attachment_kb * KB, 1 * KB)
        lo = min(lo, hi // 4)
        if a.size_mb is None:
            skew = 1.0
    target = (a.size_mb if a.size_mb is not None else 0.2 * a.count) * MB
    plans = [plan(a.seed, i) for i in range(a.count)]
    sizes = attachment_sizes(plans, lo, hi, target, skew)

    os.makedirs(a.outdir, exist_ok=True)
    total = 0
    small = []
    with open(os.path.join(a.outdir, "manifest.jsonl"), "w",
              encoding="utf-8") as mf:
        for i, pl in enumerate(plans):
            data, truth = build(a.seed, i, pl, sizes[i], a.small)
            name = f"msg-{i:05d}.eml"
            with open(os.path.join(a.outdir, name), "wb") as f:
                f.write(data)
            total += len(data)
            if len(data) < SMALL_LIMIT:
                small.append(name)
            mf.write(json.dumps({"file": name, "bytes": len(data), **truth},
                                ensure_ascii=False, sort_keys=True) + "\n")
    with open(os.path.join(a.outdir, "small.txt"), "w") as f:
        f.write("".join(n + "\n" for n in small))
    print(f"gen-corpus: {a.count} messages, {total / MB:.1f} MB, "
          f"{len(small)} under {SMALL_LIMIT // KB} KB in {a.outdir}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
