/* SPDX-License-Identifier: ISC */
/*
 * main.c - mailsift's entry point: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/util/charsets.h"
#include "daemon/cmd/cmd.h"

struct command {
	const char	*name;
	int		(*run)(int, char **);
	const char	*help;
};

static const struct command commands[] = {
	{ "parse", cmd_parse,
	    "parse [--json] [--hash] [--extract DIR] FILE...\n"
	    "\tshow the MIME structure of message files" },
	{ "check", cmd_check, "check [-c FILE]\n"
	    "\tcheck the configuration without connecting\n"
	    "\t(default FILE: ~/.config/mailsift/mailsift.conf)" },
	{ "run", cmd_run,
	    "run [-c FILE] [--once] [--dry-run] [--daemon] [--pidfile FILE] "
	    "[-v|-vv]\n"
	    "\tfetch, filter and deliver mail: one round or forever" },
	{ "state", cmd_state,
	    "state [-s STATE] [--account A] [-v]\n"
	    "\tshow what the state file records\n"
	    "  state forget -s STATE --account A [--folder F] "
	    "(--uid N | --uidl X | --all)\n"
	    "\tforget records so those messages are fetched again" },
	{ "send", cmd_send,
	    "send [-c FILE] [--smtp NAME] [--from ADDR] --to ADDR... "
	    "[--cc ADDR]...\n"
	    "\t--subject TEXT [--text FILE|-] [--html FILE] [--attach FILE]... "
	    "[--dry-run | -o FILE] [-v|-vv]\n"
	    "\tcompose a message and send it by SMTP, or write it out" },
	{ "status", cmd_status, "status [-c FILE] [--json]\n\thow each account is doing, from the state file (daemon running or not)" },
	{ "test", cmd_test, "test [-r RULES] [--explain] [--json] "
	    "[--account A] [--folder F] FILE...\n"
	    "\trun a rule file on message files, carrying nothing out\n"
	    "  test -r RULES --self\n"
	    "\trun the tests: section of a rule file" },
};

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: mailsift COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].help);
}

int
main(int argc, char **argv)
{
	size_t	 i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	charsets_keep_loaded();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mailsift: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
