#!/bin/sh
# SPDX-License-Identifier: ISC
# The OAuth2 test chain with real parts and plain Python (no mailsift
# code yet): servers-oauth.sh's OpenID provider, Dovecot's oauth2 passdb
# (introspection) for IMAP/POP3, Postfix submission through Dovecot's
# SASL; see test_oauth_harness.py.  Needs root, contrib/install-deps-
# servers.sh and contrib/install-deps-oauth.sh (make deps).  About 25 s
# (it waits out one access-token lifetime).  MSX_KEEP=1 keeps the
# directory.  Ends with "oauth-harness: N passed, N failed".
MSX_HARNESS=servers-oauth.sh MSX_PY_TIMEOUT=90 \
    exec sh "$(dirname "$0")/run-py.sh" oauth-harness test_oauth_harness.py "$@"
