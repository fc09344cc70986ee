/* SPDX-License-Identifier: ISC */
/*
 * fuzz_conf.c - libFuzzer target: the configuration loader
 * (daemon/conf/conf.c, conf-build.c, conf-text.c and libconfuse under them).
 * config_load() reads a path, so the input is written to a file (mode
 * 0600) in a private directory (mkdtemp, 0700, in the sticky /tmp):
 * the trust checks (trust.h) accept that, as they must, so the loader
 * itself is reached; a file behind /proc/self/fd, a link to a deleted
 * file in /tmp, is refused before a byte is parsed.  The file and the
 * directory are removed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conf/conf.h"
#include "daemon/util/log.h"
#include "tests/fuzz/fuzz.h"

static char	 conf_dir[64];
static char	 conf_path[96];
static int	 conf_fd = -1;

static void
conf_cleanup(void)
{
	(void)unlink(conf_path);
	(void)rmdir(conf_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(0, LOG_LEVEL_TRACE);
	/* "~/" paths expand from $HOME; keep them off the real one */
	if (setenv("HOME", "/nonexistent/fuzz-home", 1) == -1)
		abort();
	snprintf(conf_dir, sizeof(conf_dir), "/tmp/fuzz_conf.XXXXXX");
	if (mkdtemp(conf_dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(conf_path, sizeof(conf_path), "%s/mailsift.conf", conf_dir);
	if ((conf_fd = open(conf_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		perror(conf_path);
		abort();
	}
	if (atexit(conf_cleanup) != 0)
		abort();
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
