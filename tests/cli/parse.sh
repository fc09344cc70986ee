#!/bin/sh
# SPDX-License-Identifier: ISC
# Behaviour of `mailsift parse` as a user sees it.
exec python3 "$(dirname "$0")/test_parse.py"
