/* SPDX-License-Identifier: ISC */
/*
 * fuzz_httpd.c - libFuzzer target: the metrics listener's request
 * parser (daemon/net/httpd-parse.c), on the input whole and on each of
 * its prefixes the listener could see as reads arrive: it must never
 * read past what it got, and a verdict once given must stay (a head
 * judged whole does not change with more bytes after it).  The listen
 * address splitter gets the input as a string too.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/net/httpd-parse.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
split(const uint8_t *data, size_t len)
{
	char	 spec[128], host[64], port[8], err[256];

	if (len >= sizeof(spec))
		len = sizeof(spec) - 1;
	memcpy(spec, data, len);
	spec[len] = '\0';
	if (httpd_listen_split(spec, host, sizeof(host), port, sizeof(port),
	    err, sizeof(err)) == 0 && (host[0] == '\0' || port[0] == '\0'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	 path[HTTPD_PATH_MAX], *copy;
	size_t	 cut, step;
	int	 whole, r;

	/* an exact-size copy, so ASan sees any read past the end */
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(copy, data, len);
	whole = httpd_request_parse(copy, len, path, sizeof(path));
	if (whole == 200 && (path[0] != '/' || strlen(path) >=
	    HTTPD_PATH_MAX))
		abort();
	step = len / 64 + 1;
	for (cut = 0; cut < len; cut += step) {
		r = httpd_request_parse(copy, cut, path, sizeof(path));
		/* a prefix judged final is judged the same with more */
		if (r == 200 && whole != 200)
			abort();
	}
	free(copy);
	split(data, len);
	return 0;
}
