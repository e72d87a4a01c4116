/* The transport's pure parts (issue 12): client WebSocket messages, the route matcher, the
 * Origin and /metrics policy, connection counting and the allow-list of served files. */
#include "access.h"
#include "check_main.h"
#include "config.h"
#include "connlimit.h"
#include "routes.h"
#include "secret.h"
#include "utf8.h"
#include "webroot.h"
#include "wsmsg.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct cc_config *config(const char *extra)
{
	char text[2048], err[512];
	struct cc_config *cfg;

	snprintf(text, sizeof text, "listen_port = 8080\nhub = dbname=x\nweb_root = /tmp\n%s",
		 extra);
	cfg = cc_config_parse("test.conf", text, err, sizeof err);
	ck_assert_msg(cfg != NULL, "%s", err);
	return cfg;
}

/* The message that stopped the daemon: a type of 63 ASCII characters and then 'é', which a
 * cut at 64 bytes split in half. */
START_TEST(ws_type_cut_inside_a_character)
{
	char text[200], type[80], err[200];
	json_t *reply;

	memset(type, 'a', 63);
	strcpy(type + 63, "\xC3\xA9");
	snprintf(text, sizeof text, "{\"type\":\"%s\"}", type);
	ck_assert_int_eq(cc_wsmsg_parse(text, strlen(text), err, sizeof err), CC_WSMSG_ERROR);
	ck_assert(cc_utf8_valid(err, strlen(err)));
	ck_assert_ptr_ne(strstr(err, "unknown message type"), NULL);
	reply = json_pack("{s:s,s:s}", "type", "error", "message", err);
	ck_assert_ptr_ne(reply, NULL);
	json_decref(reply);
	/* every cut of the error text is valid too */
	for (size_t n = 1; n < 80; n++) {
		ck_assert_int_eq(cc_wsmsg_parse(text, strlen(text), err, n), CC_WSMSG_ERROR);
		ck_assert(cc_utf8_valid(err, strlen(err)));
	}
}
END_TEST

START_TEST(ws_messages)
{
	char err[200];
	static const char *const bad[] = {
		"", "null", "[]", "\"ping\"", "{}", "{\"type\":1}", "{\"type\":\"pong\"}",
		"{\"type\":\"ping\\u0000x\"}", "{\"type\":\"ping\",\"type\":\"ping\"}", "{\"type\":",
		"\xFF\xFE", "{\"type\":\"\\ud800\"}",
	};

	ck_assert_int_eq(cc_wsmsg_parse("{\"type\":\"ping\"}", 15, err, sizeof err), CC_WSMSG_PING);
	ck_assert_str_eq(err, "");
	/* not terminated: only len bytes count */
	ck_assert_int_eq(cc_wsmsg_parse("{\"type\":\"ping\"}garbage", 15, err, sizeof err),
			 CC_WSMSG_PING);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_int_eq(cc_wsmsg_parse(bad[i], strlen(bad[i]), err, sizeof err),
				 CC_WSMSG_ERROR);
		ck_assert(err[0]);
		ck_assert(cc_utf8_valid(err, strlen(err)));
	}
	/* a type with invalid UTF-8 escapes is still answered in valid text */
	ck_assert_int_eq(cc_wsmsg_parse("{\"type\":\"\xC3\"}", 12, err, sizeof err),
			 CC_WSMSG_ERROR);
	ck_assert(cc_utf8_valid(err, strlen(err)));
}
END_TEST

