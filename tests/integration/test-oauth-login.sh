#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift auth login` (daemon/oauth/oauth-login.c) and OpenID discovery
# of oauth2-issuer (oauth-discover.c) against servers-oauth.sh's OpenID
# provider and Dovecot's oauth2 passdb: code + PKCE with the loopback
# listener, then IMAP with the grant; the --no-browser dialogue; a wrong
# state refused; access_denied; a missing refresh token warned about; an
# issuer mismatch refused; no code, verifier or token in -vv output; see
# test_oauth_login.py.  Needs root and make deps, like test-oauth.sh.
# MSX_KEEP=1 keeps the directory.  Ends with "oauth-login: N passed, N
# failed".
MSX_HARNESS=servers-oauth.sh MSX_PY_TIMEOUT=150 \
    exec sh "$(dirname "$0")/run-py.sh" oauth-login test_oauth_login.py "$@"
