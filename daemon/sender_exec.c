/* Exec delivery: run a command with the alert as JSON on stdin, without blocking the loop.
 *
 * The child is started with posix_spawn (no shell; glibc runs it with vfork semantics and
 * reports a failed exec as an error) in its own process group, with an empty signal mask and
 * default dispositions: the daemon blocks SIGINT/SIGTERM for its signalfd and ignores SIGPIPE,
 * and both would otherwise be inherited. Its stdin, stdout and stderr are pipes whose other
 * ends are non-blocking and watched by the loop. The exit is noticed through a pidfd watched
 * the same way (no SIGCHLD handling, nothing shared with signals.c), with a 50 ms waitid poll
 * where pidfd_open is refused. A timeout sends SIGTERM to the group, then SIGKILL.
 *
 * Children get a clean environment of their own, not the daemon's: that holds the hub's
 * connection settings (PGPASSWORD and friends) and whatever else the service manager set, none
 * of which a notification script needs or should see. A bare command name is looked up in that
 * same PATH, so what runs is what the child's PATH would find. */
#include "sender_int.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define KILL_GRACE_MS 2000
#define POLL_MS 50
#define STDIN_CHECK_MS 50
#define TAIL 2048               /* bytes kept of each of stdout and stderr (the last ones) */
#define READS_PER_EVENT 16      /* then let the loop serve others */
#define PIPE_MAX (1024 * 1024)  /* grow the stdin pipe up to this to take the JSON at once */

#define CHILD_PATH "/usr/local/bin:/usr/bin:/bin"

static char *const child_env[] = {
	"PATH=" CHILD_PATH,
	"LANG=C.UTF-8",
	"LC_ALL=C.UTF-8",
	"HOME=/",
	NULL,
};

struct tail {
	char buf[TAIL];
	size_t len;
	bool cut;               /* older output was dropped */
};

struct exec_job {
	struct cc_sender_job base;
	pid_t pid;
	bool reaped;
	char *name;             /* argv[0], for messages */
	int timeout_ms;
	bool timed_out;
	int signal_sent;        /* SIGTERM, then SIGKILL */

	struct cc_sender_watch in, out, err, exited;
	char *input;
	size_t input_len, input_off;
	struct tail out_tail, err_tail;

	lws_sorted_usec_list_t timeout_sul, kill_sul, poll_sul, stdin_sul;
};

static void tail_add(struct tail *t, const char *data, size_t n)
{
	if (n >= TAIL) {
		memcpy(t->buf, data + n - TAIL, TAIL);
		t->cut = t->cut || t->len || n > TAIL;
		t->len = TAIL;
		return;
	}
	if (t->len + n > TAIL) {
		size_t drop = t->len + n - TAIL;
		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
		t->cut = true;
	}
	memcpy(t->buf + t->len, data, n);
	t->len += n;
}

/* Read what the pipe holds (bounded per call); stop watching at end of file. */
static void drain(struct cc_sender_watch *w, struct tail *t)
{
	char buf[4096];

	for (int i = 0; w->wsi && i < READS_PER_EVENT; i++) {
		ssize_t n = read(w->fd, buf, sizeof buf);
		if (n > 0) {
			tail_add(t, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		cc_sender_watch_stop(w);        /* end of file or error */
	}
}

static void on_out(struct cc_sender_watch *w, enum cc_watch_event ev)
{
	struct exec_job *j = lws_container_of(w, struct exec_job, out);

	if (ev == CC_WATCH_READABLE)
		drain(w, &j->out_tail);
}

static void on_err(struct cc_sender_watch *w, enum cc_watch_event ev)
{
	struct exec_job *j = lws_container_of(w, struct exec_job, err);

	if (ev == CC_WATCH_READABLE)
		drain(w, &j->err_tail);
}

/* ---- stdin -------------------------------------------------------------------------------- */

static void input_done(struct exec_job *j)
{
	lws_sul_cancel(&j->stdin_sul);
	cc_sender_watch_stop(&j->in);   /* lws closes it: the child sees end of file */
}

/* Write as much as the pipe takes. 1: more to write, 0: finished (or the child stopped
 * reading: its exit status will tell). */
static int write_input(int fd, struct exec_job *j)
{
	while (j->input_off < j->input_len) {
		ssize_t n = write(fd, j->input + j->input_off, j->input_len - j->input_off);
		if (n > 0) {
			j->input_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		return 0;
	}
	return 0;
}

/* lws reports nothing for POLLERR alone, which is what a full pipe shows once the child has
 * closed its end; look for it ourselves while we wait to write. */
static void stdin_check(lws_sorted_usec_list_t *sul)
{
	struct exec_job *j = lws_container_of(sul, struct exec_job, stdin_sul);
	struct pollfd p = { .fd = j->in.fd, .events = POLLOUT };

	if (!j->in.wsi)
		return;
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL))) {
		input_done(j);
		return;
	}
	lws_sul_schedule(j->base.s->ctx, 0, &j->stdin_sul, stdin_check,
			 (lws_usec_t)STDIN_CHECK_MS * LWS_US_PER_MS);
}

