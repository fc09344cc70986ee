# SPDX-License-Identifier: ISC
"""
oidc_client.py - a test's client of the OpenID provider of
servers-oauth.sh (oidc/provider.mjs), in plain Python (no browser): token
requests, the scripted login and consent of the provider's dev
interactions (any login name, any password), the device flow's user side,
and the provider's admin endpoints (counters, "down", grant revocation).

    from oidc_client import Oidc
    op = Oidc(os.environ["MSX_OIDC_ISSUER"], os.environ["MSX_CA"])
    tok = op.client_credentials("mailsift-service", "service-secret")
    tok = op.code_login("mailsift-native", "user1")      # code + PKCE S256
    back = op.login_and_consent(url, "user1", "http://127.0.0.1:")
        -> the redirect URL (code, state) of an authorization URL that
        e.g. `mailsift auth login` printed: GET it against mailsift's
        loopback listener, or paste it for --no-browser
    op.approve_device(verification_uri_complete, "user3")   # RFC 8628
    op.stats(); op.admin("down", on=1); op.admin("revoke", account="user1")

How the dev interactions are driven: GET the authorization URL -> 303 to
/interaction/UID (cookies _interaction*, kept here); POST there
prompt=login&login=NAME&password=any -> 303 /auth/UID -> 303 to a new
/interaction/UID2 (consent page); POST prompt=consent -> 303 /auth/UID2
-> 303 to redirect_uri?code=...&state=...&iss=...  The device flow: GET
verification_uri_complete (a form with hidden xsrf and user_code), POST
/device xsrf&user_code&confirm=yes -> the same login and consent ->
/device/callback (200, "Sign-in Success").
"""
import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import ssl
import urllib.parse


def _b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class OidcError(Exception):
    pass


