#!/bin/sh
# SPDX-License-Identifier: ISC
# Rules and actions against a real Dovecot and Postfix (test_rules.py).
# Ends with "rules: N passed, N failed".
exec sh "$(dirname "$0")/run-py.sh" rules test_rules.py "$@"