START_TEST(route_find)
{
	const char *tail = "x";
	bool known = true;
	const struct cc_route *rt;

	rt = cc_route_find("GET", "/api/feeds", &tail, &known);
	ck_assert_ptr_ne(rt, NULL);
	ck_assert(known);
	ck_assert_str_eq(tail, "");
	rt = cc_route_find("POST", "/api/alerts/17/ack", &tail, &known);
	ck_assert_ptr_ne(rt, NULL);
	ck_assert_str_eq(tail, "17/ack");
	/* a prefix route needs something after its prefix */
	ck_assert_ptr_eq(cc_route_find("POST", "/api/alerts/", &tail, &known), NULL);
	/* known path, other method: 405 rather than 404 */
	ck_assert_ptr_eq(cc_route_find("PUT", "/api/feeds", &tail, &known), NULL);
	ck_assert(known);
	ck_assert_ptr_eq(cc_route_find("GET", "/api/feedsx", &tail, &known), NULL);
	ck_assert(!known);
	ck_assert_ptr_eq(cc_route_find("GET", "", &tail, &known), NULL);
	ck_assert(!known);
}
END_TEST

START_TEST(origin_without_public_url)
{
	char err[200];
	struct cc_config *cfg = config("");
	struct cc_access *a = cc_access_create(cfg, err, sizeof err);

	ck_assert_ptr_ne(a, NULL);
	ck_assert(cc_access_origin_ok(a, "http://127.0.0.1:8080"));
	ck_assert(cc_access_origin_ok(a, "http://localhost:8080"));
	ck_assert(cc_access_origin_ok(a, "http://LOCALHOST:8080"));
	ck_assert(cc_access_origin_ok(a, "http://[::1]:8080"));
	/* DNS rebinding: the attacker's name resolves to us and its Host header matches */
	ck_assert(!cc_access_origin_ok(a, "http://evil.example:8080"));
	ck_assert(!cc_access_origin_ok(a, "http://127.0.0.1:8081"));
	ck_assert(!cc_access_origin_ok(a, "https://127.0.0.1:8080"));
	ck_assert(!cc_access_origin_ok(a, "http://127.0.0.1:8080.evil.example"));
	ck_assert(!cc_access_origin_ok(a, "http://127.0.0.1"));
	ck_assert(!cc_access_origin_ok(a, "null"));
	ck_assert(!cc_access_origin_ok(a, ""));
	ck_assert(!cc_access_origin_ok(a, NULL));
	cc_access_destroy(a);
	cc_config_destroy(cfg);
}
END_TEST

START_TEST(origin_with_public_url)
{
	char err[200];
	struct cc_config *cfg = config("public_url = https://Ops.Example.nhs.uk/commcell/\n"
				       "allowed_origins = http://10.1.2.3:8080, https://wall.example\n");
	struct cc_access *a = cc_access_create(cfg, err, sizeof err);

	ck_assert_ptr_ne(a, NULL);
	ck_assert(cc_access_origin_ok(a, "https://ops.example.nhs.uk"));
	ck_assert(cc_access_origin_ok(a, "https://ops.example.nhs.uk:443"));
	ck_assert(cc_access_origin_ok(a, "http://10.1.2.3:8080"));
	ck_assert(cc_access_origin_ok(a, "https://wall.example"));
	ck_assert(!cc_access_origin_ok(a, "http://ops.example.nhs.uk"));
	ck_assert(!cc_access_origin_ok(a, "http://127.0.0.1:8080"));   /* only with no public_url */
	ck_assert(!cc_access_origin_ok(a, "http://10.1.2.3:8081"));
	cc_access_destroy(a);
	cc_config_destroy(cfg);
}
END_TEST

