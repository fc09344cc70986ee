#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift auth login --device` (RFC 8628), `mailsift auth logout` (RFC
# 7009) and oauth2-flow = client-credentials against servers-oauth.sh's
# OpenID provider and Dovecot's oauth2 passdb; see test_oauth_device.py.
# Access tokens live 300 s here (MSX_OIDC_TOKEN_TTL), so that "no token
# request while the token is fresh" does not hang on the machine's speed.
# Needs root and make deps, like test-oauth.sh.  MSX_KEEP=1 keeps the
# directory.  Ends with "oauth-device: N passed, N failed".
MSX_OIDC_TOKEN_TTL=300 MSX_HARNESS=servers-oauth.sh MSX_PY_TIMEOUT=240 \
    exec sh "$(dirname "$0")/run-py.sh" oauth-device test_oauth_device.py "$@"