static void on_in(struct cc_sender_watch *w, enum cc_watch_event ev)
{
	struct exec_job *j = lws_container_of(w, struct exec_job, in);

	if (ev == CC_WATCH_CLOSED) {
		lws_sul_cancel(&j->stdin_sul);
		return;
	}
	if (ev != CC_WATCH_WRITABLE)
		return;
	if (write_input(w->fd, j))
		cc_sender_watch_want_write(w);
	else
		input_done(j);
}

static void start_input(struct exec_job *j, int fd)
{
	if (j->input_len > 65536)
		(void)fcntl(fd, F_SETPIPE_SZ, (int)(j->input_len < PIPE_MAX ? j->input_len : PIPE_MAX));
	if (!write_input(fd, j)) {
		close(fd);      /* all of it fit (the usual case): never watched */
		return;
	}
	if (cc_sender_watch_start(j->base.s, &j->in, fd, on_in)) {
		cc_warn("exec %s: cannot watch its stdin; input cut short", j->name);
		return;
	}
	cc_sender_watch_want_read(&j->in, false);
	cc_sender_watch_want_write(&j->in);
	lws_sul_schedule(j->base.s->ctx, 0, &j->stdin_sul, stdin_check,
			 (lws_usec_t)STDIN_CHECK_MS * LWS_US_PER_MS);
}

/* ---- the end ------------------------------------------------------------------------------ */

static void put_tail(char *out, size_t cap, const char *label, struct tail *t)
{
	char clean[2 * TAIL + 1];
	size_t n, from = 0, o = strlen(out);

	if (!t->len || o + 1 >= cap)
		return;
	clean[0] = '\0';
	n = cc_sender_tidy(clean, sizeof clean, t->buf, t->len);
	if (!n)
		return;
	if (n > TAIL) {         /* line breaks grew it: keep the end, on a character boundary */
		from = n - TAIL;
		while (from < n && ((unsigned char)clean[from] & 0xc0) == 0x80)
			from++;
	}
	snprintf(out + o, cap - o, "; %s: %s%s", label, t->cut || from ? "\u2026" : "",
		 clean + from);
}

static void finish(struct exec_job *j, int status)
{
	char detail[2 * TAIL + 256];
	bool ok = false;

	if (j->timed_out) {
		snprintf(detail, sizeof detail, "timed out after %d ms; stopped with %s",
			 j->timeout_ms, j->signal_sent == SIGKILL ? "SIGKILL" : "SIGTERM");
	} else if (status < 0) {
		snprintf(detail, sizeof detail, "exit status unknown (reaped elsewhere)");
	} else if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);
		ok = code == 0;
		/* 126/127: what shells (and a posix_spawn that cannot report a failed exec, as
		 * under valgrind) answer for a command that cannot run */
		snprintf(detail, sizeof detail, "exit status %d%s", code,
			 code == 127 ? " (command not found?)" :
			 code == 126 ? " (command not executable?)" : "");
	} else if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));
		snprintf(detail, sizeof detail, "killed by signal %d%s%s%s", WTERMSIG(status),
			 abbrev ? " (SIG" : "", abbrev ? abbrev : "", abbrev ? ")" : "");
	} else {
		snprintf(detail, sizeof detail, "ended with status 0x%x", (unsigned)status);
	}
	put_tail(detail, sizeof detail, "stderr", &j->err_tail);
	put_tail(detail, sizeof detail, "stdout", &j->out_tail);
	cc_sender_job_finish(&j->base, ok, detail);
}

