/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for `mailsift auth login`'s pure parts (oauth-login-parse.h):
 * PKCE S256 against RFC 7636 appendix B, base64url, the redirect's
 * state check and query, the listener's request line; and OpenID
 * discovery's document check (oauth-discover.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/oauth/oauth.h"
#include "daemon/oauth/oauth-discover.h"
#include "daemon/oauth/oauth-login-parse.h"

static void
test_pkce_rfc7636(void **unused)
{
	/* RFC 7636 appendix B */
	static const unsigned char octets[32] = { 116, 24, 223, 180, 151,
	    153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37,
	    77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121 };
	char	 v[OAUTH_B64_32], c[OAUTH_B64_32];

	(void)unused;
	assert_int_equal(oauth_b64url(octets, sizeof(octets), v, sizeof(v)),
	    0);
	assert_string_equal(v, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
	assert_int_equal(oauth_pkce_s256(v, c, sizeof(c)), 0);
	assert_string_equal(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	/* too small an output is refused, not overrun */
	assert_int_equal(oauth_pkce_s256(v, c, 43), -1);
}

static void
test_b64url_and_random(void **unused)
{
	char	 out[16], a[OAUTH_B64_32], b[OAUTH_B64_32];

	(void)unused;
	assert_int_equal(oauth_b64url((const unsigned char *)"\xfb\xff", 2,
	    out, sizeof(out)), 0);
	assert_string_equal(out, "-_8");
	assert_int_equal(oauth_b64url((const unsigned char *)"a", 1, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "YQ");
	assert_int_equal(oauth_random_b64url(32, a, sizeof(a)), 0);
	assert_int_equal(oauth_random_b64url(32, b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 43);	/* RFC 7636 4.1: 43..128 */
	assert_string_not_equal(a, b);
}

static void
test_redirect_code(void **unused)
{
	char	 code[64], err[256];

	(void)unused;
	assert_int_equal(oauth_redirect_parse("http://127.0.0.1:5555/?code="
	    "abc%2Fdef+g&state=S1&iss=https%3A%2F%2Fid", "S1", code,
	    sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_CODE);
	assert_string_equal(code, "abc/def g");
	/* a request target works the same; a fragment is not the query */
	assert_int_equal(oauth_redirect_parse("/?state=S1&code=x#code=y",
	    "S1", code, sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_CODE);
	assert_string_equal(code, "x");
}

/* RFC 9207: an iss that names another issuer is refused; none, the
 * same one (a trailing '/' aside) or an unknown issuer pass. */
static void
test_redirect_iss(void **unused)
{
	char	 err[512];

	(void)unused;
	assert_int_equal(oauth_redirect_iss("/?code=c&state=S&iss="
	    "https%3A%2F%2Fid.example%2F", "https://id.example", err,
	    sizeof(err)), 0);
	assert_int_equal(oauth_redirect_iss("/?code=c&state=S",
	    "https://id.example", err, sizeof(err)), 0);
	assert_int_equal(oauth_redirect_iss("/?code=c&iss=https%3A%2F%2Fx",
	    NULL, err, sizeof(err)), 0);
	assert_int_equal(oauth_redirect_iss("/?code=c&state=S&iss="
	    "https%3A%2F%2Fevil.example", "https://id.example", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "'https://evil.example' is not the "
	    "configured oauth2-issuer 'https://id.example'"));
	assert_null(strstr(err, "code=c"));
	/* a prefix is not the issuer */
	assert_int_equal(oauth_redirect_iss("/?iss=https%3A%2F%2Fid.ex",
	    "https://id.example", err, sizeof(err)), -1);
	/* control bytes of a hostile iss do not reach the terminal */
	assert_int_equal(oauth_redirect_iss("/?iss=a%1B%5B2Jb",
	    "https://id.example", err, sizeof(err)), -1);
	assert_null(strchr(err, 0x1b));
}

static void
test_redirect_state(void **unused)
{
	char	 code[64], err[256];

	(void)unused;
	/* wrong, missing or a prefix of ours: refused, the code not kept */
	assert_int_equal(oauth_redirect_parse("/?code=abc&state=S2", "S1",
	    code, sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_BAD_STATE);
	assert_string_equal(code, "");
	assert_non_null(strstr(err, "state"));
	assert_int_equal(oauth_redirect_parse("/?code=abc", "S1", code,
	    sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_BAD_STATE);
	assert_int_equal(oauth_redirect_parse("/?code=abc&state=S", "S1",
	    code, sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_BAD_STATE);
	assert_int_equal(oauth_redirect_parse("/?code=abc&xstate=S1", "S1",
	    code, sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_BAD_STATE);
	/* even an error answer must carry our state to be believed */
	assert_int_equal(oauth_redirect_parse("/?error=access_denied", "S1",
	    code, sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_BAD_STATE);
}

static void
test_redirect_error(void **unused)
{
	char	 code[64], err[256];

	(void)unused;
	assert_int_equal(oauth_redirect_parse("/?error=access_denied&"
	    "error_description=End-User+aborted%0Ainteraction&state=S1", "S1",
	    code, sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_ERROR);
	/* the provider's text, a newline made harmless */
	assert_string_equal(err, "the provider refused the login: "
	    "access_denied: End-User aborted?interaction");
	assert_int_equal(oauth_redirect_parse("/?state=S1", "S1", code,
	    sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_MALFORMED);
	assert_int_equal(oauth_redirect_parse("/?state=S1&code=", "S1", code,
	    sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_MALFORMED);
	assert_int_equal(oauth_redirect_parse("no query", "S1", code,
	    sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_MALFORMED);
	/* a bad escape or a NUL, a code longer than the room */
	assert_int_equal(oauth_redirect_parse("/?state=S1&code=a%2", "S1",
	    code, sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_MALFORMED);
	assert_int_equal(oauth_redirect_parse("/?state=S1&code=a%00b", "S1",
	    code, sizeof(code), err, sizeof(err)), OAUTH_REDIRECT_MALFORMED);
	assert_int_equal(oauth_redirect_parse("/?state=S1&code="
	    "0123456789abcdef", "S1", code, 8, err, sizeof(err)),
	    OAUTH_REDIRECT_MALFORMED);
}

static void
test_request_target(void **unused)
{
	char		 t[64];
	const char	*get = "GET /?code=a&state=b HTTP/1.1\r\nHost: x\r\n\r\n";

	(void)unused;
	assert_int_equal(oauth_request_target(get, strlen(get), t, sizeof(t)),
	    1);
	assert_string_equal(t, "/?code=a&state=b");
	/* not whole yet */
	assert_int_equal(oauth_request_target(get, 20, t, sizeof(t)), 0);
	assert_int_equal(oauth_request_target("POST / HTTP/1.1\r\n\r\n", 19,
	    t, sizeof(t)), -1);
	assert_int_equal(oauth_request_target("GET /\r\n\r\n", 9, t,
	    sizeof(t)), -1);
	/* a target longer than the room */
	assert_int_equal(oauth_request_target(get, strlen(get), t, 8), -1);
}

static void
test_discover_parse(void **unused)
{
	struct oauth_endpoints	 e;
	char			 err[512];
	const char		*doc = "{\"issuer\":\"https://id.test\","
	    "\"authorization_endpoint\":\"https://id.test/auth\","
	    "\"token_endpoint\":\"https://id.test/token\","
	    "\"scopes_supported\":[\"openid\",{\"x\":1}],"
	    "\"revocation_endpoint\":\"https://id.test/revoke\"}";

	(void)unused;
	assert_int_equal(oauth_discover_parse("https://id.test", "acct",
	    "URL", doc, strlen(doc), &e, err, sizeof(err)), 0);
	assert_string_equal(e.authorize_url, "https://id.test/auth");
	assert_string_equal(e.token_url, "https://id.test/token");
	assert_string_equal(e.device_url, "");
	assert_string_equal(e.revoke_url, "https://id.test/revoke");
	/* another issuer's document (OpenID Discovery 4.3): refused */
	assert_int_equal(oauth_discover_parse("https://id.test/", "acct",
	    "URL", doc, strlen(doc), &e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "acct: OpenID discovery at URL: the "
	    "document's issuer 'https://id.test' is not the configured"));
	assert_int_equal(oauth_discover_parse("https://id.test", "acct",
	    "URL", "[1]", 3, &e, err, sizeof(err)), -1);
	assert_int_equal(oauth_discover_parse("https://id.test", "acct",
	    "URL", "{\"issuer\":\"https://id.test\"}", 28, &e, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "no token_endpoint"));
	doc = "{\"issuer\":\"https://id.test\",\"token_endpoint\":"
	    "\"http://evil/token\"}";
	assert_int_equal(oauth_discover_parse("https://id.test", "acct",
	    "URL", doc, strlen(doc), &e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an https:// URL"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkce_rfc7636),
		cmocka_unit_test(test_b64url_and_random),
		cmocka_unit_test(test_redirect_code),
		cmocka_unit_test(test_redirect_iss),
		cmocka_unit_test(test_redirect_state),
		cmocka_unit_test(test_redirect_error),
		cmocka_unit_test(test_request_target),
		cmocka_unit_test(test_discover_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
