/* SPDX-License-Identifier: ISC */
/*
 * secret.c - an endpoint's secret: its password, or the first line that
 * its password-command prints; see conf_secret() in conf.h.
 *
 * The command's output is a secret: it never reaches an error message or
 * the log, and every buffer that held it is wiped before it is freed.
 * A command that starts with an absolute path is refused when others
 * could change that program (trust.h).
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/conf/conf.h"
#include "daemon/conf/trust.h"

#define SECRET_MAX_OUTPUT	(64 * 1024)
#define SECRET_TIMEOUT_MS	30000

static int	 secret_timeout_ms = SECRET_TIMEOUT_MS;

struct secret_run {
	const char	*label;
	const char	*what;		/* the option, for errors */
	pid_t		 pid;
	int		 fd;		/* the command's stdout */
	long long	 deadline;	/* ms, CLOCK_MONOTONIC */
	char		*out;
	size_t		 len;
	char		*err;
	size_t		 errlen;
};

void
conf_secret_set_timeout(int ms)
{
	secret_timeout_ms = ms > 0 ? ms : SECRET_TIMEOUT_MS;
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Between fork and exec: only async-signal-safe calls. */
static void
child_exec(const char *command, int devnull, int out, int maxfd)
{
	sigset_t	 none;
	int		 fd;

	/* Its own process group, so a timeout kills what it started. */
	if (setpgid(0, 0) == -1 || dup2(devnull, 0) == -1 ||
	    dup2(out, 1) == -1)
		_exit(126);
	/* Keep our sockets and databases from the command. */
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == -1)
		for (fd = 3; fd < maxfd; fd++)
			(void)close(fd);
	if (signal(SIGPIPE, SIG_DFL) == SIG_ERR ||
	    sigemptyset(&none) == -1 ||
	    sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		_exit(126);
	execl("/bin/sh", "sh", "-c", command, (char *)NULL);
	_exit(127);
}

static int
secret_spawn(struct secret_run *r, const char *command)
{
	int	 fds[2], devnull, maxfd;
	long	 open_max = sysconf(_SC_OPEN_MAX);

	maxfd = open_max < 0 || open_max > 65536 ? 65536 : (int)open_max;
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(r->err, r->errlen, "%s: %s: cannot "
		    "open /dev/null: %s", r->label, r->what, strerror(errno));
		return -1;
	}
	if (pipe(fds) == -1 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(r->err, r->errlen, "%s: %s: pipe: %s",
		    r->label, r->what, strerror(errno));
		(void)close(devnull);
		return -1;
	}
	if ((r->pid = fork()) == -1) {
		snprintf(r->err, r->errlen, "%s: %s: fork: %s",
		    r->label, r->what, strerror(errno));
		(void)close(fds[0]);
		(void)close(fds[1]);
		(void)close(devnull);
		return -1;
	}
	if (r->pid == 0)
		child_exec(command, devnull, fds[1], maxfd);
	/*
	 * The child makes its own group too; whichever runs first wins and
	 * the other's EACCES or ESRCH changes nothing.
	 */
	(void)setpgid(r->pid, r->pid);
	(void)close(fds[1]);
	(void)close(devnull);
	r->fd = fds[0];
	return 0;
}

