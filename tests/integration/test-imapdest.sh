#!/bin/sh
# SPDX-License-Identifier: ISC
# The imap: delivery target (IMAP APPEND into another account, issue 13)
# against the real Dovecot of servers.sh and a second instance: POP3 ->
# APPEND into a second user, IMAP -> another server (TRYCREATE, a folder
# deleted between rounds), SPECIAL-USE, OVERQUOTA, a destination down
# then up, and kill -9 during a 500-message run: each message exactly
# once.  The checks are in test_imapdest.py (arguments: names of its
# test_* functions); this starts one server set and always stops it.
# Ends with "imapdest: N passed, N failed".  MSX_KEEP=1 keeps the
# directory.
exec sh "$(dirname "$0")/run-py.sh" imapdest test_imapdest.py "$@"
