#!/bin/sh
# SPDX-License-Identifier: ISC
# log-format = json as a log shipper reads it: a local Maildir account
# round (and a dry run, which logs a line per message) writes one JSON
# object per line on stderr; python3's json parses every line; each has
# time (RFC 3339, UTC, milliseconds), level and message, the round's
# summary has the account and event "round", a message's line its uid,
# and a hostile file name stays inside its string.  The default stays
# text.  One line per check, then "log-json: N passed, N failed".
# MAILSIFT=path tests another binary.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
pass=0
fail=0
W=$(mktemp -d /tmp/msx-logjson.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP

ok() {	# DESCRIPTION CONDITION...
	desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$W/err" | head -5
		fail=$((fail + 1))
	fi
}

# conf FORMAT: a Maildir account "md" reading $W/src
conf() {
	{
		echo "state = \"$W/state.db\""
		[ -n "$1" ] && echo "log-format = $1"
		echo "account \"md\" {"
		echo "	type = maildir"
		echo "	path = \"$W/src\""
		echo "	deliver = \"maildir:$W/out\""
		echo "}"
	} >"$W/m.conf"
	chmod 600 "$W/m.conf"
}

# lines_check WANT...: every line of $W/err is a JSON object as above;
# WANT: "round" (a summary line for md), "uid" (a per-message line),
# "hostile" (the odd file name came through whole, as a uid).
lines_check() {
	python3 - "$W/err" "$@" <<-'EOF'
	import json, re, sys
	path, want = sys.argv[1], set(sys.argv[2:])
	raw = open(path, "rb").read()
	assert raw.endswith(b"\n"), "no final line end"
	lines = raw.decode("utf-8").split("\n")[:-1]
	assert lines, "no line at all"
	keys = ["time", "level", "account", "folder", "uid", "event", "message"]
	stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")
	seen = set()
	for n, line in enumerate(lines, 1):
	    obj = json.loads(line)
	    assert isinstance(obj, dict), "line %d: not an object" % n
	    got = list(obj)
	    assert got == [k for k in keys if k in obj], \
	        "line %d: fields %r" % (n, got)
	    for k in ("time", "level", "message"):
	        assert k in obj, "line %d: no %s" % (n, k)
	    assert all(isinstance(v, str) for v in obj.values()), line
	    assert stamp.match(obj["time"]), "line %d: time %r" % (n, obj["time"])
	    assert obj["level"] in ("error", "warn", "info", "debug", "trace")
	    assert not any(ord(c) < 0x20 for v in obj.values() for c in v), \
	        "line %d: a control character" % n
	    if obj.get("event") == "round" and obj.get("account") == "md":
	        assert "fetched" in obj["message"], obj
	        seen.add("round")
	    if "uid" in obj:
	        assert obj.get("account") == "md", obj
	        seen.add("uid")
	        if obj["uid"].startswith('1700000003.M3P1.odd"name\\?[31m'):
	            seen.add("hostile")
	missing = want - seen
	assert not missing, "no line for %r" % sorted(missing)
	EOF
}

mkdir -p "$W/src/new" "$W/src/cur" "$W/src/tmp"
printf 'Subject: m1\n\nfirst\n' >"$W/src/new/1700000001.M1P1.host"
printf 'Subject: m2\n\nsecond\n' >"$W/src/cur/1700000002.M2P1.host:2,S"
# quotes, a backslash and an escape sequence in what becomes the uid
printf 'Subject: m3\n\nthird\n' \
    >"$W/src/new/$(printf '1700000003.M3P1.odd"name\\\033[31m')"

conf json
"$MAILSIFT" run -c "$W/m.conf" --once -n 2>"$W/err" >/dev/null
ok "a dry run with log-format = json succeeds" [ $? -eq 0 ]
ok "... every line is a JSON object with the fields in order" \
    lines_check round uid hostile

"$MAILSIFT" run -c "$W/m.conf" --once 2>"$W/err" >/dev/null
ok "a round with log-format = json succeeds" [ $? -eq 0 ]
ok "... every line parses, the summary has account and event" \
    lines_check round
ok "... and the messages were delivered" \
    [ "$(find "$W/out/new" "$W/out/cur" -type f | wc -l)" -eq 3 ]

conf ""
"$MAILSIFT" run -c "$W/m.conf" --once 2>"$W/err" >/dev/null
ok "the default format stays text" grep -q ' mailsift\[info\]: md: fetched' \
    "$W/err"
ok "... with no JSON in it" sh -c "! grep -q '^{' '$W/err'"

conf yaml
"$MAILSIFT" check -c "$W/m.conf" >"$W/err" 2>&1
ok "an unknown log-format is refused, naming the choices" \
    grep -q "log-format: 'yaml' is not valid; use text or json" "$W/err"

echo "log-json: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
