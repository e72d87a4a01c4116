#include "check_main.h"
#include "config.h"
#include "reload.h"

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[1024];

static struct cc_config *parse(const char *text)
{
	err[0] = '\0';
	return cc_config_parse("test.conf", text, err, sizeof err);
}

START_TEST(good_file_with_all_keys)
{
	struct cc_config *c = parse("# comment\n\nlisten_port = 9090\nlisten_address = 127.0.0.1\n"
				    "hub = host=/tmp port=5432 dbname=commcell\n"
				    "web_root = /tmp\nlog_level = debug\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->listen_port, 9090);
	ck_assert_str_eq(c->listen_address, "127.0.0.1");
	ck_assert_str_eq(c->hub, "host=/tmp port=5432 dbname=commcell");
	ck_assert_str_eq(c->web_root, "/tmp");
	ck_assert_int_eq(c->log_level, CC_LOG_DEBUG);
	cc_config_destroy(c);
}
END_TEST

START_TEST(defaults)
{
	struct cc_config *c = parse("hub = dbname=commcell\nweb_root = /tmp\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->listen_port, 8080);
	ck_assert_ptr_null(c->listen_address);
	ck_assert_int_eq(c->log_level, CC_LOG_INFO);
	cc_config_destroy(c);
}
END_TEST

START_TEST(unknown_key_has_line)
{
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\nlisten_prot = 80\n"));
	ck_assert_msg(strstr(err, "test.conf:3:") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "unknown key 'listen_prot'") != NULL, "%s", err);
}
END_TEST

START_TEST(bad_port)
{
	ck_assert_ptr_null(parse("listen_port = 99999\nhub = dbname=x\nweb_root = /tmp\n"));
	ck_assert_msg(strstr(err, "test.conf:1:") && strstr(err, "1 to 65535"), "%s", err);
	ck_assert_ptr_null(parse("listen_port = 80x\nhub = dbname=x\nweb_root = /tmp\n"));
	ck_assert_msg(strstr(err, "test.conf:1:"), "%s", err);
	ck_assert_ptr_null(parse("listen_port = 0\nhub = dbname=x\nweb_root = /tmp\n"));
}
END_TEST

START_TEST(backfill_days)
{
	struct cc_config *c = parse("hub = dbname=x\nweb_root = /tmp\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->backfill_days, 42);
	cc_config_destroy(c);
	c = parse("hub = dbname=x\nweb_root = /tmp\nbackfill_days = 0\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->backfill_days, 0);
	cc_config_destroy(c);
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\nbackfill_days = 401\n"));
	ck_assert_msg(strstr(err, "test.conf:3:") && strstr(err, "backfill_days"), "%s", err);
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\nbackfill_days = -1\n"));
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\nbackfill_days = six\n"));
}
END_TEST

START_TEST(bad_log_level)
{
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\nlog_level = loud\n"));
	ck_assert_msg(strstr(err, "test.conf:3:") && strstr(err, "log_level"), "%s", err);
}
END_TEST

START_TEST(missing_hub)
{
	ck_assert_ptr_null(parse("web_root = /tmp\n# end\n"));
	ck_assert_msg(strstr(err, "'hub'") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "test.conf:3:") != NULL, "%s", err);
}
END_TEST

START_TEST(web_root_must_exist)
{
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /nonexistent/commcell\n"));
	ck_assert_msg(strstr(err, "test.conf:2:") && strstr(err, "not a directory"), "%s", err);
}
END_TEST

START_TEST(bad_listen_address)
{
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\nlisten_address = 127.0.0.300\n"));
	ck_assert_msg(strstr(err, "test.conf:3:") && strstr(err, "listen_address"), "%s", err);
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\nlisten_address = not-an-ip\n"));
	struct cc_config *c = parse("hub = dbname=x\nweb_root = /tmp\nlisten_address = ::1\n");
	ck_assert_ptr_nonnull(c);
	cc_config_destroy(c);
	c = parse("hub = dbname=x\nweb_root = /tmp\nlisten_address = lo\n");
	ck_assert_ptr_nonnull(c);
	cc_config_destroy(c);
}
END_TEST

START_TEST(line_without_equals)
{
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root /tmp\n"));
	ck_assert_msg(strstr(err, "test.conf:2:") && strstr(err, "key = value"), "%s", err);
}
END_TEST

START_TEST(duplicate_key)
{
	ck_assert_ptr_null(parse("hub = dbname=x\nhub = dbname=y\nweb_root = /tmp\n"));
	ck_assert_msg(strstr(err, "test.conf:2:") && strstr(err, "more than once"), "%s", err);
}
END_TEST

START_TEST(hub_must_look_like_conninfo)
{
	ck_assert_ptr_null(parse("hub = commcell\nweb_root = /tmp\n"));
	ck_assert_msg(strstr(err, "test.conf:1:"), "%s", err);
	struct cc_config *c = parse("hub = postgresql://localhost/commcell\nweb_root = /tmp\n");
	ck_assert_ptr_nonnull(c);
	cc_config_destroy(c);
}
END_TEST

START_TEST(load_from_file)
{
	char path[] = "/tmp/commcell-test-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "hub = dbname=x\nweb_root = /tmp\nbogus = 1\n";
	struct cc_config *c;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	c = cc_config_load(path, err, sizeof err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, path) && strstr(err, ":3:"), "%s", err);
	unlink(path);
	ck_assert_ptr_null(cc_config_load("/nonexistent/commcell.conf", err, sizeof err));
	ck_assert_msg(strstr(err, "cannot open"), "%s", err);
}
END_TEST

START_TEST(anonymous_display_is_off_unless_asked)
{
	struct cc_config *c = parse("hub = dbname=x\nweb_root = /tmp\n");
	ck_assert_ptr_nonnull(c);
	ck_assert(!c->allow_anonymous_display);
	cc_config_destroy(c);
	c = parse("hub = dbname=x\nweb_root = /tmp\nallow_anonymous_display = true\n");
	ck_assert_ptr_nonnull(c);
	ck_assert(c->allow_anonymous_display);
	cc_config_destroy(c);
	c = parse("hub = dbname=x\nweb_root = /tmp\nallow_anonymous_display = false\n");
	ck_assert_ptr_nonnull(c);
	ck_assert(!c->allow_anonymous_display);
	cc_config_destroy(c);
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\nallow_anonymous_display = maybe\n"));
	ck_assert_msg(strstr(err, "test.conf:3:") && strstr(err, "true or false"), "%s", err);
}
END_TEST

START_TEST(security_keys_and_defaults)
{
	struct cc_config *c = parse("hub = dbname=x\nweb_root = /tmp\n");
	ck_assert_ptr_nonnull(c);
	/* defaults: loopback may read /metrics, nobody is a trusted proxy */
	ck_assert(cc_cidrs_match(c->metrics_allow, "127.0.0.1"));
	ck_assert(cc_cidrs_match(c->metrics_allow, "::1"));
	ck_assert(!cc_cidrs_match(c->metrics_allow, "10.0.0.1"));
	ck_assert_uint_eq(cc_cidrs_count(c->trusted_proxies), 0);
	ck_assert_int_eq(c->max_connections_per_address, 200);
	ck_assert_int_eq(c->max_uri_bytes, 2048);
	ck_assert_int_eq(c->handshake_timeout_s, 10);
	ck_assert_uint_eq(c->n_allowed_origins, 0);
	cc_config_destroy(c);

	c = parse("hub = dbname=x\nweb_root = /tmp\ntrusted_proxies = 10.0.0.0/8, fd00::/8\n"
		  "allowed_origins = https://ops.example.nhs.uk http://10.1.2.3:8080\n"
		  "metrics_allow = 192.168.0.0/16\nmax_uri_bytes = 4096\n"
		  "ws_messages_per_s = 5\n");
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert(cc_cidrs_match(c->trusted_proxies, "10.9.8.7"));
	ck_assert(cc_cidrs_match(c->trusted_proxies, "fd00::1"));
	ck_assert(!cc_cidrs_match(c->metrics_allow, "127.0.0.1"));
	ck_assert_uint_eq(c->n_allowed_origins, 2);
	ck_assert_str_eq(c->allowed_origins[1], "http://10.1.2.3:8080");
	ck_assert_int_eq(c->max_uri_bytes, 4096);
	ck_assert_int_eq(c->ws_messages_per_s, 5);
	cc_config_destroy(c);
}
END_TEST

START_TEST(security_keys_refuse_nonsense)
{
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\ntrusted_proxies = 10.0.0.0/33\n"));
	ck_assert_msg(strstr(err, "test.conf:3:") && strstr(err, "prefix length"), "%s", err);
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\ntrusted_proxies = haproxy\n"));
	ck_assert_msg(strstr(err, "'haproxy' is not an IPv4 or IPv6 address"), "%s", err);
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\nallowed_origins = example.org\n"));
	ck_assert_msg(strstr(err, "not an origin"), "%s", err);
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\n"
				 "allowed_origins = https://a.example/path\n"));
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\nmax_header_bytes = 10\n"));
	ck_assert_msg(strstr(err, "max_header_bytes must be a whole number from 1024"), "%s", err);
	ck_assert_ptr_null(parse("hub = dbname=x\nweb_root = /tmp\nmetrics_token_file = /nonexistent\n"));
	ck_assert_msg(strstr(err, "not a readable file"), "%s", err);
}
END_TEST