/* Read the command's stdout until EOF: 0, or -1 (timeout, too much). */
static int
secret_read(struct secret_run *r)
{
	struct pollfd	 pfd;
	long long	 left;
	ssize_t		 n;
	int		 rc;

	for (;;) {
		if ((left = r->deadline - now_ms()) <= 0) {
			snprintf(r->err, r->errlen, "%s: %s timed out after "
			    "%d ms and was killed", r->label, r->what,
			    secret_timeout_ms);
			return -1;
		}
		pfd.fd = r->fd;
		pfd.events = POLLIN;
		if ((rc = poll(&pfd, 1, (int)left)) == -1 && errno != EINTR) {
			snprintf(r->err, r->errlen, "%s: %s: "
			    "poll: %s", r->label, r->what, strerror(errno));
			return -1;
		}
		if (rc <= 0)
			continue;
		n = read(r->fd, r->out + r->len,
		    SECRET_MAX_OUTPUT + 1 - r->len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			snprintf(r->err, r->errlen, "%s: %s: "
			    "read: %s", r->label, r->what, strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		r->len += (size_t)n;
		if (r->len > SECRET_MAX_OUTPUT) {
			snprintf(r->err, r->errlen, "%s: %s "
			    "printed more than %d bytes", r->label, r->what,
			    SECRET_MAX_OUTPUT);
			return -1;
		}
	}
}

static void
secret_kill(struct secret_run *r)
{
	if (kill(-r->pid, SIGKILL) == -1)
		(void)kill(r->pid, SIGKILL);
}

/* Collect the exit status; kill the command if it outlives the
 * deadline (it may close its stdout and go on running). */
static int
secret_wait(struct secret_run *r, int *status)
{
	struct timespec	 tick = { 0, 10 * 1000 * 1000 };
	pid_t		 pid;
	int		 killed = 0;

	for (;;) {
		pid = waitpid(r->pid, status, killed ? 0 : WNOHANG);
		if (pid == r->pid)
			break;
		if (pid == -1 && errno != EINTR) {
			snprintf(r->err, r->errlen, "%s: %s: waitpid: %s",
			    r->label, r->what, strerror(errno));
			return -1;
		}
		if (pid == 0 && now_ms() >= r->deadline) {
			secret_kill(r);
			killed = 1;
		} else if (pid == 0)
			(void)nanosleep(&tick, NULL);
	}
	if (killed) {
		snprintf(r->err, r->errlen, "%s: %s timed out after %d ms "
		    "and was killed", r->label, r->what, secret_timeout_ms);
		return -1;
	}
	return 0;
}

/* After an error: kill the command and collect it, keeping the error. */
static void
secret_reap(struct secret_run *r)
{
	int	 status;

	secret_kill(r);
	while (waitpid(r->pid, &status, 0) == -1 && errno == EINTR)
		continue;
}

static char *
secret_first_line(struct secret_run *r)
{
	char	*nl, *s;
	size_t	 n;

	nl = memchr(r->out, '\n', r->len);
	n = nl != NULL ? (size_t)(nl - r->out) : r->len;
	if (n > 0 && r->out[n - 1] == '\r')
		n--;
	if (n == 0) {
		snprintf(r->err, r->errlen, "%s: %s printed "
		    "an empty first line", r->label, r->what);
		return NULL;
	}
	if (memchr(r->out, '\0', n) != NULL) {
		snprintf(r->err, r->errlen, "%s: %s printed "
		    "a NUL byte", r->label, r->what);
		return NULL;
	}
	if ((s = malloc(n + 1)) == NULL) {
		snprintf(r->err, r->errlen, "%s: out of memory", r->label);
		return NULL;
	}
	memcpy(s, r->out, n);
	s[n] = '\0';
	return s;
}

/*
 * A command that starts with an absolute path runs that program: it must
 * be as safe from others as the configuration is (trust.h).  A command
 * that starts otherwise (a name looked up in PATH, a variable, quoting)
 * is left to the shell.
 */
static int
secret_program_check(const char *label, const char *what,
    const char *command, char *err, size_t errlen)
{
	struct stat	 st;
	char		 prog[PATH_MAX], why[PATH_MAX + 256];
	size_t		 n;
	int		 fd;

	command += strspn(command, " \t");
	n = strcspn(command, " \t\n;&|<>()");
	if (command[0] != '/' || n >= sizeof(prog))
		return 0;
	memcpy(prog, command, n);
	prog[n] = '\0';
	if (strpbrk(prog, "'\"\\$`*?[{~") != NULL)
		return 0;
	if ((fd = trust_file_open(prog, TRUST_EXEC, TRUST_NOBODY, &st, why,
	    sizeof(why))) == -1) {
		snprintf(err, errlen, "%s: %s: %s: %s", label, what,
		    prog, why);
		return -1;
	}
	(void)close(fd);
	return 0;
}

static char *
secret_command(const char *label, const char *what, const char *command,
    char *err, size_t errlen)
{
	struct secret_run	 r;
	char			*secret = NULL;
	int			 status, ok;

	if (secret_program_check(label, what, command, err, errlen) == -1)
		return NULL;
	memset(&r, 0, sizeof(r));
	r.label = label;
	r.what = what;
	r.err = err;
	r.errlen = errlen;
	r.fd = -1;
	if ((r.out = malloc(SECRET_MAX_OUTPUT + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", label);
		return NULL;
	}
	r.deadline = now_ms() + secret_timeout_ms;
	if (secret_spawn(&r, command) == -1)
		goto done;
	ok = secret_read(&r) == 0;
	(void)close(r.fd);
	if (!ok) {
		secret_reap(&r);
		goto done;
	}
	if (secret_wait(&r, &status) == -1)
		goto done;
	if (WIFSIGNALED(status))
		snprintf(err, errlen, "%s: %s was killed by signal %d",
		    label, what, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		snprintf(err, errlen, "%s: %s exited with status %d",
		    label, what, WEXITSTATUS(status));
	else
		secret = secret_first_line(&r);
done:
	explicit_bzero(r.out, r.len);
	free(r.out);
	return secret;
}

char *
conf_secret(const struct endpoint *ep, char *err, size_t errlen)
{
	const char	*label = ep->label != NULL ? ep->label : "server";
	char		*s;

	if (ep->password != NULL) {
		if ((s = strdup(ep->password)) == NULL)
			snprintf(err, errlen, "%s: out of memory", label);
		return s;
	}
	if (ep->password_command == NULL) {
		snprintf(err, errlen, "%s: neither password nor "
		    "password-command is set", label);
		return NULL;
	}
	return secret_command(label, "password-command", ep->password_command,
	    err, errlen);
}

char *
conf_command_secret(const char *label, const char *what,
    const char *command, char *err, size_t errlen)
{
	return secret_command(label, what, command, err, errlen);
}

void
conf_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

/*
 * conf_command_run(): a hook (auth-failure-command) or a keyring's store
 * (oauth2-store-command).  Unlike a password-command its output is not
 * wanted (/dev/null), it may get input on stdin and a few variables in
 * its environment: what it is told goes there, never into the command
 * line, so no text from a server or provider reaches the shell's parser.
 */
#define COMMAND_ENV_MAX	256

extern char **environ;

/* environ with the extra "NAME=value" entries replacing or added. */
static int
command_env(const char *const *extra, const char **out, size_t cap)
{
	size_t	 n = 0, i, len;
	char	**e;

	for (e = environ; e != NULL && *e != NULL && n + 1 < cap; e++) {
		for (i = 0; extra != NULL && extra[i] != NULL; i++) {
			len = strcspn(extra[i], "=") + 1;
			if (strncmp(*e, extra[i], len) == 0)
				break;
		}
		if (extra == NULL || extra[i] == NULL)
			out[n++] = *e;
	}
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		if (n + 1 >= cap)
			return -1;
		out[n++] = extra[i];
	}
	out[n] = NULL;
	return 0;
}

/* Between fork and exec: only async-signal-safe calls. */
static void
command_child(const char *command, int in, int ours, int devnull,
    char **envp)
{
	sigset_t	 none;
	int		 fd;

	(void)close(ours);
	if (setpgid(0, 0) == -1 || dup2(in, 0) == -1 ||
	    dup2(devnull, 1) == -1)
		_exit(126);
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == -1)
		for (fd = 3; fd < 1024; fd++)
			(void)close(fd);
	if (signal(SIGPIPE, SIG_DFL) == SIG_ERR ||
	    sigemptyset(&none) == -1 ||
	    sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		_exit(126);
	execle("/bin/sh", "sh", "-c", command, (char *)NULL, envp);
	_exit(127);
}

/* All of input into fd, SIGPIPE held off (a command that exits unread
 * is an error, not the end of mailsift). */
static int
command_write(int fd, const char *input, size_t len)
{
	sigset_t	 pipe_set, old;
	struct timespec	 zero = { 0, 0 };
	ssize_t		 n;
	int		 rv = 0;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old) != 0)
		return -1;
	while (len > 0) {
		if ((n = write(fd, input, len)) == -1) {
			if (errno == EINTR)
				continue;
			rv = -1;
			break;
		}
		input += n;
		len -= (size_t)n;
	}
	if (rv == -1 && errno == EPIPE)
		(void)sigtimedwait(&pipe_set, NULL, &zero);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rv;
}

static int
command_spawn(struct secret_run *r, const char *command, int *in,
    const char *const *env)
{
	const char	*envp[COMMAND_ENV_MAX];
	int		 fds[2], devnull;

	if (command_env(env, envp, COMMAND_ENV_MAX) == -1) {
		snprintf(r->err, r->errlen, "%s: %s: environment too large",
		    r->label, r->what);
		return -1;
	}
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		snprintf(r->err, r->errlen, "%s: %s: cannot open /dev/null: "
		    "%s", r->label, r->what, strerror(errno));
		return -1;
	}
	if (pipe(fds) == -1 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(r->err, r->errlen, "%s: %s: pipe: %s", r->label,
		    r->what, strerror(errno));
		(void)close(devnull);
		return -1;
	}
	if ((r->pid = fork()) == -1) {
		snprintf(r->err, r->errlen, "%s: %s: fork: %s", r->label,
		    r->what, strerror(errno));
		(void)close(fds[0]);
		(void)close(fds[1]);
		(void)close(devnull);
		return -1;
	}
	if (r->pid == 0)
		command_child(command, fds[0], fds[1], devnull, (char **)envp);
	(void)setpgid(r->pid, r->pid);
	(void)close(fds[0]);
	(void)close(devnull);
	*in = fds[1];
	return 0;
}

int
conf_command_run(const char *label, const char *what, const char *command,
    const char *input, const char *const *env, char *err, size_t errlen)
{
	struct secret_run	 r;
	int			 in, status, wrote;

	if (secret_program_check(label, what, command, err, errlen) == -1)
		return -1;
	memset(&r, 0, sizeof(r));
	r.label = label;
	r.what = what;
	r.err = err;
	r.errlen = errlen;
	r.deadline = now_ms() + secret_timeout_ms;
	if (command_spawn(&r, command, &in, env) == -1)
		return -1;
	wrote = command_write(in, input != NULL ? input : "",
	    input != NULL ? strlen(input) : 0);
	(void)close(in);
	if (secret_wait(&r, &status) == -1)
		return -1;
	if (WIFSIGNALED(status)) {
		snprintf(err, errlen, "%s: %s was killed by signal %d", label,
		    what, WTERMSIG(status));
		return -1;
	}
	if (WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s: %s exited with status %d", label,
		    what, WEXITSTATUS(status));
		return -1;
	}
	if (wrote == -1) {
		snprintf(err, errlen, "%s: %s exited without reading its "
		    "input", label, what);
		return -1;
	}
	return 0;
}
