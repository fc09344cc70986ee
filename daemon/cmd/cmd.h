/* SPDX-License-Identifier: ISC */
/*
 * cmd.h - the subcommands of the mailsift binary.
 *
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit status.
 */
#ifndef DAEMON_CMD_H
#define DAEMON_CMD_H

int	cmd_parse(int argc, char **argv);
int	cmd_check(int argc, char **argv);
int	cmd_run(int argc, char **argv);
int	cmd_state(int argc, char **argv);
int	cmd_send(int argc, char **argv);
int	cmd_test(int argc, char **argv);

#endif