/* A self-signed P-256 certificate and its key written to DIR/NAME.crt and DIR/NAME.key. */
static void make_pair(const char *dir, const char *name)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	char path[512];
	FILE *f;

	ck_assert_ptr_nonnull(key);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	ck_assert(X509_sign(x, key, EVP_sha256()) > 0);
	snprintf(path, sizeof path, "%s/%s.crt", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof path, "%s/%s.key", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
}

static struct cc_config *parse_tls(const char *dir, const char *cert, const char *key)
{
	char text[1200];

	snprintf(text, sizeof text, "hub = dbname=x\nweb_root = /tmp\n"
				    "tls_cert_file = %s/%s\ntls_key_file = %s/%s\n", dir, cert, dir, key);
	return parse(text);
}

START_TEST(tls_keys)
{
	char dir[] = "/tmp/commcell-test-tls-XXXXXX", text[600], *base;
	struct cc_config *c;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	make_pair(dir, "a");
	make_pair(dir, "b");

	c = parse_tls(dir, "a.crt", "a.key");
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert(strstr(c->tls_cert_file, "/a.crt") && strstr(c->tls_key_file, "/a.key"));
	base = cc_config_public_base(c);
	ck_assert_str_eq(base, "https://localhost:8080");   /* TLS: the default link is https */
	free(base);
	cc_config_destroy(c);

	/* a key of another certificate, reported at the line of the later key */
	ck_assert_ptr_null(parse_tls(dir, "a.crt", "b.key"));
	ck_assert_msg(strstr(err, "test.conf:4:") && strstr(err, "does not match the certificate"),
		      "%s", err);
	/* the files the wrong way round */
	ck_assert_ptr_null(parse_tls(dir, "a.key", "a.crt"));
	ck_assert_msg(strstr(err, "test.conf:4:") && strstr(err, "no usable PEM certificate"),
		      "%s", err);
	ck_assert_ptr_null(parse_tls(dir, "a.crt", "missing.key"));
	ck_assert_msg(strstr(err, "test.conf:4:") && strstr(err, "not a readable file"), "%s", err);

	/* both or neither */
	snprintf(text, sizeof text, "hub = dbname=x\nweb_root = /tmp\ntls_cert_file = %s/a.crt\n",
		 dir);
	ck_assert_ptr_null(parse(text));
	ck_assert_msg(strstr(err, "test.conf:3:") &&
		      strstr(err, "tls_cert_file is set but tls_key_file is not"), "%s", err);
	snprintf(text, sizeof text, "hub = dbname=x\nweb_root = /tmp\ntls_key_file = %s/a.key\n",
		 dir);
	ck_assert_ptr_null(parse(text));
	ck_assert_msg(strstr(err, "tls_key_file is set but tls_cert_file is not"), "%s", err);

	for (const char *n = "a.crt\0a.key\0b.crt\0b.key\0"; *n; n += strlen(n) + 1) {
		snprintf(text, sizeof text, "%s/%s", dir, n);
		unlink(text);
	}
	rmdir(dir);
}
END_TEST

