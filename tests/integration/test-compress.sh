#!/bin/sh
# SPDX-License-Identifier: ISC
# IMAP COMPRESS=DEFLATE (RFC 4978, compress = yes) against a real Dovecot
# with imap_zlib (issue 12): byte-identical delivery over IMAPS and
# STARTTLS with the session shown compressed (trace and byte counts), a
# server without it noted once, pop3 refused.  The checks are in
# test_compress.py (arguments: names of its test_* functions); this
# starts one server set and always stops it.  Ends with
# "compress: N passed, N failed".  MSX_KEEP=1 keeps the directory.
exec sh "$(dirname "$0")/run-py.sh" compress test_compress.py "$@"
