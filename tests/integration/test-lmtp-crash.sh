#!/bin/sh
# SPDX-License-Identifier: ISC
# The LMTP target's kill -9 crash test (issue 13): 500 messages fetched
# over IMAP (keep = no) and delivered over Dovecot's LMTP, the run
# killed 30 times at seeded points, then a full run: nothing lost, and
# the count of duplicates (the at-least-once window) printed, each
# duplicate carrying the same X-Mailsift-Id.  The checks are in
# test_lmtp_crash.py; servers.sh's servers, started and stopped by
# run-py.sh.  Ends with "lmtp-crash: N passed, N failed".
exec sh "$(dirname "$0")/run-py.sh" lmtp-crash test_lmtp_crash.py "$@"
