#!/bin/sh
# SPDX-License-Identifier: ISC
# chroot.sh DEB - the package as an administrator meets it, in a clean
# Debian 12 chroot: installed with apt (its dependencies from the
# mirror), `mailsift --version` runs, the user mailsift exists, both
# units are installed and neither is enabled or started; then purged,
# leaving no file of the package behind.  `make test-deb` runs it (not
# `make check`: it needs the mirror and a few minutes).
#
# The chroot comes from debootstrap (minbase and systemd, for
# systemctl) into .build/deb/chroot; the bootstrapped tree is kept as
# .build/deb/bookworm-rootfs.tar, so later runs start from a fresh copy
# of it in seconds.  The mirror is the host's apt source for bookworm,
# or DEBIAN_MIRROR.  One line per check, then "test-deb: N passed, N
# failed".  Needs root.
set -u

[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: $0 DEB" >&2; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
base=$top/.build/deb
cache=$base/bookworm-rootfs.tar
R=$base/chroot
pass=0
fail=0

# The host's bookworm source (deb822 or one-line format).
host_mirror() {
	cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v RS= '
	    /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ &&
	    match($0, /URIs:[ \t]*[^ \t\n]+/) {
		s = substr($0, RSTART, RLENGTH)
		sub(/URIs:[ \t]*/, "", s)
		print s
		exit
	    }'
	awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' \
	    /etc/apt/sources.list 2>/dev/null
}
mirror=${DEBIAN_MIRROR:-$(host_mirror | head -1)}
[ -n "$mirror" ] || { echo "test-deb: no bookworm mirror: set DEBIAN_MIRROR" >&2
	exit 1; }

cleanup() {
	umount "$R/proc" 2>/dev/null
	umount "$R/dev/pts" 2>/dev/null
	rm -rf "$R"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mkdir -p "$base"
if [ ! -f "$cache" ]; then
	echo "test-deb: debootstrap bookworm (once; kept in $cache)"
	rm -rf "$R"
	debootstrap --variant=minbase --include=systemd bookworm "$R" \
	    "$mirror" >"$base/debootstrap.log" 2>&1 || {
		tail -20 "$base/debootstrap.log" >&2
		echo "test-deb: debootstrap failed" >&2
		exit 1
	}
	tar -C "$R" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
	rm -rf "$R"
fi
rm -rf "$R"
mkdir -p "$R"
tar -C "$R" -xf "$cache"
cp /etc/resolv.conf "$R/etc/resolv.conf"
mount -t proc proc "$R/proc"
mount -t devpts devpts "$R/dev/pts" 2>/dev/null
cp "$deb" "$R/tmp/"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

ok() {	# DESCRIPTION COMMAND...
	desc=$1
	shift
	if "$@" >"$base/out" 2>&1; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$base/out" | tail -15
		fail=$((fail + 1))
	fi
}
show() {	# DESCRIPTION COMMAND...: ok, and its output shown
	ok "$@"
	sed 's/^/    /' "$base/out"
}
not() { ! "$@"; }

# mailsift_running: a process of the chroot's /usr/bin/mailsift
mailsift_running() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$R/usr/bin/mailsift" ] &&
		    return 0
	done
	return 1
}

name=$(basename "$deb")
ok "apt-get update in the chroot" in_root apt-get update -q
show "apt installs $name" sh -c "chroot '$R' /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends '/tmp/$name' |
    grep -E '^(Setting up|Unpacking|The following NEW)' ;
    chroot '$R' dpkg -s mailsift | grep -q '^Status: install ok installed'"
show "mailsift --version runs" in_root mailsift --version
show "the user mailsift exists, a system user" sh -c "chroot '$R' getent \
    passwd mailsift | tee /dev/stderr | awk -F: '\$3 < 1000 &&
    \$6 == \"/var/lib/mailsift\" && \$7 ~ /nologin\$/ { ok = 1 }
    END { exit !ok }'"
ok "... with its group" in_root getent group mailsift
ok "/etc/mailsift: root:mailsift, mode 750" sh -c \
    "[ \"\$(chroot '$R' stat -c '%U:%G %a' /etc/mailsift)\" = \
    'root:mailsift 750' ]"
# unit_has DIR LINE: the unit in lib/systemd/DIR (or usr/lib/...) says it
unit_has() {
	for d in "$R/lib/systemd/$1" "$R/usr/lib/systemd/$1"; do
		[ -f "$d/mailsift.service" ] &&
		    grep -qxF -- "$2" "$d/mailsift.service" && return 0
	done
	return 1
}
ok "the system unit is installed, for /usr/bin/mailsift" unit_has system \
    'ExecStart=/usr/bin/mailsift run -c /etc/mailsift/mailsift.conf'
ok "the user unit is installed, for /usr/bin/mailsift" unit_has user \
    'ExecStart=/usr/bin/mailsift run'
show "the system unit is not enabled" sh -c "chroot '$R' systemctl \
    is-enabled mailsift.service; [ \$? -ne 0 ]"
show "the user unit is not enabled" sh -c "chroot '$R' systemctl --global \
    is-enabled mailsift.service; [ \$? -ne 0 ]"
ok "the maintainer scripts start nothing" not grep -E \
    'deb-systemd-invoke +(start|restart)|systemctl +(start|restart)' \
    "$R/var/lib/dpkg/info/mailsift.postinst"
ok "no mailsift is running" not mailsift_running
show "apt-get purge removes it" sh -c "chroot '$R' /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    apt-get purge -y -q mailsift | grep -E '^(Removing|Purging)';
    ! chroot '$R' dpkg -s mailsift >/dev/null 2>&1"
ok "... the binary gone" test ! -e "$R/usr/bin/mailsift"
ok "... the units gone" sh -c "! ls '$R'/lib/systemd/system/mailsift.service \
    '$R'/usr/lib/systemd/system/mailsift.service \
    '$R'/usr/lib/systemd/user/mailsift.service 2>/dev/null | grep -q ."
ok "... /etc/mailsift gone" test ! -e "$R/etc/mailsift"

echo "test-deb: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
