/* The sd_notify messages commcelld sends, read from a datagram socket standing in for
 * systemd's: one READY=1, STATUS= only on change and on one line, nothing after STOPPING=1,
 * nothing at all without NOTIFY_SOCKET. */
#include "check_main.h"
#include "sdnotify.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int sock = -1;
static char path[108];

static void listen_setup(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(path, sizeof path, "/tmp/cc-sdnotify-%d.sock", (int)getpid());
	unlink(path);
	strcpy(a.sun_path, path);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(bind(sock, (struct sockaddr *)&a, sizeof a), 0);
	setenv("NOTIFY_SOCKET", path, 1);
	unsetenv("WATCHDOG_USEC");
}

static void listen_teardown(void)
{
	close(sock);
	unlink(path);
	unsetenv("NOTIFY_SOCKET");
}

/* The next message, or "" when none is waiting. */
static const char *next_msg(void)
{
	static char buf[1024];
	ssize_t n = recv(sock, buf, sizeof buf - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

START_TEST(ready_once_status_on_change)
{
	/* no WATCHDOG_USEC: no timer, so no lws context is needed */
	struct cc_sdnotify *n = cc_sdnotify_create(NULL);

	ck_assert(cc_sdnotify_enabled(n));
	ck_assert_uint_eq(cc_sdnotify_watchdog_usec(n), 0);
	ck_assert_int_eq(cc_sdnotify_update(n, false, "waiting: the hub"), 0);
	ck_assert_str_eq(next_msg(), "STATUS=waiting: the hub");
	ck_assert_int_eq(cc_sdnotify_update(n, false, "waiting: the hub"), 0);
	ck_assert_str_eq(next_msg(), "");
	ck_assert_int_eq(cc_sdnotify_update(n, true, "ready: 5 partners, leader"), 0);
	ck_assert_str_eq(next_msg(), "READY=1\nSTATUS=ready: 5 partners, leader");
	ck_assert_int_eq(cc_sdnotify_update(n, true, "ready: 5 partners, leader"), 0);
	ck_assert_str_eq(next_msg(), "");
	/* readiness lost and regained: systemd hears the words, READY=1 was said once */
	cc_sdnotify_update(n, false, "waiting: the hub");
	ck_assert_str_eq(next_msg(), "STATUS=waiting: the hub");
	cc_sdnotify_update(n, true, "ready: 5 partners, leader");
	ck_assert_str_eq(next_msg(), "STATUS=ready: 5 partners, leader");
	cc_sdnotify_destroy(n);
}
END_TEST

START_TEST(status_stays_on_one_line)
{
	struct cc_sdnotify *n = cc_sdnotify_create(NULL);

	/* libpq's messages end in a newline: it must not start a field of its own */
	cc_sdnotify_update(n, false, "waiting: could not connect\n\tREADY=1\n");
	ck_assert_str_eq(next_msg(), "STATUS=waiting: could not connect  READY=1 ");
	cc_sdnotify_destroy(n);
}
END_TEST

START_TEST(nothing_after_stopping)
{
	struct cc_sdnotify *n = cc_sdnotify_create(NULL);

	ck_assert_int_eq(cc_sdnotify_stopping(n, "stopping"), 0);
	ck_assert_str_eq(next_msg(), "STOPPING=1\nSTATUS=stopping");
	cc_sdnotify_update(n, true, "ready: 5 partners, leader");
	cc_sdnotify_stopping(n, "stopping");
	ck_assert_str_eq(next_msg(), "");
	cc_sdnotify_destroy(n);
}
END_TEST

START_TEST(silent_without_notify_socket)
{
	struct cc_sdnotify *n;

	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "1000000", 1);
	n = cc_sdnotify_create(NULL);
	ck_assert(!cc_sdnotify_enabled(n));
	ck_assert_uint_eq(cc_sdnotify_watchdog_usec(n), 0);
	ck_assert_int_eq(cc_sdnotify_update(n, true, "ready"), 0);
	ck_assert_int_eq(cc_sdnotify_stopping(n, "stopping"), 0);
	ck_assert_str_eq(next_msg(), "");
	cc_sdnotify_destroy(n);
	unsetenv("WATCHDOG_USEC");
}
END_TEST

START_TEST(a_vanished_socket_is_an_error)
{
	struct cc_sdnotify *n = cc_sdnotify_create(NULL);

	unlink(path);
	ck_assert_int_eq(cc_sdnotify_update(n, true, "ready"), -1);
	cc_sdnotify_destroy(n);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("sdnotify");

	tcase_add_checked_fixture(tc, listen_setup, listen_teardown);
	tcase_add_test(tc, ready_once_status_on_change);
	tcase_add_test(tc, status_stays_on_one_line);
	tcase_add_test(tc, nothing_after_stopping);
	tcase_add_test(tc, silent_without_notify_socket);
	tcase_add_test(tc, a_vanished_socket_is_an_error);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
