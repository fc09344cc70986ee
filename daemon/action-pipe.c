/*
 * action-pipe.c - pipe: run a command (execvp, no shell) with the message on
 * its standard input, under a timeout; exit status 0 is success.  With
 * filter, what it writes replaces the message for the actions after it.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "daemon/action.h"
#include "daemon/log.h"

#define PIPE_TIMEOUT	60		/* seconds, when the rule says none */
#define PIPE_OUT_MAX	(256 * 1024 * 1024)

struct child {
	pid_t		 pid;
	int		 in;		/* its stdin, ours to write */
	int		 out;		/* its stdout, or -1 */
};

static pid_t
child_start(const struct rule_action *a, int filter, struct child *c)
{
	char	*argv[64];
	size_t	 i, n = rule_action_argc(a);
	int	 pin[2], pout[2] = { -1, -1 }, devnull;

	if (n == 0 || n >= sizeof(argv) / sizeof(argv[0]))
		return -1;
	for (i = 0; i < n; i++)
		argv[i] = (char *)(uintptr_t)rule_action_arg(a, i);
	argv[n] = NULL;
	if (pipe(pin) == -1 || (filter && pipe(pout) == -1))
		return -1;
	if ((c->pid = fork()) == -1)
		return -1;
	if (c->pid == 0) {
		setpgid(0, 0);
		devnull = open("/dev/null", O_WRONLY);
		if (dup2(pin[0], 0) == -1 || dup2(filter ? pout[1] : devnull,
		    1) == -1)
			_exit(126);
		closefrom(3);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pin[0]);
	if (filter)
		close(pout[1]);
	c->in = pin[1];
	c->out = pout[0];
	fcntl(c->in, F_SETFL, O_NONBLOCK);
	return c->pid;
}

/* Feed the message, collect the output, until both are done or time is
 * up.  -1 on timeout or error. */
static int
child_io(struct child *c, const struct action_msg *m, char **out, size_t *olen,
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
action_pipe(const struct rule_action *a, struct action_msg *m, int filter,
    const char *account)
{
	struct child	 c = { -1, -1, -1 };
	long long	 secs = rule_action_timeout(a);
	time_t		 deadline;
	char		*out = NULL;
	size_t		 olen = 0;
	int		 status = 0, rv = -1;

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
		if (m->owned)
			free(m->data);
		m->data = out != NULL ? out : strdup("");
		m->len = olen;
		m->owned = 1;
		out = NULL;
		if (m->data == NULL)
			goto out;
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
