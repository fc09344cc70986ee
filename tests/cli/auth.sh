#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift auth login --no-browser` with the Google and Microsoft presets,
# offline: the URL printed asks for code + PKCE (S256) with the preset's
# endpoint, scopes and login parameters (Google: access_type=offline and
# prompt=consent, or no refresh token comes back; Microsoft: offline_access
# and a http://localhost redirect, what Entra has registered), never shows
# the client secret, and a pasted URL whose state is not the login's is
# refused before any token request.  Ends with "auth: N passed, N failed".
# MAILSIFT=path tests another binary.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
pass=0
fail=0
W=$(mktemp -d /tmp/msx-auth.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP

ok() {	# DESCRIPTION CONDITION...
	desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$W/out" "$W/err" 2>/dev/null | head -12
		fail=$((fail + 1))
	fi
}

has() {	# FILE FIXED-STRING
	grep -qF -- "$2" "$1"
}

hasnt() {
	! grep -qF -- "$2" "$1"
}

cat >"$W/c.conf" <<CONF
state = "$W/state.db"
account "g" {
	type = imap
	host = "imap.gmail.com"
	user = "jane@gmail.com"
	auth = oauth2
	oauth2-provider = google
	oauth2-client-id = "cid.apps.googleusercontent.com"
	oauth2-client-secret = "sEcReT-42"
	deliver = "maildir:$W/md"
}
account "m" {
	type = pop3
	host = "outlook.office365.com"
	user = "jane@outlook.com"
	auth = oauth2
	oauth2-provider = microsoft
	oauth2-tenant = "consumers"
	oauth2-client-id = "00000000-0000-0000-0000-000000000000"
	deliver = "maildir:$W/md"
}
CONF
chmod 600 "$W/c.conf"

login() {	# ACCOUNT (stdin: the paste)
	"$MAILSIFT" auth login --no-browser --timeout 5 -c "$W/c.conf" "$1" \
	    >"$W/out" 2>"$W/err"
	rc=$?
	url=$(sed -n 's/^  \(https:.*\)$/\1/p' "$W/out")
	echo "$url" >"$W/url"
}

login g </dev/null
ok "google: no paste, exit status 1" [ "$rc" -eq 1 ]
ok "... and says so" has "$W/err" "account 'g': no URL pasted"
ok "... the URL is Google's authorization endpoint" has "$W/url" \
    "https://accounts.google.com/o/oauth2/v2/auth?"
ok "... asks for a refresh token (access_type=offline, prompt=consent)" \
    has "$W/url" "access_type=offline&prompt=consent&"
ok "... code + PKCE S256" sh -c "grep -q 'response_type=code&' '$W/url' &&
    grep -q 'code_challenge_method=S256' '$W/url' &&
    grep -Eq 'code_challenge=[A-Za-z0-9_-]{43}(&|\$)' '$W/url'"
ok "... the mail scope" has "$W/url" "scope=https%3A%2F%2Fmail.google.com%2F&"
ok "... a loopback redirect on 127.0.0.1" grep -Eq \
    'redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A[0-9]+%2F&' "$W/url"
ok "... never the client secret" hasnt "$W/out" "sEcReT-42"

login m </dev/null
ok "microsoft: the tenant's authorization endpoint" has "$W/url" \
    "https://login.microsoftonline.com/consumers/oauth2/v2.0/authorize?"
ok "... offline_access and the POP scope" has "$W/url" \
    "scope=offline_access%20https%3A%2F%2Foutlook.office.com%2FPOP.AccessAsUser.All&"
ok "... the redirect on http://localhost (as registered in Entra)" \
    grep -Eq 'redirect_uri=http%3A%2F%2Flocalhost%3A[0-9]+%2F&' "$W/url"

# A pasted redirect from another login (its state is not this one's):
# refused, and nothing asked of Google (no network needed to pass).
echo "http://127.0.0.1:1/?state=forged&code=stolen-code" | login g
ok "a pasted URL with another state: exit status 1" [ "$rc" -eq 1 ]
ok "... refused as such, the code not used" sh -c \
    "grep -q 'state' '$W/err' && grep -q 'the code was not used' '$W/err'"
ok "... the code not repeated" hasnt "$W/err" "stolen-code"
"$MAILSIFT" auth status -c "$W/c.conf" >"$W/out" 2>"$W/err"
ok "... and no grant stored (auth status names both accounts' login)" \
    sh -c "grep -qF \"g: no grant yet; run \\\`mailsift auth login g\\\`\" '$W/out' &&
    grep -qF 'm: no grant yet' '$W/out' && [ \$(grep -c . '$W/out') -eq 3 ]"

# mailsift check: the configuration is fine, the missing logins are
# warnings naming the command; a grant that is ok is not mentioned, one
# that needs a new login is.
"$MAILSIFT" check -c "$W/c.conf" >"$W/out" 2>"$W/err"
rc=$?
ok "check: exit 0 without grants (a login is not a configuration error)" \
    [ "$rc" -eq 0 ]
ok "... shows auth=oauth2 with the provider" sh -c \
    "grep -q 'user=jane@gmail.com auth=oauth2(google)' '$W/out' &&
    grep -q 'auth=oauth2(microsoft)' '$W/out'"
ok "... warns that g and m have no grant, naming the command" sh -c \
    "grep -qF \"account 'g': no OAuth2 grant yet; run \\\`mailsift auth login g\\\`\" '$W/err' &&
    grep -qF \"account 'm': no OAuth2 grant yet\" '$W/err'"
"$MAILSIFT" auth logout -c "$W/c.conf" g >/dev/null 2>&1	# creates the state
python3 - "$W/state.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time())
for acct, needs in (("g", 0), ("m", 1)):
    db.execute("INSERT INTO oauth_grant (account, provider, scopes,"
               " refresh_token, access_token, expires, last_refresh,"
               " updated, state) VALUES (?, 'x', 's', 'r', 'a', ?, ?, ?, ?)",
               (acct, now + 600, now, now,
                "needs-login" if needs else "ok"))
db.commit()
PY
"$MAILSIFT" check -c "$W/c.conf" >"$W/out" 2>"$W/err"
rc=$?
ok "check with g's grant ok and m's needing a login: exit 0" [ "$rc" -eq 0 ]
ok "... nothing said of g" hasnt "$W/err" "account 'g'"
ok "... m needs a new login" has "$W/err" \
    "account 'm': its OAuth2 grant needs a new login; run \`mailsift auth login m\`"

echo "auth: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
