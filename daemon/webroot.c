#include "webroot.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE (8 * 1024 * 1024)
#define VENDOR_PREFIX "/vendor/uplot/"
#define VENDOR_DIR "node_modules/uplot/dist/"

struct cc_webroot {
	int dir;
};

static const struct {
	const char *ext, *mime;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
};

/* what manager.js imports and manager.html links */
static const char *const vendor_files[] = { "uPlot.esm.js", "uPlot.min.css", "uPlot.iife.min.js" };

struct cc_webroot *cc_webroot_create(const char *root, char *err, size_t errlen)
{
	struct cc_webroot *w;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "web_root %s: %s", root, strerror(errno));
		return NULL;
	}
	w = cc_xcalloc(1, sizeof *w);
	w->dir = fd;
	return w;
}

void cc_webroot_destroy(struct cc_webroot *w)
{
	if (!w)
		return;
	close(w->dir);
	free(w);
}

static const char *mime_of(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < CC_ARRAY_LEN(types); i++) {
		size_t e = strlen(types[i].ext);
		if (n > e && !strcmp(name + n - e, types[i].ext))
			return types[i].mime;
	}
	return NULL;
}

/* One path component of letters, digits, '-', '_' and '.', not starting with '.'. */
static bool plain_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 100)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

bool cc_webroot_lookup(const char *path, char *file, size_t filelen, const char **mime)
{
	const char *name;

	if (!strcmp(path, "/"))
		path = "/index.html";
	else if (!strcmp(path, "/manager") || !strcmp(path, "/manager/"))
		path = "/manager.html";
	else if (!strcmp(path, "/huddle") || !strcmp(path, "/huddle/"))
		path = "/huddle.html";
	if (!strncmp(path, VENDOR_PREFIX, strlen(VENDOR_PREFIX))) {
		name = path + strlen(VENDOR_PREFIX);
		for (size_t i = 0; i < CC_ARRAY_LEN(vendor_files); i++)
			if (!strcmp(name, vendor_files[i])) {
				*mime = mime_of(name);
				snprintf(file, filelen, "%s%s", VENDOR_DIR, name);
				return true;
			}
		return false;
	}
	/* the manager and huddle pages at /manager/ and /huddle/ may name their assets relative
	 * to themselves */
	if (!strncmp(path, "/manager/", 9))
		name = path + 9;
	else if (!strncmp(path, "/huddle/", 8))
		name = path + 8;
	else
		name = path + 1;
	if (path[0] != '/' || !plain_name(name) || !(*mime = mime_of(name)) ||
	    strlen(name) + 1 > filelen)
		return false;
	memcpy(file, name, strlen(name) + 1);
	return true;
}

char *cc_webroot_read(const struct cc_webroot *w, const char *file, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = openat(w->dir, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
		close(fd);
		return NULL;
	}
	buf = cc_xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}
