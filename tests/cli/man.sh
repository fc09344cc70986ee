#!/bin/sh
# SPDX-License-Identifier: ISC
# The man pages in contrib/: mailsift(1), mailsift.conf(5) and
# mailsift-rules(5) lint clean with `mandoc -Tlint` and `groff -ww -z`;
# every option of the configuration parser (the CFG_* tables of
# daemon/conf/conf.c, read now) has an entry in mailsift.conf(5), and
# every command of daemon/main.c's table one in mailsift(1).  Each check
# is first shown to fail on a broken copy.  One line per check, then
# "man: N passed, N failed".
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0
W=$(mktemp -d /tmp/msx-man.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP
: >"$W/out"

ok() {	# DESCRIPTION CONDITION...
	desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$W/out" | head -20
		fail=$((fail + 1))
	fi
}

PAGES="mailsift.1 mailsift.conf.5 mailsift-rules.5"
CONF_C=$top/daemon/conf/conf.c
MAIN_C=$top/daemon/main.c

# The option and section names of the parser's tables: CFG_STR("name", ...
conf_options() {	# CONF_C
	grep -o 'CFG_[A-Z_]*("[^"]*"' "$1" | sed 's/^[^"]*"//; s/"$//' |
	    sort -u
}

# The commands of main.c's table: { "name", cmd_...
commands() {	# MAIN_C
	grep -o '{ "[^"]*", *cmd_' "$1" | sed 's/^{ "//; s/".*//' | sort -u
}

# Into $W/out, the NAMES that have no ".It MACRO NAME" entry in PAGE.
missing() {	# PAGE MACRO NAMES...
	page=$1
	macro=$2
	shift 2
	: >"$W/out"
	for n in "$@"; do
		grep -Fqx -e ".It $macro $n" "$page" ||
		    grep -Fq -e ".It $macro $n " "$page" || echo "$n" >>"$W/out"
	done
	[ -s "$W/out" ] && sed -i 's/^/missing: /' "$W/out"
	[ ! -s "$W/out" ]
}

# mandoc's complaints at every level, style included, but for cross
# references to pages this system's manual index (mandoc.db) lacks: that
# says nothing about the page, and mandoc has no option for another
# index.
mandoc_lint() {	# PAGE
	mandoc -Tlint "$1" 2>&1 |
	    grep -v -e 'STYLE: referenced manual not found' \
	    -e 'outdated mandoc.db lacks' >"$W/out"
	[ ! -s "$W/out" ]
}

groff_lint() {	# PAGE
	groff -mdoc -Tutf8 -ww -z "$1" >"$W/out" 2>&1 && [ ! -s "$W/out" ]
}

have() { command -v "$1" >/dev/null 2>&1; }

# --- the checks, shown to fail ----------------------------------------

conf_options "$CONF_C" >"$W/opts"
commands "$MAIN_C" >"$W/cmds"
ok "the option tables of conf.c are read" [ "$(wc -l <"$W/opts")" -ge 25 ]
for o in state tls-fingerprint from account smtp; do
	ok "... and hold '$o'" grep -qx -e "$o" "$W/opts"
done
ok "the command table of main.c is read" \
    [ "$(wc -l <"$W/cmds")" -ge 7 ]

first=$(grep -vx -e account -e smtp "$W/opts" | head -n 1)
sed "/^\.It Ic $first\( \|\$\)/d" "$top/contrib/mailsift.conf.5" \
    >"$W/conf.5"
# shellcheck disable=SC2046  # one name per word
missing "$W/conf.5" Ic $(cat "$W/opts")
ok "a copy of mailsift.conf(5) without '$first' fails" \
    grep -qx "missing: $first" "$W/out"

sed 's/CFG_STR("log-level",/CFG_STR("no-such-option", NULL, CFGF_NONE),\n&/' \
    "$CONF_C" >"$W/conf.c"
# shellcheck disable=SC2046
missing "$top/contrib/mailsift.conf.5" Ic $(conf_options "$W/conf.c")
ok "an option added to a copy of conf.c is missed in the page" \
    grep -qx "missing: no-such-option" "$W/out"

sed 's/{ "parse", cmd_parse,/{ "frobnicate", cmd_parse },\n&/' "$MAIN_C" \
    >"$W/main.c"
# shellcheck disable=SC2046
missing "$top/contrib/mailsift.1" Cm $(commands "$W/main.c")
ok "a command added to a copy of main.c is missed in mailsift(1)" \
    grep -qx "missing: frobnicate" "$W/out"

printf '.Dd December 4, 2026\n.Dt X 1\n.Os\n.Sh NAME\n.Nm x\n.Nd x\n' \
    >"$W/bad.1"
printf '.Sh DESCRIPTION\nOne.  Two.\n.Xyz nothing\n.Bl -tag\n' >>"$W/bad.1"
if have mandoc; then
	mandoc_lint "$W/bad.1"
	ok "mandoc -Tlint fails on a broken page" grep -q 'Xyz' "$W/out"
fi
if have groff; then
	groff_lint "$W/bad.1"
	ok "groff -ww -z fails on a broken page" grep -q 'Xyz' "$W/out"
fi

# --- the pages --------------------------------------------------------

ok "mandoc is installed (make deps)" have mandoc
ok "groff is installed (make deps)" have groff
for p in $PAGES; do
	have mandoc && ok "mandoc -Tlint: $p" mandoc_lint "$top/contrib/$p"
	have groff && ok "groff -ww -z: $p" groff_lint "$top/contrib/$p"
done

# shellcheck disable=SC2046
ok "every option of conf.c is in mailsift.conf(5)" \
    missing "$top/contrib/mailsift.conf.5" Ic $(cat "$W/opts")
# shellcheck disable=SC2046
ok "every command of main.c is in mailsift(1)" \
    missing "$top/contrib/mailsift.1" Cm $(cat "$W/cmds")
for f in version help; do
	ok "mailsift(1) documents --$f" \
	    grep -q "^\\.Fl -$f\$" "$top/contrib/mailsift.1"
done

echo "man: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
