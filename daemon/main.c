/* commcelld: one live picture of a health system's unplanned-care pathway. */
#include "app.h"
#include "config.h"
#include "httpd.h"
#include "log.h"
#include "migrate.h"
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
		"       commcelld --migrate --config FILE  apply the hub migrations this commcelld\n"
		"                                     has and the hub lacks, then exit (0: the hub is\n"
		"                                     up to date; 1: a migration failed, see stderr)\n"
		"       commcelld --hash-password     read a password on stdin, print its stored form\n"
		"                                     (for adding the first admin to the hub by SQL)\n"
		"       commcelld --version\n"
		"  --migrations-dir DIR  with --migrate: apply the hub migrations in DIR/*.sql instead\n"
		"                        of those built in (for tests and packagers; a daemon refuses\n"
		"                        a hub with migrations it was not built with)\n");
}

static void say_line(const char *line, void *user)
{
	(void)user;
	printf("%s\n", line);
	fflush(stdout);
}

static struct cc_migrations *load_migrations(const char *dir)
{
	char err[1024];
	struct cc_migrations *m = dir ? cc_migrations_from_dir(dir, err, sizeof err)
				      : cc_migrations_embedded();

	if (!m)
		fprintf(stderr, "commcelld: %s\n", err);
	return m;
}

/* --migrate: blocking libpq is fine, nothing is being served. */
static int migrate_hub(const char *hub, const struct cc_migrations *m)
{
	char err[2048];

	if (cc_migrate_apply(hub, m, say_line, NULL, err, sizeof err)) {
		fprintf(stderr, "commcelld: %s\n", err);
		return 1;
	}
	return 0;
}

/*
 * Before the loop starts, a short blocking look at the hub's migrations: nothing is served yet,
 * and refusing here gives the exit status systemd and docker act on. A hub that does not answer
 * in time is left to the loop, which waits for it as always (/readyz says why).
 */
static bool hub_schema_ok(const char *hub, const struct cc_migrations *m, const char *path)
{
	char msg[1024];

	switch (cc_migrate_check(hub, m, path, 5000, msg, sizeof msg)) {
	case CC_MIGRATE_CURRENT:
		cc_info("%s", msg);
		return true;
	case CC_MIGRATE_UNCHECKED:
		cc_warn("cannot check the hub's migrations (%s); starting anyway", msg);
		return true;
	case CC_MIGRATE_REFUSE:
		break;
	}
	cc_error("%s", msg);
	return false;
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
		{ "migrate", no_argument, NULL, 'M' },
		{ "migrations-dir", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *migrations_dir = NULL;
	bool check_only = false, migrate = false;
	struct cc_migrations *migrations;
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
		case 'M':
			migrate = true;
			break;
		case 'D':
			migrations_dir = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path || optind != argc || (migrate && check_only) || (migrations_dir && !migrate)) {
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
	migrations = load_migrations(migrations_dir);
	if (!migrations) {
		cc_config_destroy(cfg);
		return 1;
	}
	if (migrate) {
		rc = migrate_hub(cfg->hub, migrations);
		cc_migrations_destroy(migrations);
		cc_config_destroy(cfg);
		return rc;
	}
	cc_log_set_level(cfg->log_level);
	if (!hub_schema_ok(cfg->hub, migrations, path)) {
		cc_migrations_destroy(migrations);
		cc_config_destroy(cfg);
		return 1;
	}
	cc_migrations_destroy(migrations);
	cc_log_hook_lws();
	httpd = cc_httpd_create(cfg, err, sizeof err);
	if (!httpd) {
		cc_error("%s", err);
		cc_config_destroy(cfg);
		return 1;
	}
	cc_httpd_front(httpd, &front);
	/* the app owns cfg from here (a SIGHUP replaces it) */
	app = cc_app_create(cfg, path, &front, err, sizeof err);
	if (!app) {
		cc_error("%s", err);
		return 1;
	}
	rc = cc_app_run(app);
	cc_app_destroy(app);
	cc_info("stopped");
	return rc;
}