/* Has the child exited? Then reap it, collect the last output and finish (true). */
static bool check_exit(struct exec_job *j)
{
	siginfo_t si;
	int status = 0;

	memset(&si, 0, sizeof si);
	/* look without reaping: while the child is a zombie its pid, and so its process group,
	 * cannot be reused, so the group can still be signalled safely */
	if (waitid(P_PID, (id_t)j->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
		if (errno == EINTR)
			return false;
		j->reaped = true;       /* someone else reaped it (SIGCHLD set to SIG_IGN?) */
		status = -1;
	} else if (si.si_pid == 0) {
		return false;
	} else {
		if (j->timed_out)
			kill(-j->pid, SIGKILL);        /* what is left of the group after a timeout */
		while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
			;
		j->reaped = true;
	}
	lws_sul_cancel(&j->timeout_sul);
	lws_sul_cancel(&j->kill_sul);
	cc_sender_watch_stop(&j->exited);
	/* what the child wrote before exiting is in the pipes now; a grandchild that keeps them
	 * open is not waited for */
	drain(&j->out, &j->out_tail);
	drain(&j->err, &j->err_tail);
	finish(j, status);
	return true;
}

static void poll_fired(lws_sorted_usec_list_t *sul)
{
	struct exec_job *j = lws_container_of(sul, struct exec_job, poll_sul);
	struct cc_sender *s = j->base.s;

	cc_sender_enter(s);
	if (!check_exit(j))
		lws_sul_schedule(s->ctx, 0, &j->poll_sul, poll_fired,
				 (lws_usec_t)POLL_MS * LWS_US_PER_MS);
	cc_sender_leave(s);
}

static void on_exited(struct cc_sender_watch *w, enum cc_watch_event ev)
{
	struct exec_job *j = lws_container_of(w, struct exec_job, exited);

	if (ev == CC_WATCH_READABLE)
		check_exit(j);
	else if (ev == CC_WATCH_CLOSED)     /* the pidfd watch went away: fall back to polling */
		lws_sul_schedule(j->base.s->ctx, 0, &j->poll_sul, poll_fired, 0);
}

static void kill_fired(lws_sorted_usec_list_t *sul)
{
	struct exec_job *j = lws_container_of(sul, struct exec_job, kill_sul);

	cc_warn("exec %s: still running %d ms after SIGTERM; sending SIGKILL", j->name,
		KILL_GRACE_MS);
	j->signal_sent = SIGKILL;
	kill(-j->pid, SIGKILL);
}

static void timeout_fired(lws_sorted_usec_list_t *sul)
{
	struct exec_job *j = lws_container_of(sul, struct exec_job, timeout_sul);

	j->timed_out = true;
	j->signal_sent = SIGTERM;
	kill(-j->pid, SIGTERM);
	/* a child stopped (SIGSTOP) cannot act on SIGTERM until continued */
	kill(-j->pid, SIGCONT);
	lws_sul_schedule(j->base.s->ctx, 0, &j->kill_sul, kill_fired,
			 (lws_usec_t)KILL_GRACE_MS * LWS_US_PER_MS);
}

static void release(struct cc_sender_job *b)
{
	struct exec_job *j = (struct exec_job *)b;

	lws_sul_cancel(&j->timeout_sul);
	lws_sul_cancel(&j->kill_sul);
	lws_sul_cancel(&j->poll_sul);
	lws_sul_cancel(&j->stdin_sul);
	cc_sender_watch_stop(&j->in);
	cc_sender_watch_stop(&j->out);
	cc_sender_watch_stop(&j->err);
	cc_sender_watch_stop(&j->exited);
	if (!j->reaped && j->pid > 0) {
		/* cancelled (the sender is going away): no zombie, no orphan left running */
		kill(-j->pid, SIGKILL);
		while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(j->input);
	free(j->name);
	free(j);
}

/* ---- the start ---------------------------------------------------------------------------- */

/* A pipe whose ends are close-on-exec and above stdio (so a daemon started with fd 0, 1 or 2
 * closed cannot have a child's dup2 clobber one end with another). */
static int make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC))
		return -1;
	for (int i = 0; i < 2; i++) {
		if (p[i] <= 2) {
			int fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3);
			if (fd < 0) {
				close(p[0]);
				close(p[1]);
				return -1;
			}
			close(p[i]);
			p[i] = fd;
		}
	}
	return 0;
}

