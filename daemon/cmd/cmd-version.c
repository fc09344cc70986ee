/* SPDX-License-Identifier: ISC */
/*
 * cmd-version.c - `mailsift version` and `mailsift --version`: the
 * version of mailsift, then of each library as the dynamic loader found
 * it, beside the version it was built against where the library's
 * headers say so.  A bug report needs both: a distribution upgrade
 * changes the first without a rebuild.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <confuse.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <pcre2.h>
#include <sqlite3.h>
#include <yaml.h>

#include "daemon/cmd/cmd.h"

/* Set by the Makefile from its VERSION: the one place it is written. */
#ifndef MAILSIFT_VERSION
#error "MAILSIFT_VERSION is not defined: build with the Makefile"
#endif

#define STR(x)	STR1(x)
#define STR1(x)	#x

static void
version_usage(FILE *f)
{
	fprintf(f, "usage: mailsift version\n");
}

/* "10.42 2022-12-11", or "?" if it does not fit. */
static void
pcre2_version(char *buf, size_t len)
{
	int	 n;

	n = pcre2_config(PCRE2_CONFIG_VERSION, NULL);
	if (n <= 0 || (size_t)n > len ||
	    pcre2_config(PCRE2_CONFIG_VERSION, buf) <= 0)
		snprintf(buf, len, "?");
}

static const char *
pcre2_jit(void)
{
	uint32_t	 jit = 0;

	if (pcre2_config(PCRE2_CONFIG_JIT, &jit) != 0 || !jit)
		return "no JIT";
	return "JIT";
}

static int
version_print(void)
{
	char	 pcre[64];

	pcre2_version(pcre, sizeof(pcre));
	printf("mailsift %s\n", MAILSIFT_VERSION);
	printf("  OpenSSL     %s (built with %s)\n",
	    OpenSSL_version(OPENSSL_VERSION_STRING), OPENSSL_VERSION_STR);
	printf("  PCRE2       %s (built with %s.%s), %s\n", pcre,
	    STR(PCRE2_MAJOR), STR(PCRE2_MINOR), pcre2_jit());
	printf("  SQLite      %s (built with %s)\n", sqlite3_libversion(),
	    SQLITE_VERSION);
	printf("  libyaml     %s\n", yaml_get_version_string());
	printf("  libconfuse  %s\n", confuse_version);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "mailsift: version: cannot write\n");
		return 1;
	}
	return 0;
}

int
cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		version_usage(stderr);
		return 2;
	}
	return version_print();
}