START_TEST(metrics_access)
{
	char err[200], path[] = "/tmp/cc-test-http-XXXXXX", extra[300];
	int fd = mkstemp(path);
	struct cc_config *cfg;
	struct cc_access *a;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "s3cret-metrics-token-0123\n", 26), 26);
	close(fd);
	snprintf(extra, sizeof extra, "metrics_allow = 10.0.0.0/8\nmetrics_token_file = %s\n", path);
	cfg = config(extra);
	a = cc_access_create(cfg, err, sizeof err);
	ck_assert_msg(a != NULL, "%s", err);
	ck_assert(cc_access_metrics_ok(a, "10.9.8.7", NULL));
	ck_assert(!cc_access_metrics_ok(a, "127.0.0.1", NULL));  /* the list replaces loopback */
	ck_assert(cc_access_metrics_ok(a, "192.0.2.1", "Bearer s3cret-metrics-token-0123"));
	ck_assert(cc_access_metrics_ok(a, "192.0.2.1", "bearer  s3cret-metrics-token-0123"));
	ck_assert(!cc_access_metrics_ok(a, "192.0.2.1", "Bearer s3cret-metrics-token-012"));
	ck_assert(!cc_access_metrics_ok(a, "192.0.2.1", "Bearer "));
	ck_assert(!cc_access_metrics_ok(a, "192.0.2.1", "s3cret-metrics-token-0123"));
	cc_access_destroy(a);
	cc_config_destroy(cfg);
	cfg = config("");
	a = cc_access_create(cfg, err, sizeof err);
	ck_assert(cc_access_metrics_ok(a, "127.0.0.1", NULL));   /* loopback by default */
	ck_assert(cc_access_metrics_ok(a, "::1", NULL));
	ck_assert(!cc_access_metrics_ok(a, "192.0.2.1", "Bearer "));
	cc_access_destroy(a);
	cc_config_destroy(cfg);
	unlink(path);
}
END_TEST

START_TEST(connection_limits)
{
	struct cc_connlimit *c = cc_connlimit_create(5, 2);
	int conns[8];

	ck_assert_int_eq(cc_connlimit_admit(c, "192.0.2.1", false), CC_CONN_OK);
	ck_assert(cc_connlimit_attach(c, &conns[0]));
	ck_assert_int_eq(cc_connlimit_admit(c, "192.0.2.1", false), CC_CONN_OK);
	ck_assert(cc_connlimit_attach(c, &conns[1]));
	ck_assert_int_eq(cc_connlimit_admit(c, "192.0.2.1", false), CC_CONN_TOO_MANY_FROM_ADDRESS);
	ck_assert(!cc_connlimit_attach(c, &conns[7]));   /* a refusal leaves nothing pending */
	ck_assert_uint_eq(cc_connlimit_from(c, "192.0.2.1"), 2);
	ck_assert_int_ge(cc_connlimit_age_ms(c, &conns[1]), 0);
	ck_assert_int_eq(cc_connlimit_age_ms(c, &conns[7]), -1);
	/* a trusted proxy counts toward the total only */
	for (int i = 2; i < 5; i++) {
		ck_assert_int_eq(cc_connlimit_admit(c, "10.0.0.1", true), CC_CONN_OK);
		ck_assert(cc_connlimit_attach(c, &conns[i]));
	}
	ck_assert_uint_eq(cc_connlimit_open(c), 5);
	ck_assert_int_eq(cc_connlimit_admit(c, "192.0.2.9", false), CC_CONN_TOO_MANY);
	/* ends release; unknown ends are ignored */
	cc_connlimit_release(c, &conns[0]);
	cc_connlimit_release(c, &conns[0]);
	cc_connlimit_release(c, &conns[6]);
	ck_assert_uint_eq(cc_connlimit_open(c), 4);
	ck_assert_uint_eq(cc_connlimit_from(c, "192.0.2.1"), 1);
	/* admitted but never attached (lws gave up on the socket): released at the next admit */
	ck_assert_int_eq(cc_connlimit_admit(c, "192.0.2.1", false), CC_CONN_OK);
	ck_assert_uint_eq(cc_connlimit_from(c, "192.0.2.1"), 2);
	ck_assert_int_eq(cc_connlimit_admit(c, "192.0.2.2", false), CC_CONN_OK);
	ck_assert_uint_eq(cc_connlimit_from(c, "192.0.2.1"), 1);
	ck_assert(cc_connlimit_attach(c, &conns[0]));
	for (int i = 0; i < 5; i++)
		cc_connlimit_release(c, &conns[i]);
	ck_assert_uint_eq(cc_connlimit_open(c), 0);
	ck_assert_uint_eq(cc_connlimit_from(c, "192.0.2.1"), 0);
	cc_connlimit_destroy(c);
}
END_TEST

