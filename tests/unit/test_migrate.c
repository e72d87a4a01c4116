/* The hub migrations a commcelld carries: every file of sql/hub, in order; a directory's. */
#include "check_main.h"
#include "migrate.h"
#include "util.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *hub_dir(void)
{
	const char *t = getenv("COMMCELL_TEST_DIR");

	return cc_xasprintf("%s/../../sql/hub", t ? t : "tests/unit");
}

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char *path = cc_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	free(path);
}

/* The build must not leave a file out (the generator globs the directory; this says so). */
START_TEST(every_hub_file_is_built_in_in_order)
{
	char *dir = hub_dir(), err[256] = "";
	struct cc_migrations *built = cc_migrations_embedded();
	struct cc_migrations *disk = cc_migrations_from_dir(dir, err, sizeof err);

	ck_assert_msg(disk != NULL, "%s", err);
	ck_assert_uint_ge(cc_migrations_count(built), 1);
	ck_assert_uint_eq(cc_migrations_count(built), cc_migrations_count(disk));
	for (size_t i = 0; i < cc_migrations_count(built); i++) {
		ck_assert_str_eq(cc_migrations_file(built, i), cc_migrations_file(disk, i));
		if (i)
			ck_assert_int_lt(strcmp(cc_migrations_file(built, i - 1),
						cc_migrations_file(built, i)), 0);
	}
	ck_assert_str_eq(cc_migrations_file(built, 0), "001_core.sql");
	cc_migrations_destroy(built);
	cc_migrations_destroy(disk);
	free(dir);
}
END_TEST

START_TEST(a_directory_gives_its_sql_files_by_name)
{
	char tmpl[] = "/tmp/cc-migrate-XXXXXX", err[256] = "", *sub;
	char *dir = mkdtemp(tmpl);
	struct cc_migrations *m;

	ck_assert_ptr_nonnull(dir);
	write_file(dir, "010_b.sql", "SELECT 2;\n", 10);
	write_file(dir, "002_a.sql", "SELECT 1;\n", 10);
	write_file(dir, "README", "not a migration", 15);
	write_file(dir, ".009_hidden.sql", "SELECT 3;\n", 10);
	sub = cc_xasprintf("%s/005_dir.sql", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	m = cc_migrations_from_dir(dir, err, sizeof err);
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_uint_eq(cc_migrations_count(m), 2);
	ck_assert_str_eq(cc_migrations_file(m, 0), "002_a.sql");
	ck_assert_str_eq(cc_migrations_file(m, 1), "010_b.sql");
	cc_migrations_destroy(m);

	/* a NUL would cut the SQL short where PostgreSQL reads it: refused, naming the file */
	write_file(dir, "011_nul.sql", "SELECT 1;\0DROP", 14);
	ck_assert_ptr_null(cc_migrations_from_dir(dir, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "011_nul.sql"));

	ck_assert_ptr_null(cc_migrations_from_dir("/nonexistent/sql", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/sql"));

	for (const char *const *n = (const char *const[]){ "010_b.sql", "002_a.sql", "README",
			".009_hidden.sql", "011_nul.sql", NULL }; *n; n++) {
		char *p = cc_xasprintf("%s/%s", dir, *n);
		unlink(p);
		free(p);
	}
	rmdir(sub);
	rmdir(dir);
	free(sub);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, every_hub_file_is_built_in_in_order);
	tcase_add_test(tc, a_directory_gives_its_sql_files_by_name);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
