/* SPDX-License-Identifier: ISC */
/*
 * cmd-parse.c - `mailsift parse`: show the MIME structure of message
 * files as a readable tree or as one JSON object per file, optionally
 * with the SHA-256 of every decoded leaf and extracting attachments.
 * What it shows is msgview.c's (util/), which the webhook target uses
 * too.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cmd/cmd.h"
#include "daemon/util/mailfile.h"
#include "daemon/util/msgview.h"

static int
parse_file(FILE *f, const struct msgview_opts *o, const char *file)
{
	struct mailfile	 mf;
	char		 err[256];
	int		 rv;

	if (mailfile_open(&mf, file, err, sizeof(err)) == -1) {
		fflush(f);
		fprintf(stderr, "mailsift: %s\n", err);
		return -1;
	}
	rv = msgview_write(f, o, file, mf.data, mf.len);
	mailfile_close(&mf);
	return rv;
}

static void
parse_usage(void)
{
	fprintf(stderr, "usage: mailsift parse [--json] [--hash] "
	    "[--extract DIR] FILE...\n");
}

int
cmd_parse(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "hash", no_argument, NULL, 'H' },
		{ "extract", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct msgview_opts	 o;
	static char		 outbuf[1 << 16];
	int			 ch, i, rv = 0;

	memset(&o, 0, sizeof(o));
	o.dirfd = -1;
	while ((ch = getopt_long(argc, argv, "jHx:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			o.json = 1;
			break;
		case 'H':
			o.hash = 1;
			break;
		case 'x':
			o.extract = optarg;
			break;
		case 'h':
			parse_usage();
			return 0;
		default:
			parse_usage();
			return 2;
		}
	}
	if (optind >= argc) {
		parse_usage();
		return 2;
	}
	if (o.extract != NULL && (o.dirfd = open(o.extract,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "mailsift: --extract %s: %s\n", o.extract,
		    strerror(errno));
		return 1;
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	for (i = optind; i < argc; i++) {
		if (!o.json)
			printf("%s\n", argv[i]);
		if (parse_file(stdout, &o, argv[i]) == -1)
			rv = 1;
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "mailsift: write error: %s\n", strerror(errno));
		rv = 1;
	}
	if (o.dirfd != -1)
		close(o.dirfd);
	return rv;
}
