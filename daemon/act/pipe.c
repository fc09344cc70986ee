/* SPDX-License-Identifier: ISC */
/*
 * pipe.c - pipe: run a command (no shell) with the message on its
 * standard input, under a timeout; exit status 0 is success.  With
 * filter, what it writes replaces the message for the actions after it.
 *
 * A program named without '/' is looked up in mailsift's PATH.  The
 * command's environment is minimal: PATH=/usr/bin:/bin, HOME, LANG,
 * LC_ALL and TZ when mailsift has them, the message's MAILSIFT_* fields,
 * and the variables the rule's env: names (its PATH replaces ours).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rules/rules.h"
#include "daemon/act/pipe.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"

#define PIPE_TIMEOUT	60		/* seconds, when the rule says none */
#define PIPE_OUT_MAX	(256 * 1024 * 1024)
#define PIPE_PATH	"PATH=/usr/bin:/bin"
#define PIPE_ENV_MAX	64		/* entries of the environment */

extern char **environ;

struct child {
	pid_t		 pid;
	int		 in;		/* its stdin, ours to write */
	int		 out;		/* its stdout, or -1 */
};

struct child_env {
	const char	*v[PIPE_ENV_MAX + 1];
	size_t		 n;
};

/* Set "NAME=value" e, replacing an entry of the same name. */
static void
env_put(struct child_env *ce, const char *e)
{
	size_t	 i, len = strcspn(e, "=");

	for (i = 0; i < ce->n; i++)
		if (strncmp(ce->v[i], e, len) == 0 && ce->v[i][len] == '=') {
			ce->v[i] = e;
			return;
		}
	if (ce->n < PIPE_ENV_MAX)
		ce->v[ce->n++] = e;
}

/* Pass mailsift's own NAME, if it has one. */
static void
env_pass(struct child_env *ce, const char *name)
{
	size_t	 len = strlen(name);
	char	**e;

	for (e = environ; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') {
			env_put(ce, *e);
			return;
		}
}

static void
env_build(const struct rule_action *a, struct child_env *ce)
{
	const char	*e;
	size_t		 i;

	ce->n = 0;
	env_put(ce, PIPE_PATH);
	env_pass(ce, "HOME");
	env_pass(ce, "LANG");
	env_pass(ce, "LC_ALL");
	env_pass(ce, "TZ");
	for (i = 0; i < rule_action_env_count(a); i++) {
		e = rule_action_env(a, i);
		if (strchr(e, '=') != NULL)
			env_put(ce, e);
		else
			env_pass(ce, e);
	}
	ce->v[ce->n] = NULL;
}

/* The file to execute for name: itself if it has a '/', else the first
 * executable file in mailsift's PATH.  -1 (ENOENT) if none. */
static int
program_find(const char *name, char *out, size_t outlen)
{
	const char	*dirs, *end;
	struct stat	 sb;
	size_t		 len;
	int		 n;

	if (strchr(name, '/') != NULL) {
		if ((size_t)snprintf(out, outlen, "%s", name) >= outlen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		return 0;
	}
	if ((dirs = getenv("PATH")) == NULL)
		dirs = "/usr/bin:/bin";
	for (; *dirs != '\0'; dirs = *end == ':' ? end + 1 : end) {
		end = dirs + strcspn(dirs, ":");
		len = (size_t)(end - dirs);
		n = snprintf(out, outlen, "%.*s%s%s", (int)len, dirs,
		    len > 0 ? "/" : "", name);	/* "" is "." */
		if (n < 0 || (size_t)n >= outlen)
			continue;
		if (access(out, X_OK) == 0 && stat(out, &sb) == 0 &&
		    S_ISREG(sb.st_mode))
			return 0;
	}
	errno = ENOENT;
	return -1;
}

/* In the child: its stdin and stdout in place, then the program. */
static _Noreturn void
child_exec(const char *path, char **argv, char **envp, int in, int out)
{
	setpgid(0, 0);
	if (out == -1 && (out = open("/dev/null", O_WRONLY)) == -1)
		_exit(126);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1)
		_exit(126);
	closefrom(3);
	signal(SIGPIPE, SIG_DFL);
	execve(path, argv, envp);
	_exit(127);
}

static void
fds_close(int *fd, size_t n)
{
	size_t	 i;
	int	 saved = errno;

	for (i = 0; i < n; i++)
		if (fd[i] != -1) {
			close(fd[i]);
			fd[i] = -1;
		}
	errno = saved;
}