START_TEST(webroot_allow_list)
{
	char file[160], dir[] = "/tmp/cc-test-web-XXXXXX", p[300];
	const char *mime;
	struct cc_webroot *w;
	size_t len;
	char *body, err[200];
	FILE *f;
	static const char *const refused[] = {
		"/node_modules/uplot/package.json", "/.git/config", "/package.json", "/.env",
		"/../etc/passwd", "/a/../index.html", "/vendor/uplot/../../package.json",
		"/vendor/uplot/uPlot.d.ts", "/index.html/", "/x.json", "/manager/../secret.js",
		"//etc/passwd.js", "/wall.js%00.html",
	};

	ck_assert(cc_webroot_lookup("/", file, sizeof file, &mime));
	ck_assert_str_eq(file, "index.html");
	ck_assert_str_eq(mime, "text/html; charset=utf-8");
	ck_assert(cc_webroot_lookup("/manager", file, sizeof file, &mime));
	ck_assert_str_eq(file, "manager.html");
	ck_assert(cc_webroot_lookup("/manager/wall.css", file, sizeof file, &mime));
	ck_assert_str_eq(file, "wall.css");
	ck_assert(cc_webroot_lookup("/huddle", file, sizeof file, &mime));
	ck_assert_str_eq(file, "huddle.html");
	ck_assert(cc_webroot_lookup("/huddle/", file, sizeof file, &mime));
	ck_assert_str_eq(file, "huddle.html");
	ck_assert(cc_webroot_lookup("/huddle/huddle.js", file, sizeof file, &mime));
	ck_assert_str_eq(file, "huddle.js");
	ck_assert(!cc_webroot_lookup("/huddle/../manager.html", file, sizeof file, &mime));
	ck_assert(cc_webroot_lookup("/board.js", file, sizeof file, &mime));
	ck_assert_str_eq(mime, "text/javascript; charset=utf-8");
	ck_assert(cc_webroot_lookup("/vendor/uplot/uPlot.esm.js", file, sizeof file, &mime));
	ck_assert_str_eq(file, "node_modules/uplot/dist/uPlot.esm.js");
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		ck_assert_msg(!cc_webroot_lookup(refused[i], file, sizeof file, &mime), "%s",
			      refused[i]);

	/* a symbolic link in the root is never followed, even to a name on the list */
	ck_assert_ptr_ne(mkdtemp(dir), NULL);
	snprintf(p, sizeof p, "%s/index.html", dir);
	f = fopen(p, "w");
	fputs("<p>hi</p>", f);
	fclose(f);
	snprintf(p, sizeof p, "%s/secret.js", dir);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	w = cc_webroot_create(dir, err, sizeof err);
	ck_assert_ptr_ne(w, NULL);
	body = cc_webroot_read(w, "index.html", &len);
	ck_assert_ptr_ne(body, NULL);
	ck_assert_uint_eq(len, 9);
	free(body);
	ck_assert_ptr_eq(cc_webroot_read(w, "secret.js", &len), NULL);
	ck_assert_ptr_eq(cc_webroot_read(w, "missing.js", &len), NULL);
	cc_webroot_destroy(w);
	unlink(p);
	snprintf(p, sizeof p, "%s/index.html", dir);
	unlink(p);
	rmdir(dir);
	ck_assert_ptr_eq(cc_webroot_create("/nonexistent-dir", err, sizeof err), NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");

	if (cc_secret_init())
		return EXIT_FAILURE;
	tcase_add_test(tc, ws_type_cut_inside_a_character);
	tcase_add_test(tc, ws_messages);
	tcase_add_test(tc, route_find);
	tcase_add_test(tc, origin_without_public_url);
	tcase_add_test(tc, origin_with_public_url);
	tcase_add_test(tc, metrics_access);
	tcase_add_test(tc, connection_limits);
	tcase_add_test(tc, webroot_allow_list);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
