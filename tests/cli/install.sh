#!/bin/sh
# SPDX-License-Identifier: ISC
# make install and make uninstall into a temporary DESTDIR: the exact
# list of files with their modes under the default PREFIX, and under
# other directory names; systemd units from a unit folder (system/,
# user/, or beside them by name) with their paths made the installed
# ones; the installed binary runs and says the Makefile's VERSION; the
# pages are the sources; uninstall with the same variables leaves no
# file.  Nothing is written outside DESTDIR: a PREFIX that does not
# exist stays so, and the source tree is left as it was.  One line per
# check, then "install: N passed, N failed".
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAKE=${MAKE:-make}
pass=0
fail=0
W=$(mktemp -d /tmp/msx-install.XXXXXX)
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

mk() {	# ARGS...: make in the top directory, its output in $W/out
	(cd "$top" && $MAKE -s --no-print-directory "$@") >"$W/out" 2>&1
}

# "MODE /path" for every file or link under ROOT, sorted by path.
files() {	# ROOT
	(cd "$1" && find . \( -type f -o -type l \) -printf '%m %p\n') |
	    sed 's| \./| /|' | LC_ALL=C sort -k 2
}

same() {	# EXPECTED ACTUAL: equal, else the difference in $W/out
	LC_ALL=C sort -k 2 "$1" | diff -u - "$2" >"$W/out"
}

V=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$top/Makefile")
tree_state() { git -C "$top" status --porcelain 2>/dev/null; }
before=$(tree_state)

# Units of every kind the install rule knows.
U=$W/units
mkdir -p "$U/system" "$U/user"
unit='[Service]\nExecStart=/usr/bin/mailsift run -c /etc/mailsift/mailsift.conf\n'
# shellcheck disable=SC2059  # the format is ours
printf "$unit" >"$U/system/mailsift.service"
# shellcheck disable=SC2059
printf "$unit" >"$U/user/mailsift.service"
# shellcheck disable=SC2059
printf "$unit" >"$U/flat.service"
# shellcheck disable=SC2059
printf "$unit" >"$U/flat-user.service"
chmod 600 "$U/flat.service"

# --- the default PREFIX ------------------------------------------------

D=$W/dest
mk install DESTDIR="$D" UNITSRC="$U"
ok "make install DESTDIR=... succeeds" [ $? -eq 0 ]
cat >"$W/expected" <<-EOF
755 /usr/local/bin/mailsift
644 /usr/local/lib/systemd/system/flat.service
644 /usr/local/lib/systemd/system/mailsift.service
644 /usr/local/lib/systemd/user/flat-user.service
644 /usr/local/lib/systemd/user/mailsift.service
644 /usr/local/share/doc/mailsift/examples/mailsift.conf
644 /usr/local/share/doc/mailsift/examples/rules.yaml
644 /usr/local/share/man/man1/mailsift.1
644 /usr/local/share/man/man5/mailsift-rules.5
644 /usr/local/share/man/man5/mailsift.conf.5
EOF
files "$D" >"$W/got"
ok "... installs exactly these files with these modes" \
    same "$W/expected" "$W/got"

"$D/usr/local/bin/mailsift" --version >"$W/out" 2>&1
ok "the installed binary runs: --version exits 0" [ $? -eq 0 ]
ok "... and says mailsift $V" [ "$(head -n 1 "$W/out")" = "mailsift $V" ]
for p in mailsift.1 mailsift.conf.5 mailsift-rules.5; do
	s=${p##*.}
	ok "man$s/$p is contrib/$p" \
	    cmp "$top/contrib/$p" "$D/usr/local/share/man/man$s/$p"
done
ok "the examples are etc/'s" \
    cmp "$top/etc/rules.yaml" "$D/usr/local/share/doc/mailsift/examples/rules.yaml"
grep '^ExecStart' "$D/usr/local/lib/systemd/system/mailsift.service" \
    >"$W/out"
ok "a unit runs the installed binary with SYSCONFDIR's configuration" \
    grep -qx 'ExecStart=/usr/local/bin/mailsift run -c /usr/local/etc/mailsift/mailsift.conf' \
    "$W/out"

mk uninstall DESTDIR="$D" UNITSRC="$U"
ok "make uninstall succeeds" [ $? -eq 0 ]
files "$D" >"$W/out"
ok "... and leaves no file" [ ! -s "$W/out" ]
ok "... nor the doc directory it made" \
    [ ! -e "$D/usr/local/share/doc/mailsift" ]

# --- other directory names, a PREFIX that does not exist ---------------

P=$W/nowhere
D=$W/dest2
mk install DESTDIR="$D" PREFIX="$P" BINDIR=/opt/msx/sbin \
    MANDIR="$P/man" DOCDIR=/opt/msx/doc SYSTEMDDIR=/opt/msx/systemd \
    UNITSRC="$W/no-units"
ok "make install with BINDIR, MANDIR, DOCDIR and SYSTEMDDIR succeeds" \
    [ $? -eq 0 ]
cat >"$W/expected" <<-EOF
644 $P/man/man1/mailsift.1
644 $P/man/man5/mailsift-rules.5
644 $P/man/man5/mailsift.conf.5
644 /opt/msx/doc/examples/mailsift.conf
644 /opt/msx/doc/examples/rules.yaml
755 /opt/msx/sbin/mailsift
EOF
files "$D" >"$W/got"
ok "... installs there, and no unit when there is none" \
    same "$W/expected" "$W/got"
ok "... writing nothing at the PREFIX itself" [ ! -e "$P" ]
ok "... nor at BINDIR" [ ! -e /opt/msx/sbin/mailsift ]
mk uninstall DESTDIR="$D" PREFIX="$P" BINDIR=/opt/msx/sbin \
    MANDIR="$P/man" DOCDIR=/opt/msx/doc SYSTEMDDIR=/opt/msx/systemd \
    UNITSRC="$W/no-units"
files "$D" >"$W/out"
ok "make uninstall with the same names leaves no file" [ ! -s "$W/out" ]

# --- the tree's own units, as a package installs them ------------------

D=$W/dest3
mk install DESTDIR="$D" PREFIX=/usr SYSCONFDIR=/etc
ok "make install PREFIX=/usr SYSCONFDIR=/etc succeeds" [ $? -eq 0 ]
n=0
for u in "$top"/contrib/systemd/*.service \
    "$top"/contrib/systemd/system/*.service \
    "$top"/contrib/systemd/user/*.service; do
	[ -f "$u" ] || continue
	n=$((n + 1))
	b=${u##*/}
	case $u in
	*/user/*|*-user.service) to=$D/usr/lib/systemd/user/$b ;;
	*) to=$D/usr/lib/systemd/system/$b ;;
	esac
	ok "contrib unit $b is installed as it is" cmp "$u" "$to"
done
echo "# $n unit(s) in contrib/systemd"
ok "the binary is in /usr/bin" [ -x "$D/usr/bin/mailsift" ]
mk uninstall DESTDIR="$D" PREFIX=/usr SYSCONFDIR=/etc
files "$D" >"$W/out"
ok "make uninstall leaves no file" [ ! -s "$W/out" ]

ok "the source tree is as it was" [ "$(tree_state)" = "$before" ]

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
