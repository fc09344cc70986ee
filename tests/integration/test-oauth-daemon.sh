#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift run` as a daemon with auth = oauth2 accounts (IMAP in IDLE,
# POP3 polled) for several token lifetimes against servers-oauth.sh's
# provider: refreshes per lifetime, provider down, a grant revoked
# (needs login, auth-failure-command), one refresh across processes, a
# keyring; see test_oauth_daemon.py.  Needs root and make deps, like
# test-oauth.sh.  MSX_KEEP=1 keeps the directories.  Ends with
# "oauth-daemon: N passed, N failed".
MSX_HARNESS=servers-oauth.sh MSX_PY_TIMEOUT=300 \
    exec sh "$(dirname "$0")/run-py.sh" oauth-daemon test_oauth_daemon.py "$@"
