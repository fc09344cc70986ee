#!/bin/sh
# SPDX-License-Identifier: ISC
# Fetching against a real Dovecot (issue 3): byte-identical delivery over
# IMAP STARTTLS, IMAPS, POP3 STLS and POP3S; keep, only-unseen, folders,
# UIDVALIDITY resets, max-size, TLS refusals and pins, plaintext auth,
# password-command, parallel accounts, exit status, SIGTERM, -vv, mbox;
# then kill -9 many times during a 500-message fetch, and a full disk.
# The checks are in test_fetch.py (arguments: names of its test_*
# functions, to run only those); this starts one server set for all of
# them, on ports of their own, and always stops it.  Ends with
# "fetch: N passed, N failed".  MSX_KEEP=1 keeps the directory.
exec sh "$(dirname "$0")/run-py.sh" fetch test_fetch.py "$@"