/* Start the command; 0, or -1 with errno set and nothing left open. */
static int
child_start(const struct rule_action *a, int filter, struct child *c)
{
	char			*argv[RULE_PIPE_ARGS_MAX + 1];
	char			 path[PATH_MAX];
	struct child_env	 ce;
	size_t			 i, n = rule_action_argc(a);
	int			 fd[4] = { -1, -1, -1, -1 };	/* in, out */

	if (n == 0 || n > RULE_PIPE_ARGS_MAX) {
		errno = E2BIG;
		return -1;
	}
	for (i = 0; i < n; i++)
		argv[i] = (char *)(uintptr_t)rule_action_arg(a, i);
	argv[n] = NULL;
	env_build(a, &ce);
	if (program_find(argv[0], path, sizeof(path)) == -1)
		return -1;
	if (pipe(fd) == -1 || (filter && pipe(fd + 2) == -1) ||
	    (c->pid = fork()) == -1) {
		fds_close(fd, 4);
		return -1;
	}
	if (c->pid == 0)
		child_exec(path, argv, (char **)(uintptr_t)ce.v, fd[0], fd[3]);
	close(fd[0]);
	if (filter)
		close(fd[3]);
	c->in = fd[1];
	c->out = fd[2];
	fcntl(c->in, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Feed the message, collect the output, until both are done or time is
 * up.  -1 on timeout or error. */
static int
child_io(struct child *c, const struct act_msg *m, char **out, size_t *olen,
    time_t deadline)
{
	struct pollfd	 pfd[2];
	size_t		 off = 0, cap = 0;
	ssize_t		 n;
	char		*p;
	int		 nfd;

	*out = NULL;
	*olen = 0;
	while (c->in != -1 || c->out != -1) {
		if (time(NULL) >= deadline)
			return -1;
		nfd = 0;
		if (c->in != -1) {
			pfd[nfd].fd = c->in;
			pfd[nfd++].events = POLLOUT;
		}
		if (c->out != -1) {
			pfd[nfd].fd = c->out;
			pfd[nfd++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)nfd, 1000) == -1 && errno != EINTR)
			return -1;
		if (c->in != -1 && (pfd[0].revents & (POLLOUT | POLLERR |
		    POLLHUP))) {
			n = write(c->in, m->data + off, m->len - off);
			if (n > 0)
				off += (size_t)n;
			/* a command that reads less than all is its choice */
			if ((n == -1 && errno != EAGAIN && errno != EINTR) ||
			    off == m->len) {
				close(c->in);
				c->in = -1;
			}
		}
		if (c->out != -1 && (pfd[nfd - 1].revents & (POLLIN |
		    POLLHUP | POLLERR))) {
			if (*olen == cap) {
				cap = cap == 0 ? 65536 : cap * 2;
				if (cap > PIPE_OUT_MAX ||
				    (p = realloc(*out, cap)) == NULL)
					return -1;
				*out = p;
			}
			n = read(c->out, *out + *olen, cap - *olen);
			if (n > 0)
				*olen += (size_t)n;
			else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(c->out);
				c->out = -1;
			}
		}
	}
	return 0;
}

static int
child_wait(pid_t pid, time_t deadline, int *status)
{
	struct timespec	 tick = { 0, 50 * 1000 * 1000 };
	pid_t		 r;

	for (;;) {
		if ((r = waitpid(pid, status, WNOHANG)) == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
		if (time(NULL) >= deadline)
			return -1;
		nanosleep(&tick, NULL);
	}
}

int
pipe_run(const struct rule_action *a, struct act_msg *m, int filter,
    const char *account)
{
	struct child	 c = { -1, -1, -1 };
	long long	 secs = rule_action_timeout(a);
	time_t		 deadline;
	char		*out = NULL;
	size_t		 olen = 0;
	int		 status = 0, rv = -1;

	/* the message is left for the lease's next holder */
	if (!guard_ok()) {
		log_warn("%s: pipe %s: not run: the account's lease is lost or "
		    "given back", account, rule_action_arg(a, 0));
		return -1;
	}
	deadline = time(NULL) + (secs > 0 ? secs : PIPE_TIMEOUT);
	if (child_start(a, filter, &c) == -1) {
		log_error("%s: pipe %s: cannot start: %s", account,
		    rule_action_arg(a, 0), strerror(errno));
		return -1;
	}
	if (child_io(&c, m, &out, &olen, deadline) == -1 ||
	    child_wait(c.pid, deadline, &status) == -1) {
		kill(-c.pid, SIGKILL);
		waitpid(c.pid, &status, 0);
		log_error("%s: pipe %s: killed after %lld s without finishing",
		    account, rule_action_arg(a, 0), secs > 0 ? secs :
		    (long long)PIPE_TIMEOUT);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("%s: pipe %s: exit status %d", account,
		    rule_action_arg(a, 0), WIFEXITED(status) ?
		    WEXITSTATUS(status) : 128 + WTERMSIG(status));
		goto out;
	}
	if (filter) {
		if (out == NULL && (out = strdup("")) == NULL)
			goto out;
		act_msg_replace(m, out, olen);
		out = NULL;
	}
	rv = 0;
out:
	if (c.in != -1)
		close(c.in);
	if (c.out != -1)
		close(c.out);
	free(out);
	return rv;
}
