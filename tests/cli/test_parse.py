# SPDX-License-Identifier: ISC
"""`mailsift parse` as a user runs it: JSON shape, decoding, errors,
extraction under safe names.  Prints "ok"/"not ok" lines and ends with
"parse-cli: N passed, N failed"."""
import base64
import email
import email.policy
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAILSIFT = os.path.join(ROOT, "mailsift")
SAMPLES = os.path.join(ROOT, "etc", "samples")
results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("ok - " if cond else "not ok - ") + name +
          ("" if cond else "  (" + str(detail) + ")"))


def run(*args):
    p = subprocess.run([MAILSIFT, *args], capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def sample(name):
    return os.path.join(SAMPLES, name)


def test_json_all_samples():
    files = sorted(os.path.join(SAMPLES, f) for f in os.listdir(SAMPLES))
    rc, out, err = run("parse", "--json", "--hash", *files)
    lines = out.splitlines()
    check("one JSON line per file", rc == 0 and len(lines) == len(files),
          (rc, len(lines), err))
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError as e:
            check("valid JSON", False, e)
            continue
        keys = {"file", "subject", "from", "to", "cc", "date", "message_id",
                "parts", "defects"}
        check("keys of " + os.path.basename(obj["file"]),
              keys <= set(obj), set(obj))


def by_file(out):
    return {json.loads(l)["file"]: json.loads(l) for l in out.splitlines()}


def test_invoice():
    path = sample("invoice.eml")
    rc, out, _ = run("parse", "--json", "--hash", path)
    obj = json.loads(out)
    raw = open(path, "rb").read()
    py = email.message_from_bytes(raw, policy=email.policy.default)
    pdf = [p for p in py.walk() if p.get_content_type() == "application/pdf"]
    want = hashlib.sha256(pdf[0].get_payload(decode=True)).hexdigest()
    parts = obj["parts"]
    check("invoice has 3 leaves", len(parts) == 3, parts)
    check("invoice leaf paths", [p["path"] for p in parts] ==
          ["1.1", "1.2", "2"], parts)
    att = parts[-1]
    check("RFC 2231 filename decoded", att["filename"] ==
          "Rechnung über 120€.pdf", att["filename"])
    check("attachment sha256 matches", att["sha256"] == want, att)
    check("attachment size", att["size"] == len(pdf[0].get_payload(
        decode=True)), att["size"])
    check("subject RFC 2047 decoded", obj["subject"] ==
          "Invoice n° 2026-0042", obj["subject"])
    check("from name and address", obj["from"] == [
        {"name": "Example Billing",
         "address": "billing@billing.example.com"}], obj["from"])
    qp = parts[0]
    check("qp text decoded size", qp["size"] == len(
        "Dear Jane,\r\n\r\nplease find attached invoice n° 2026-0042 "
        "(total 120,00 €).".encode()), qp)


def test_plain_and_forward():
    rc, out, _ = run("parse", "--json", sample("plain.eml"),
                     sample("forward.eml"))
    objs = by_file(out)
    plain = objs[sample("plain.eml")]
    check("adjacent encoded words joined", plain["subject"] ==
          "München meeting", plain["subject"])
    check("latin-1 display name", plain["from"][0]["name"] == "André Martin",
          plain["from"])
    check("quoted display name with comma", {"name": "Doe, John",
          "address": "john@example.org"} in plain["to"], plain["to"])
    check("empty group yields no cc", plain["cc"] == [], plain["cc"])
    fwd = objs[sample("forward.eml")]
    check("nested leaves", [p["path"] for p in fwd["parts"]] ==
          ["1", "2.1", "2.2"], fwd["parts"])
    check("nested message envelope", fwd.get("messages", [{}])[0].get(
        "subject") == "Original report", fwd.get("messages"))


def test_malformed():
    rc, out, _ = run("parse", "--json", "--hash", sample("malformed.eml"))
    obj = json.loads(out)
    codes = {d["code"] for d in obj["defects"]}
    check("malformed exits 0", rc == 0, rc)
    for c in ("no-header-end", "bad-base64", "header-8bit",
              "no-end-boundary"):
        check("defect " + c, c in codes, codes)
    check("raw latin-1 subject converted", obj["subject"] ==
          "été (raw latin-1 in a header)", obj["subject"])
    leaf = obj["parts"][0]
    check("body kept without separator line", leaf["size"] == len(
        b"this part has no blank line after its headers\n--bogus"), leaf)
    b64 = obj["parts"][1]
    check("junk skipped in base64", b64["sha256"] == hashlib.sha256(
        base64.b64decode("aGVsbG8gd29ybGQ=")).hexdigest(), b64)


def test_unreadable():
    rc, out, err = run("parse", "--json", "/nonexistent/x.eml",
                       sample("plain.eml"), SAMPLES)
    check("unreadable file: non-zero exit", rc == 1, rc)
    check("error names the file", "/nonexistent/x.eml" in err and
          "No such file" in err, err)
    check("directory refused", SAMPLES in err, err)
    check("other files still processed", len(out.splitlines()) == 1, out)


def test_extract():
    with tempfile.TemporaryDirectory() as d:
        outside = os.path.join(os.path.dirname(d), "passwd")
        for _ in range(2):
            rc, _, err = run("parse", "--json", "--extract", d,
                             sample("malformed.eml"), sample("invoice.eml"))
            check("extract exits 0", rc == 0, err)
        names = sorted(os.listdir(d))
        # a taken name gets "-" and 12 random hex digits before the
        # extension
        suffixed = [re.sub(r"-[0-9a-f]{12}(\.pdf)?$", r"-N\1", n)
                    for n in names]
        check("hostile name defused, no overwrite", sorted(suffixed) ==
              sorted(["passwd", "passwd-N", "Rechnung über 120€.pdf",
                      "Rechnung über 120€-N.pdf"]), names)
        check("nothing written outside", not os.path.exists(outside))
        pdf = open(os.path.join(d, "Rechnung über 120€.pdf"), "rb").read()
        check("extracted bytes", pdf.startswith(b"%PDF-1.4") and
              pdf.endswith(b"%%EOF\n"), pdf[:20])
        os.symlink("/tmp/should-not-exist", os.path.join(d, "report.csv"))
        rc, _, err = run("parse", "--json", "--extract", d,
                         sample("forward.eml"))
        check("symlink not followed", not os.path.exists(
            "/tmp/should-not-exist") and any(
                re.fullmatch(r"report-[0-9a-f]{12}\.csv", n)
                for n in os.listdir(d)),
            os.listdir(d))


def test_text_tree():
    rc, out, _ = run("parse", sample("forward.eml"))
    check("text tree shows nesting", rc == 0 and "2.2 text/csv" in out and
          "report.csv" in out, out)


for t in (test_json_all_samples, test_invoice, test_plain_and_forward,
          test_malformed, test_unreadable, test_extract, test_text_tree):
    try:
        t()
    except Exception as e:  # a crash in a test is a failure, not an abort
        check(t.__name__, False, repr(e))
p = sum(results)
print("parse-cli: %d passed, %d failed" % (p, len(results) - p))
sys.exit(0 if p == len(results) else 1)
