/* The direct fan-out: frame headers as RFC 6455 lays them out for a server, and parallel sends
 * that reach every socket once, report a full socket or a bad one, and split work by batch. */
#include "bus.h"
#include "check_main.h"
#include "fanout.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void check_header(size_t len)
{
	char *text = malloc(len + 1);
	struct cc_msg *m;
	const unsigned char *f;
	size_t flen, h;

	memset(text, 'x', len);
	text[len] = '\0';
	m = cc_msg_create(text, len);
	f = cc_msg_frame(m, &flen);
	ck_assert_uint_eq(f[0], 0x81);          /* FIN, text, no RSV bits */
	if (len < 126) {
		h = 2;
		ck_assert_uint_eq(f[1], len);   /* no mask bit from a server */
	} else if (len <= 0xffff) {
		h = 4;
		ck_assert_uint_eq(f[1], 126);
		ck_assert_uint_eq((size_t)f[2] << 8 | f[3], len);
	} else {
		uint64_t n = 0;
		h = 10;
		ck_assert_uint_eq(f[1], 127);
		for (int k = 2; k < 10; k++)
			n = n << 8 | f[k];
		ck_assert_uint_eq(n, len);
	}
	ck_assert_uint_eq(flen, h + len);
	ck_assert(memcmp(f + h, text, len) == 0);
	ck_assert_ptr_eq(f + h, (const unsigned char *)cc_msg_text(m));
	cc_msg_unref(m);
	free(text);
}

START_TEST(frame_headers)
{
	size_t lens[] = { 0, 1, 125, 126, 127, 65535, 65536, 70000 };
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
		check_header(lens[i]);
}
END_TEST

#define PAIRS 50

START_TEST(every_socket_once_in_parallel)
{
	int sv[PAIRS][2];
	struct cc_fanout_job jobs[PAIRS];
	char err[160] = "";
	struct cc_fanout *f = cc_fanout_create(3, 2, err, sizeof err);
	const char msg[] = "one frame for everyone";

	ck_assert_msg(f != NULL, "%s", err);
	for (int i = 0; i < PAIRS; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv[i]), 0);
		jobs[i].fd = sv[i][0];
	}
	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(cc_fanout_run(f, jobs, PAIRS, msg, sizeof msg), 3);
		for (int i = 0; i < PAIRS; i++) {
			char got[64];
			ck_assert_int_eq(jobs[i].sent, (ssize_t)sizeof msg);
			ck_assert_int_eq(read(sv[i][1], got, sizeof got), (ssize_t)sizeof msg);
			ck_assert(memcmp(got, msg, sizeof msg) == 0);
		}
	}
	/* too few jobs for a second thread: the caller does them alone */
	ck_assert_int_eq(cc_fanout_run(f, jobs, 3, msg, sizeof msg), 1);
	for (int i = 0; i < PAIRS; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
	cc_fanout_destroy(f);
}
END_TEST

START_TEST(full_and_bad_sockets_are_reported)
{
	int full[2], ok[2];
	struct cc_fanout_job jobs[3];
	char err[160] = "", chunk[4096];
	struct cc_fanout *f = cc_fanout_create(2, 1, err, sizeof err);
	const char msg[] = "x";

	ck_assert_msg(f != NULL, "%s", err);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, full), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, ok), 0);
	memset(chunk, 0, sizeof chunk);
	while (write(full[0], chunk, sizeof chunk) > 0)
		;
	while (write(full[0], chunk, 1) > 0)
		;
	jobs[0].fd = full[0];
	jobs[1].fd = -1;
	jobs[2].fd = ok[0];
	cc_fanout_run(f, jobs, 3, msg, sizeof msg);
	ck_assert_int_eq(jobs[0].sent, -1);
	ck_assert_int_eq(jobs[0].err, EAGAIN);
	ck_assert_int_eq(jobs[1].sent, -1);
	ck_assert_int_eq(jobs[1].err, EBADF);
	ck_assert_int_eq(jobs[2].sent, (ssize_t)sizeof msg);
	ck_assert_int_eq(jobs[2].err, 0);
	close(full[0]);
	close(full[1]);
	close(ok[0]);
	close(ok[1]);
	cc_fanout_destroy(f);
}
END_TEST

START_TEST(one_thread_means_the_caller)
{
	char err[160] = "";
	struct cc_fanout *f = cc_fanout_create(1, 1, err, sizeof err);
	int sv[2];
	struct cc_fanout_job job;

	ck_assert_msg(f != NULL, "%s", err);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	job.fd = sv[0];
	ck_assert_int_eq(cc_fanout_run(f, &job, 1, "ab", 2), 1);
	ck_assert_int_eq(job.sent, 2);
	ck_assert_int_ge(cc_fanout_cpus(), 1);
	close(sv[0]);
	close(sv[1]);
	cc_fanout_destroy(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fanout");
	TCase *tc = tcase_create("fanout");

	tcase_add_test(tc, frame_headers);
	tcase_add_test(tc, every_socket_once_in_parallel);
	tcase_add_test(tc, full_and_bad_sockets_are_reported);
	tcase_add_test(tc, one_thread_means_the_caller);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