class Oidc:
    def __init__(self, issuer, cafile):
        self.issuer = issuer.rstrip("/")
        self.ctx = ssl.create_default_context(cafile=cafile)
        u = urllib.parse.urlsplit(self.issuer)
        self.host, self.port = u.hostname, u.port
        self.cookies = {}
        self.meta = self.get_json("/.well-known/openid-configuration")

    # --- HTTP -------------------------------------------------------

    def request(self, method, url, form=None, headers=None):
        """(status, headers dict lower-case, body bytes); no redirects."""
        u = urllib.parse.urlsplit(urllib.parse.urljoin(self.issuer + "/", url))
        path = u.path + ("?" + u.query if u.query else "")
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                        timeout=10)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    val = rest.split(";", 1)[0]
                    if val:
                        self.cookies[name.strip()] = val
                    else:
                        self.cookies.pop(name.strip(), None)
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def get_json(self, url):
        st, _, data = self.request("GET", url)
        if st != 200:
            raise OidcError(f"GET {url}: {st}")
        return json.loads(data)

    def endpoint(self, name):
        return self.meta[name]

    def token(self, form, client=None, secret=None, basic=True):
        """POST the token endpoint: (status, JSON answer)."""
        form = dict(form)
        h = {}
        if secret is not None and basic:
            h["Authorization"] = "Basic " + base64.b64encode(
                f"{client}:{secret}".encode()).decode()
        elif client is not None:
            form["client_id"] = client
            if secret is not None:
                form["client_secret"] = secret
        st, _, data = self.request("POST", self.endpoint("token_endpoint"),
                                   form, h)
        try:
            return st, json.loads(data)
        except ValueError:
            return st, {"error": data.decode(errors="replace")}

    # --- grants -----------------------------------------------------

    def client_credentials(self, client, secret, scope="mail", basic=True):
        st, j = self.token({"grant_type": "client_credentials",
                            "scope": scope}, client, secret, basic)
        if st != 200:
            raise OidcError(f"client_credentials: {st} {j}")
        return j

    def refresh(self, client, refresh_token):
        return self.token({"grant_type": "refresh_token",
                           "refresh_token": refresh_token}, client)

    def authorize_url(self, client, redirect_uri, scope, state, challenge):
        q = urllib.parse.urlencode({
            "client_id": client, "response_type": "code",
            "redirect_uri": redirect_uri, "scope": scope, "state": state,
            "code_challenge": challenge, "code_challenge_method": "S256"})
        return self.endpoint("authorization_endpoint") + "?" + q

    def _interact(self, url, login, stop):
        """Follow redirects from URL, answering login and consent
        pages, until a Location starts with STOP (returned) or a 200
        page that is no form of ours (returned as its body)."""
        method, form = "GET", None
        for _ in range(20):
            st, h, body = self.request(method, url, form)
            method, form = "GET", None
            if st in (302, 303):
                loc = urllib.parse.urljoin(url, h["location"])
                if stop and loc.startswith(stop):
                    return loc
                url = loc
                continue
            if st != 200:
                raise OidcError(f"{url}: {st} {body[:300]!r}")
            page = body.decode(errors="replace")
            if 'name="prompt" value="login"' in page:
                method, form = "POST", {"prompt": "login", "login": login,
                                        "password": "any"}
            elif 'name="prompt" value="consent"' in page:
                method, form = "POST", {"prompt": "consent"}
            else:
                return page
        raise OidcError("too many redirects")

    def login_and_consent(self, auth_url, login, redirect_uri):
        """The URL the browser would be sent back to (code, state)."""
        self.cookies = {}
        return self._interact(auth_url, login, redirect_uri)

    def code_login(self, client, login, scope="openid offline_access mail",
                   redirect_uri="http://127.0.0.1:8765/callback",
                   wrong_verifier=False):
        """Authorization code + PKCE S256: the token answer.  With
        wrong_verifier, the exchange sends another verifier than the
        one the challenge was made of (the provider must refuse it)."""
        verifier = _b64url(secrets.token_bytes(32))
        challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
        if wrong_verifier:
            verifier = _b64url(secrets.token_bytes(32))
        state = _b64url(secrets.token_bytes(16))
        back = self.login_and_consent(
            self.authorize_url(client, redirect_uri, scope, state, challenge),
            login, redirect_uri)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))
        if q.get("state") != state or "code" not in q:
            raise OidcError(f"redirect: {back}")
        st, j = self.token({"grant_type": "authorization_code",
                            "code": q["code"], "redirect_uri": redirect_uri,
                            "code_verifier": verifier}, client)
        if st != 200:
            raise OidcError(f"code exchange: {st} {j}")
        return j

    def device_start(self, client, scope="openid offline_access mail"):
        st, _, data = self.request(
            "POST", self.endpoint("device_authorization_endpoint"),
            {"client_id": client, "scope": scope})
        if st != 200:
            raise OidcError(f"device authorization: {st} {data[:200]!r}")
        return json.loads(data)

    def approve_device(self, verification_uri_complete, login):
        """The user's side of RFC 8628, scripted."""
        self.cookies = {}
        st, _, body = self.request("GET", verification_uri_complete)
        page = body.decode(errors="replace")
        xsrf = re.search(r'name="xsrf" value="([^"]+)"', page)
        code = re.search(r'name="user_code" value="([^"]+)"', page)
        if st != 200 or not xsrf or not code:
            raise OidcError(f"device page: {st}")
        st, h, body = self.request("POST", urllib.parse.urlsplit(
            verification_uri_complete).path, {
                "xsrf": xsrf.group(1), "user_code": code.group(1),
                "confirm": "yes"})
        if st not in (302, 303):
            raise OidcError(f"device confirm: {st}")
        page = self._interact(h["location"], login, None)
        if "Sign-in Success" not in page:
            raise OidcError("device: no success page")

    def device_poll(self, client, device_code):
        return self.token({
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": device_code}, client)

    def revoke(self, client, token, secret=None):
        st, _, _ = self.request("POST", self.endpoint("revocation_endpoint"),
                                {"token": token, "client_id": client,
                                 **({"client_secret": secret} if secret
                                    else {})})
        return st

    # --- admin ------------------------------------------------------

    def stats(self):
        return self.get_json("/_admin/stats")

    def admin(self, what, **q):
        st, _, data = self.request(
            "POST", f"/_admin/{what}?" + urllib.parse.urlencode(q))
        if st != 200:
            raise OidcError(f"admin {what}: {st}")
        return json.loads(data)


if __name__ == "__main__":
    op = Oidc(os.environ["MSX_OIDC_ISSUER"], os.environ["MSX_CA"])
    print(json.dumps(op.code_login("mailsift-native", "user1")))
