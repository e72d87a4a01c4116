/* commcelld: one live picture of a health system's unplanned-care pathway. */
#include "app.h"
#include "config.h"
#include "httpd.h"
#include "log.h"
#include "pwhash.h"
#include "secret.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: commcelld --config FILE      run the daemon\n"
		"       commcelld --check-config FILE validate FILE and exit (0 good, 1 bad)\n"
		"       commcelld --hash-password     read a password on stdin, print its stored form\n"
		"                                     (for adding the first admin to the hub by SQL)\n"
		"       commcelld --version\n");
}

/* One line from stdin (without its newline) -> the crypto_pwhash string on stdout. */
static int hash_password(void)
{
	char line[1100], out[256];
	size_t n;

	if (cc_secret_init() || !fgets(line, sizeof line, stdin)) {
		fprintf(stderr, "commcelld: no password on standard input\n");
		return 1;
	}
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n < 1 || n > 1024) {
		fprintf(stderr, "commcelld: the password must have 1 to 1024 characters\n");
		return 1;
	}
	if (cc_pwhash_hash_now(line, out, sizeof out)) {
		fprintf(stderr, "commcelld: out of memory while hashing\n");
		return 1;
	}
	memset(line, 0, sizeof line);
	printf("%s\n", out);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "hash-password", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool check_only = false;
	struct cc_config *cfg;
	struct cc_app *app;
	struct cc_httpd *httpd;
	struct cc_app_front front;
	char err[1024];
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:C:VhH", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			path = optarg;
			check_only = true;
			break;
		case 'V':
			printf("commcelld 0.1.0\n");
			return 0;
		case 'H':
			return hash_password();
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	cfg = cc_config_load(path, err, sizeof err);
	if (!cfg) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check_only) {
		printf("%s: ok\n", path);
		cc_config_destroy(cfg);
		return 0;
	}
	cc_log_set_level(cfg->log_level);
	cc_log_hook_lws();
	httpd = cc_httpd_create(cfg, err, sizeof err);
	if (!httpd) {
		cc_error("%s", err);
		cc_config_destroy(cfg);
		return 1;
	}
	cc_httpd_front(httpd, &front);
	app = cc_app_create(cfg, &front, err, sizeof err);
	if (!app) {
		cc_error("%s", err);
		cc_config_destroy(cfg);
		return 1;
	}
	rc = cc_app_run(app);
	cc_app_destroy(app);
	cc_config_destroy(cfg);
	cc_info("stopped");
	return rc;
}
