/* The bootstrap file (cc_config_parse): the only local configuration, written by people. */
#include "config.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), err[256];
	struct cc_config *cfg;

	err[0] = '\0';
	cfg = cc_config_parse("fuzz.conf", text, err, sizeof err);
	if (cfg) {
		/* what the daemon relies on once a file was accepted */
		FUZZ_CHECK(cfg->hub && *cfg->hub);
		FUZZ_CHECK(cfg->web_root && *cfg->web_root);
		FUZZ_CHECK(cfg->listen_port >= 1 && cfg->listen_port <= 65535);
		FUZZ_CHECK(cfg->trusted_proxies && cfg->metrics_allow);
		FUZZ_CHECK(cfg->max_header_bytes >= 1024 && cfg->max_uri_bytes >= 256);
		FUZZ_CHECK(cfg->n_allowed_origins == 0 || cfg->allowed_origins);
		for (size_t i = 0; i < cfg->n_allowed_origins; i++)
			FUZZ_CHECK(!strncmp(cfg->allowed_origins[i], "http", 4));
		cc_config_destroy(cfg);
	} else {
		FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err));
	}
	free(text);
	return 0;
}
