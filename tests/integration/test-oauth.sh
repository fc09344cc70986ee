#!/bin/sh
# SPDX-License-Identifier: ISC
# mailsift's own OAuth2 code (daemon/oauth/) against servers-oauth.sh's
# OpenID provider and Dovecot's oauth2 passdb: a grant stored by the test
# (code + PKCE through oidc_client.py) is refreshed by mailsift, the
# rotated refresh token saved, and IMAP and POP3 logins with `auth =
# oauth2` alone (OAUTHBEARER) work with the new access token; a refused
# token is refreshed and the login retried once; a revoked grant goes to
# "needs login"; see
# test_oauth.py.  Needs root and make deps, like test-oauth-harness.sh.
# MSX_KEEP=1 keeps the directory.  Ends with "oauth: N passed, N failed".
MSX_HARNESS=servers-oauth.sh MSX_PY_TIMEOUT=90 \
    exec sh "$(dirname "$0")/run-py.sh" oauth test_oauth.py "$@"
