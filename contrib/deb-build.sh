#!/bin/sh
# SPDX-License-Identifier: ISC
# deb-build.sh VERSION DIR - build DIR/mailsift_VERSION_ARCH.deb with
# dpkg-buildpackage, then lintian it (any error fails the build).
#
# The tree's files (tracked, and new ones git does not ignore) are
# copied to DIR/mailsift-VERSION/, contrib/debian/ becomes its debian/
# and debian/changelog is written for VERSION: the top of the tree stays
# as it is, and the version lives in the Makefile alone.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 VERSION DIR" >&2; exit 2; }
version=$1
out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
tree=$out/mailsift-$version

rm -rf "$tree"
mkdir -p "$tree"
(cd "$top" && git ls-files -z -co --exclude-standard |
    xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
    tar --null -T - -cf -) | (cd "$tree" && tar -xf -)
rm -rf "$tree/debian"
cp -R "$top/contrib/debian" "$tree/debian"
rm -f "$tree/debian/changelog.in"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date -R)/" \
    "$top/contrib/debian/changelog.in" >"$tree/debian/changelog"

arch=$(dpkg --print-architecture)
rm -f "$out/mailsift_${version}_$arch.deb"
(cd "$tree" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 || {
	tail -40 "$out/build.log" >&2
	echo "deb-build: dpkg-buildpackage failed; the log: $out/build.log" >&2
	exit 1
}
deb=$out/mailsift_${version}_$arch.deb
[ -f "$deb" ] || { echo "deb-build: no $deb" >&2; exit 1; }
echo "deb-build: $deb"
dpkg-deb --info "$deb" | sed -n 's/^ \(Version\|Depends\):/  \1:/p'
dpkg-deb --contents "$deb" | awk '{ print "  " $6 }'
# Warnings and notes are shown; an error fails.
lintian --fail-on error --tag-display-limit 0 "$deb"
echo "deb-build: lintian reports no error"
