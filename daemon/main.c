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
	{ "auth", cmd_auth, "auth status [-c FILE]\n"
	    "\tthe OAuth2 grants: provider, scopes, token expiry, last "
	    "refresh, state\n"
	    "  auth token [-c FILE] ACCOUNT\n"
	    "\ta valid access token of the account, refreshed if need be" },
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
	    "state -s STATE [--account A] [-v]\n"
	    "\tshow what the state file records\n"
	    "  state forget -s STATE --account A [--folder F] "
	    "(--uid N | --uidl X | --all)\n"
	    "\tforget records so those messages are fetched again" },
	{ "send", cmd_send,
	    "send [-c FILE] [--smtp NAME] [--from ADDR] --to ADDR... "
	    "[--cc ADDR]...\n"
	    "\t--subject TEXT [--text FILE|-] [--html FILE] [--attach FILE]... "
	    "[--dry-run | -o FILE] [-v|-vv]\n"
	    "\tcompose a message and send it by SMTP, or write it out\n"
	    "  send [-c FILE] [--smtp NAME] [--from ADDR] --raw FILE|- "
	    "(--to ADDR... | -t)\n"
	    "\tsend an existing message as it is (-t: to its To, Cc and Bcc)" },
	{ "status", cmd_status, "status [-c FILE] [--json]\n"
	    "\thow each account is doing, from the state file (daemon running "
	    "or not)" },
	{ "test", cmd_test, "test [-r RULES | -c FILE] [--explain] [--json] "
	    "[--account A] [--folder F] FILE...\n"
	    "\trun a rule file on message files, carrying nothing out\n"
	    "  test -r RULES --self\n"
	    "\trun the tests: section of a rule file" },
	{ "version", cmd_version, "version\n"
	    "\tshow the versions of mailsift and of its libraries" },
};

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: mailsift COMMAND [ARGS]\n"
	    "       mailsift COMMAND --help\n"
	    "       mailsift --version\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].help);
}

static const struct command *
command_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

static int
is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* `mailsift COMMAND --help` and `mailsift help COMMAND`: that command's
 * entry of the table, the same for every command. */
static int
command_help(const struct command *c)
{
	printf("usage: mailsift %s\n", c->help);
	if (fflush(stdout) == EOF || ferror(stdout))
		return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	const struct command	*c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	if (is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		if (argc == 2) {
			usage(stdout);
			return 0;
		}
		if (argc == 3 && (c = command_find(argv[2])) != NULL)
			return command_help(c);
		fprintf(stderr, "mailsift: help: no command '%s'\n", argv[2]);
		usage(stderr);
		return 2;
	}
	if ((c = command_find(argv[1])) == NULL) {
		fprintf(stderr, "mailsift: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	/* Before the command's own parser, which may want other arguments. */
	if (argc >= 3 && is_help(argv[2]))
		return command_help(c);
	charsets_keep_loaded();
	return c->run(argc - 1, argv + 1);
}
