#!/bin/sh
# `make demo`: show what mailsift does on the bundled sample messages.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/mailsift-demo.XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "== MIME trees of the sample messages (mailsift parse)"
./mailsift parse etc/samples/*.eml
echo
echo "== The invoice as JSON, with SHA-256 of every decoded part"
./mailsift parse --json --hash etc/samples/invoice.eml
echo
echo "== Attachments extracted under safe names (mailsift parse --extract)"
./mailsift parse --json --extract "$out" etc/samples/*.eml >/dev/null
ls -l "$out"