static void close_pipe(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

/* The program a command names: a path as it is, a bare name searched in CHILD_PATH. NULL when
 * there is no such executable. */
static const char *find_program(const char *name, char *buf, size_t len)
{
	const char *dir = CHILD_PATH;

	if (strchr(name, '/'))
		return name;
	while (*dir) {
		size_t n = strcspn(dir, ":");
		if ((size_t)snprintf(buf, len, "%.*s/%s", (int)n, dir, name) < len &&
		    !access(buf, X_OK))
			return buf;
		dir += n + (dir[n] == ':');
	}
	return NULL;
}

/* The child's environment: the fixed one, then extra's entries (checked by the caller). NULL
 * when out of memory. */
static char **child_environment(const char *const *extra)
{
	size_t n_fixed = sizeof child_env / sizeof child_env[0] - 1, n_extra = 0;
	char **env;

	while (extra && extra[n_extra])
		n_extra++;
	env = calloc(n_fixed + n_extra + 1, sizeof *env);
	if (!env)
		return NULL;
	memcpy(env, child_env, n_fixed * sizeof *env);
	for (size_t i = 0; i < n_extra; i++)
		env[n_fixed + i] = (char *)extra[i];
	return env;
}

/* Only COMMCELL_NAME=value: the fixed variables (PATH above all) cannot be replaced. */
static bool extra_env_ok(const char *const *extra)
{
	for (size_t i = 0; extra && extra[i]; i++) {
		const char *e = extra[i], *eq = strchr(e, '=');
		if (strncmp(e, "COMMCELL_", 9) || !eq || eq - e <= 9)
			return false;
		for (const char *c = e; c < eq; c++)
			if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
				return false;
	}
	return true;
}

static int spawn(pid_t *pid, const char *const *argv, char *const *envp, int in, int out,
		 int err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	char buf[4096];
	const char *program = find_program(argv[0], buf, sizeof buf);
	int rc;

	if (!program)
		return ENOENT;
	sigemptyset(&none);
	sigfillset(&all);
	if ((rc = posix_spawn_file_actions_init(&fa)))
		return rc;
	if ((rc = posix_spawnattr_init(&at))) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	if (!(rc = posix_spawn_file_actions_adddup2(&fa, in, 0)) &&
	    !(rc = posix_spawn_file_actions_adddup2(&fa, out, 1)) &&
	    !(rc = posix_spawn_file_actions_adddup2(&fa, err, 2)) &&
	    !(rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) &&
	    !(rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						     POSIX_SPAWN_SETSIGDEF)) &&
	    !(rc = posix_spawnattr_setpgroup(&at, 0)) &&
	    !(rc = posix_spawnattr_setsigmask(&at, &none)) &&
	    !(rc = posix_spawnattr_setsigdefault(&at, &all)))
		rc = posix_spawn(pid, program, &fa, &at, (char *const *)argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

int cc_sender_exec(struct cc_sender *s, const char *const *argv, const char *stdin_json,
		   int timeout_ms, cc_send_done done, void *arg)
{
	return cc_sender_exec_env(s, argv, NULL, stdin_json, timeout_ms, done, arg);
}

int cc_sender_exec_env(struct cc_sender *s, const char *const *argv, const char *const *env,
		       const char *stdin_json, int timeout_ms, cc_send_done done, void *arg)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct exec_job *j;
	char msg[512];
	char **envp;
	int rc, pfd;

	if (!s || s->dying || !argv || !argv[0] || !argv[0][0] || !extra_env_ok(env))
		return -1;
	envp = child_environment(env);
	if (!envp)
		return -1;
	if (make_pipe(in) || make_pipe(out) || make_pipe(err)) {
		close_pipe(in);
		close_pipe(out);
		close_pipe(err);
		free(envp);
		return -1;
	}
	/* our ends only; the child's stay blocking as programs expect */
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);

	j = cc_xcalloc(1, sizeof *j);
	j->name = cc_xstrdup(argv[0]);
	j->timeout_ms = timeout_ms > 0 ? timeout_ms : CC_SENDER_DEFAULT_TIMEOUT_MS;
	j->input_len = stdin_json ? strlen(stdin_json) : 0;
	j->input = cc_xstrdup(stdin_json ? stdin_json : "");
	j->in.fd = j->out.fd = j->err.fd = j->exited.fd = -1;
	cc_sender_job_add(s, &j->base, done, arg, release);

	/* posix_spawn copies the environment: ours is done with once it returns */
	rc = spawn(&j->pid, argv, envp, in[0], out[1], err[1]);
	free(envp);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (rc) {
		close(in[1]);
		close(out[0]);
		close(err[0]);
		j->pid = 0;
		j->reaped = true;
		snprintf(msg, sizeof msg, "cannot run %s: %s", j->name, strerror(rc));
		cc_sender_job_fail_later(&j->base, msg);
		return 0;
	}

	/* unwatched output is lost (its fd is closed, so the child gets EPIPE, not a hang) */
	if (cc_sender_watch_start(s, &j->out, out[0], on_out))
		cc_warn("exec %s: cannot watch its stdout", j->name);
	if (cc_sender_watch_start(s, &j->err, err[0], on_err))
		cc_warn("exec %s: cannot watch its stderr", j->name);
	pfd = s->use_pidfd ? pidfd_open(j->pid, 0) : -1;
	if (pfd < 0 || cc_sender_watch_start(s, &j->exited, pfd, on_exited))
		lws_sul_schedule(s->ctx, 0, &j->poll_sul, poll_fired,
				 (lws_usec_t)POLL_MS * LWS_US_PER_MS);
	start_input(j, in[1]);
	lws_sul_schedule(s->ctx, 0, &j->timeout_sul, timeout_fired,
			 (lws_usec_t)j->timeout_ms * LWS_US_PER_MS);
	return 0;
}