START_TEST(public_base)
{
	struct cc_config *c = parse("hub = dbname=x\nweb_root = /tmp\nlisten_port = 9000\n");
	char *base = cc_config_public_base(c);

	ck_assert_str_eq(base, "http://localhost:9000");
	free(base);
	cc_config_destroy(c);
	c = parse("hub = dbname=x\nweb_root = /tmp\npublic_url = https://ops.example.org/cc/\n");
	base = cc_config_public_base(c);
	ck_assert_str_eq(base, "https://ops.example.org/cc");
	free(base);
	cc_config_destroy(c);
}
END_TEST

static void note_key(const char *key, void *arg)
{
	char *seen = arg;

	strcat(seen, key);
	strcat(seen, " ");
}

/* SIGHUP: restart-only keys keep their running values and are named; live ones pass. */
START_TEST(reload_keeps_restart_only_keys)
{
	struct cc_config *running = parse("hub = dbname=x\nweb_root = /tmp\nlisten_port = 9000\n"
					  "max_uri_bytes = 2048\nfanout_threads = 2\n");
	struct cc_config *next = parse("hub = dbname=y\nweb_root = /tmp\nlisten_port = 9001\n"
				       "max_uri_bytes = 1024\nfanout_threads = 2\n"
				       "log_level = debug\nhandshake_timeout_s = 5\n");
	char seen[200] = "";

	ck_assert_ptr_nonnull(running);
	ck_assert_ptr_nonnull(next);
	ck_assert_uint_eq(cc_reload_keep_restart_only(next, running, note_key, seen), 3);
	ck_assert_str_eq(seen, "listen_port hub handshake_timeout_s ");
	ck_assert_int_eq(next->listen_port, 9000);
	ck_assert_str_eq(next->hub, "dbname=x");
	ck_assert_int_eq(next->handshake_timeout_s, 10);
	/* live: the new values stand */
	ck_assert_int_eq(next->max_uri_bytes, 1024);
	ck_assert_int_eq(next->log_level, CC_LOG_DEBUG);
	seen[0] = '\0';
	ck_assert_uint_eq(cc_reload_keep_restart_only(next, running, note_key, seen), 0);
	cc_config_destroy(running);
	cc_config_destroy(next);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, good_file_with_all_keys);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, unknown_key_has_line);
	tcase_add_test(tc, bad_port);
	tcase_add_test(tc, bad_log_level);
	tcase_add_test(tc, missing_hub);
	tcase_add_test(tc, web_root_must_exist);
	tcase_add_test(tc, bad_listen_address);
	tcase_add_test(tc, line_without_equals);
	tcase_add_test(tc, duplicate_key);
	tcase_add_test(tc, hub_must_look_like_conninfo);
	tcase_add_test(tc, load_from_file);
	tcase_add_test(tc, anonymous_display_is_off_unless_asked);
	tcase_add_test(tc, security_keys_and_defaults);
	tcase_add_test(tc, security_keys_refuse_nonsense);
	tcase_add_test(tc, tls_keys);
	tcase_add_test(tc, public_base);
	tcase_add_test(tc, reload_keeps_restart_only_keys);
	tcase_add_test(tc, backfill_days);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
