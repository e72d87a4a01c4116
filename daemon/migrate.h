/*
 * Hub upgrades: the hub's schema is the list of sql/hub files applied to it, one row each in
 * public.commcell_schema_migration (the table scripts/cluster has always used, so hubs made
 * before commcelld --migrate existed stay compatible). A commcelld knows the files it was
 * built with; it applies the missing ones (--migrate) and refuses to serve a hub whose list
 * differs from its own.
 *
 * Both entry points use blocking libpq: they run before the event loop exists.
 */
#ifndef CC_MIGRATE_H
#define CC_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>

struct cc_migrations;

/* The files embedded at build time. */
struct cc_migrations *cc_migrations_embedded(void);
/* The DIR/NAME.sql files instead, in file-name order (tests and packagers); NULL with err on failure. */
struct cc_migrations *cc_migrations_from_dir(const char *dir, char *err, size_t errlen);
void cc_migrations_destroy(struct cc_migrations *m);
size_t cc_migrations_count(const struct cc_migrations *m);
const char *cc_migrations_file(const struct cc_migrations *m, size_t i);   /* "001_core.sql" */

/* Receives one line for people: what was applied, warnings, the final state. */
typedef void (*cc_migrate_say_fn)(const char *line, void *user);

/*
 * Apply every file of m the hub has not recorded, in order, each in its own transaction with
 * its record, under an advisory lock so that concurrent runs apply each file once. Returns 0
 * when the hub ends up with exactly m's files recorded, else -1 with err (a failed file is
 * named with PostgreSQL's error, and nothing of it stays applied).
 */
int cc_migrate_apply(const char *conninfo, const struct cc_migrations *m, cc_migrate_say_fn say,
		     void *user, char *err, size_t errlen);

enum cc_migrate_verdict {
	CC_MIGRATE_CURRENT,     /* the hub has exactly m's files */
	CC_MIGRATE_REFUSE,      /* it has others or lacks some: msg says what to do */
	CC_MIGRATE_UNCHECKED,   /* the hub did not answer within timeout_ms: msg says why */
};

/* The query whose result cc_migrate_judge reads. */
#define CC_MIGRATE_APPLIED_SQL "SELECT file FROM public.commcell_schema_migration"

/*
 * Judge res, the result of CC_MIGRATE_APPLIED_SQL (an error result "no such table" means that
 * nothing was applied), against m. config_path may be NULL. For hub.c, which asks on its own
 * non-blocking connection.
 */
enum cc_migrate_verdict cc_migrate_judge(const struct cc_migrations *m, const PGresult *res,
					 const char *config_path, char *msg, size_t msglen);

/*
 * Compare the hub's recorded migrations with m, giving up after timeout_ms (a hub that is down
 * or hangs must not hold up the start: the daemon then waits for it as usual). config_path goes
 * into the advice to run --migrate.
 */
enum cc_migrate_verdict cc_migrate_check(const char *conninfo, const struct cc_migrations *m,
					 const char *config_path, int timeout_ms, char *msg,
					 size_t msglen);

#endif
