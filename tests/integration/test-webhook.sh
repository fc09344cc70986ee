#!/bin/sh
# SPDX-License-Identifier: ISC
# Integration tests of the webhook target (daemon/deliver/webhook.c, the
# drain act/webhook-send.c, net/http.c) against a receiver the test
# starts on loopback: see test_webhook.py.  Needs no mail server.
# Ends with "webhook: N passed, N failed".
cd "$(dirname "$0")/../.." || exit 1
exec python3 tests/integration/test_webhook.py "$@"
