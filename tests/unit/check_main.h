/* The end of every unit test's main(): run the suite and turn the result into an exit status.
 * Timeouts stay with the TCases that set them; CK_DEFAULT_TIMEOUT from meson covers the rest. */
#ifndef CC_CHECK_MAIN_H
#define CC_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Takes ownership of s: the runner frees it. */
static inline int cc_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
