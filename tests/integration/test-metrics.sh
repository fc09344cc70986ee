#!/bin/sh
# SPDX-License-Identifier: ISC
# The metrics listener as an operator uses it, with a local Maildir
# account (no mail server needed): the daemon polls forever with
# metrics-listen on a free loopback port; messages dropped into the
# source are delivered; a scrape passes `promtool check metrics`; a
# Prometheus server (Debian's, our throwaway config, loopback) scrapes
# the daemon and answers mailsift_messages_delivered_total through its
# HTTP API; headless Chromium opens the status page and its table has
# one row per account, hostile names shown as text; the Grafana
# dashboard is valid JSON whose queries use only names the daemon
# exports.  Needs contrib/install-deps-metrics.sh.
# Ends with "test-metrics: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
W=$(mktemp -d /tmp/msm.XXXXXX)
chmod 755 "$W"
dpid=
ppid_=
passed=0
failed=0
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	[ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null &&
	    wait "$ppid_" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

check() {
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"
		passed=$((passed + 1))
	else
		echo "not ok - $2"
		failed=$((failed + 1))
	fi
}

finish() {
	echo "test-metrics: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

for tool in prometheus promtool chromium curl python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "test-metrics: $tool is missing: run make deps" \
		    "(contrib/install-deps-metrics.sh)" >&2
		check 1 "$tool is installed"
		finish
	fi
done

# A free loopback port: the kernel's pick, released.
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# until SECONDS COMMAND...: run COMMAND every 0.2 s until it succeeds.
until_ok() {
	n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
has_count() { [ "$(count "$1")" -eq "$2" ]; }

MPORT=$(free_port)
PPORT=$(free_port)
[ "$MPORT" = "$PPORT" ] && PPORT=$(free_port)
M="http://127.0.0.1:$MPORT"
mkdir -p "$W/src/new" "$W/src/cur" "$W/src/tmp" \
    "$W/src2/new" "$W/src2/cur" "$W/src2/tmp"
cat >"$W/m.conf" <<CONF
state = "$W/state.db"
poll = 1
metrics-listen = "127.0.0.1:$MPORT"
account "inbox" {
	type = maildir
	keep = false
	path = "$W/src"
	deliver = "maildir:$W/out"
}
account "<b>x</b> & \\"y\\"" {
	type = maildir
	keep = false
	path = "$W/src2"
	deliver = "maildir:$W/out2"
}
CONF

"$MAILSIFT" run -c "$W/m.conf" >"$W/daemon.log" 2>&1 &
dpid=$!
until_ok 30 curl -sf "$M/metrics"
check $? "the daemon serves /metrics on $MPORT"

for i in 1 2 3; do
	printf 'From: a@example.test\nSubject: m%s\nMessage-ID: <m%s@t>\n\nbody %s\n' \
	    $i $i $i >"$W/src/tmp/$i"
	mv "$W/src/tmp/$i" "$W/src/new/17000000$i.M${i}P1.host"
done
until_ok 60 has_count "$W/out" 3
check $? "three messages dropped into the source are delivered"

# the round that delivered them is counted once it ended
delivered3() {
	curl -sf "$M/metrics" >"$W/scrape" &&
	    grep -qx 'mailsift_messages_delivered_total{account="inbox"} 3' \
	    "$W/scrape"
}
until_ok 30 delivered3
check $? "/metrics: mailsift_messages_delivered_total{account=\"inbox\"} 3"
promtool check metrics <"$W/scrape" >"$W/promtool.out" 2>&1
check $? "promtool check metrics: clean ($(wc -l <"$W/promtool.out") lines of complaint)"
[ -s "$W/promtool.out" ] && sed 's/^/# promtool: /' "$W/promtool.out"
grep -q '^mailsift_round_duration_seconds_count{account="inbox"} [1-9]' \
    "$W/scrape"
check $? "/metrics: rounds are in the duration histogram"
grep -q '^mailsift_last_success_timestamp_seconds{account="inbox"} [1-9]' \
    "$W/scrape"
check $? "/metrics: the last success has a timestamp"
grep -q '^mailsift_messages_delivered_total{account="<b>x</b> & \\"y\\""} 0$' \
    "$W/scrape"
check $? "/metrics: a hostile account name is an escaped label value"

# what the listener refuses
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code -X POST "$M/metrics")" = 405 ]
check $? "POST /metrics: 405"
[ "$(code "$M/nope")" = 404 ]
check $? "GET /nope: 404"
[ "$(code --http1.0 "$M/metrics")" = 200 ]
check $? "HTTP/1.0 GET /metrics: 200"
curl -sfI -X GET "$M/" | grep -qi '^connection: close'
check $? "every answer closes the connection"

# Prometheus scrapes the daemon; its HTTP API answers the query
cat >"$W/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mailsift
    static_configs:
      - targets: ["127.0.0.1:$MPORT"]
YML
prometheus --config.file="$W/prometheus.yml" \
    --storage.tsdb.path="$W/tsdb" \
    --web.listen-address="127.0.0.1:$PPORT" >"$W/prometheus.log" 2>&1 &
ppid_=$!
query() {	# QUERY JSON-CHECK (python on r, the result list)
	curl -sfG "http://127.0.0.1:$PPORT/api/v1/query" \
	    --data-urlencode "query=$1" >"$W/q.json" &&
	    python3 -c "import json, sys
d = json.load(open('$W/q.json'))
r = d['data']['result']
sys.exit(0 if d['status'] == 'success' and ($2) else 1)"
}
until_ok 90 query 'mailsift_messages_delivered_total{account="inbox"}' \
    "len(r) == 1 and r[0]['value'][1] == '3'"
check $? "Prometheus answers mailsift_messages_delivered_total{account=\"inbox\"} = 3"
query 'up{job="mailsift"}' "len(r) == 1 and r[0]['value'][1] == '1'"
check $? "Prometheus sees the target up"
query 'sum(mailsift_rounds_total{result="ok"})' \
    "len(r) == 1 and float(r[0]['value'][1]) >= 2"
check $? "Prometheus counts the rounds"

# the status page in a real browser
chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$W/chromium" --dump-dom "$M/" >"$W/dom.html" \
    2>"$W/chromium.log"
check $? "headless Chromium loads the status page"
python3 - "$W/dom.html" <<'PY' >"$W/rows.txt"
import sys
from html.parser import HTMLParser

class Rows(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.cell, self.tags = [], None, []
    def handle_starttag(self, tag, attrs):
        if self.cell is not None:
            self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = ""
    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell)
            self.cell = None
    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

p = Rows()
p.feed(open(sys.argv[1]).read())
for r in p.rows:
    print("\t".join(r))
print("TAGS-IN-CELLS\t" + ",".join(p.tags))
PY
head -n 1 "$W/rows.txt" | grep -q '^Account	State	'
check $? "the page's table has its header row"
[ "$(grep -c -v -e '^Account	' -e '^TAGS-IN-CELLS' "$W/rows.txt")" -eq 2 ]
check $? "the table has one row per account (2)"
grep -q '^inbox	idle-waiting	\|^inbox	ok	' "$W/rows.txt"
check $? "the inbox row: ok or idle-waiting"
awk -F '\t' '$1 == "inbox" { exit !($10 == 3) }' "$W/rows.txt"
check $? "the inbox row: 3 delivered in all"
grep -q '^<b>x</b> & "y"	' "$W/rows.txt"
check $? "a hostile account name is shown as text"
grep -qx 'TAGS-IN-CELLS	' "$W/rows.txt"
check $? "no element came from a name or a message"

# the Grafana dashboard: JSON, and every metric it asks for exists
python3 - contrib/grafana/mailsift.json "$W/scrape" <<'PY'
import json, re, sys
dash = json.load(open(sys.argv[1]))
exported = set()
for line in open(sys.argv[2]):
    if line.startswith("# TYPE "):
        name, kind = line.split()[2:4]
        exported.add(name)
        if kind == "histogram":
            exported |= {name + s for s in ("_bucket", "_sum", "_count")}
exprs = []
def walk(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if k in ("expr", "query") and isinstance(v, str):
                exprs.append(v)
            else:
                walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(dash)
titles = {p.get("title", "") for p in dash["panels"]}
used = {m for e in exprs for m in re.findall(r"\bmailsift_[a-z_]+", e)}
missing = used - exported
print("dashboard: %d queries, %d metrics, missing: %s" %
      (len(exprs), len(used), sorted(missing) or "none"))
sys.exit(1 if missing or len(exprs) < 4 or not used or
         not {"Delivered per account", "Errors", "Outbox age",
              "Round time"} <= titles else 0)
PY
check $? "contrib/grafana/mailsift.json: valid, its queries use exported names"

kill "$dpid"
wait "$dpid"
check $? "SIGTERM: the daemon stops with 0 and closes its listener"
dpid=
curl -s "$M/metrics" >/dev/null 2>&1
[ $? -ne 0 ]
check $? "nothing listens after it stopped"
finish
