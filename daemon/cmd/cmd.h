/* SPDX-License-Identifier: ISC */
/*
 * daemon/cmd/ - the subcommands of the mailsift binary, one file each
 * (cmd-run.c, cmd-check.c, cmd-send.c, cmd-state.c, cmd-parse.c,
 * cmd-test.c, cmd-version.c, cmd-status.c, cmd-auth.c), and json.c for their --json
 * output.
 *
 * Owns: command-line parsing, exit statuses, what a command prints on
 * stdout.  Never: protocol, delivery or SQL work of its own - a command
 * wires together the folders below it (conf, sched, send, store, rules,
 * mime, status) and reports.  Nothing but main.c calls into cmd/.
 *
 * Each function takes the arguments after the subcommand name (argv[0]
 * is the subcommand) and returns the process exit status.
 */
#ifndef DAEMON_CMD_H
#define DAEMON_CMD_H

int	cmd_parse(int argc, char **argv);
int	cmd_check(int argc, char **argv);
int	cmd_run(int argc, char **argv);
int	cmd_state(int argc, char **argv);
int	cmd_send(int argc, char **argv);
int	cmd_test(int argc, char **argv);
int	cmd_version(int argc, char **argv);
int	cmd_status(int argc, char **argv);
int	cmd_auth(int argc, char **argv);

#endif
