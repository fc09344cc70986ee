/* SPDX-License-Identifier: ISC */
/*
 * fuzz_conf.c - libFuzzer target: the configuration loader
 * (daemon/conf.c, conf-build.c, conf-text.c and libconfuse under them).
 * config_load() reads a path, so the input is written to a temporary
 * file (mode 0600, ours: the owner checks pass as root too) and loaded;
 * the result is looked up and freed.  The file is unlinked at once and
 * reached through /proc/self/fd (Linux, as libFuzzer is), so no run
 * leaves one behind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conf.h"
#include "daemon/log.h"
#include "tests/fuzz/fuzz.h"

static char	 conf_path[64];
static int	 conf_fd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(0, LOG_LEVEL_TRACE);
	/* "~/" paths expand from $HOME; keep them off the real one */
	if (setenv("HOME", "/nonexistent/fuzz-home", 1) == -1)
		abort();
	snprintf(conf_path, sizeof(conf_path), "/tmp/fuzz_conf.XXXXXX");
	if ((conf_fd = mkstemp(conf_path)) == -1) {
		perror("mkstemp");
		abort();
	}
	if (unlink(conf_path) == -1)
		abort();
	snprintf(conf_path, sizeof(conf_path), "/proc/self/fd/%d", conf_fd);
	return 0;
}

static void
conf_write(const uint8_t *data, size_t size)
{
	size_t	 off = 0;
	ssize_t	 n;

	if (ftruncate(conf_fd, 0) == -1)
		abort();
	while (off < size) {
		n = pwrite(conf_fd, data + off, size - off, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*conf;
	char		 err[1024];
	size_t		 i;

	conf_write(data, size);
	if ((conf = config_load(conf_path, err, sizeof(err))) == NULL) {
		if (strlen(err) == 0)
			abort();	/* every failure says why */
		log_debug("config_load: %s", err);
		return 0;
	}
	for (i = 0; i < conf->naccounts; i++)
		if (config_account(conf, conf->accounts[i].name) == NULL)
			abort();
	for (i = 0; i < conf->nsmtp; i++)
		if (config_smtp(conf, conf->smtp[i].name) == NULL)
			abort();
	config_free(conf);
	return 0;
}
