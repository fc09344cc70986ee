#!/bin/sh
# SPDX-License-Identifier: ISC
# SPECIAL-USE folders (RFC 6154) against a real Dovecot
# (test_special.py): move/copy to \Junk and \Archive, folders =
# { '\Archive' }, and the error where the server marks none.
# Ends with "special: N passed, N failed".
exec sh "$(dirname "$0")/run-py.sh" special test_special.py "$@"
