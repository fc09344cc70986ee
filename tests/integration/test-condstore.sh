#!/bin/sh
# SPDX-License-Identifier: ISC
# CONDSTORE and QRESYNC (RFC 7162) against a real Dovecot (issue 12):
# a no-op poll sends no SEARCH and no FETCH; new messages, flag changes,
# a new UIDVALIDITY, mail arriving mid-round, a killed round, an old
# state file and `condstore = no`.  The checks are in test_condstore.py
# (arguments: names of its test_* functions); this starts one server set
# and always stops it.  Ends with "condstore: N passed, N failed".
# MSX_KEEP=1 keeps the directory.
exec sh "$(dirname "$0")/run-py.sh" condstore test_condstore.py "$@"
