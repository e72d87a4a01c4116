/*
 * The static files of the pages, by an allow-list rather than a directory mount: a single
 * name such as "wall.js" of the web root with a page's extension (.html .js .css), and the few
 * chart-library files under /vendor/uplot/. No directories, no dotfiles, no node_modules, no
 * package.json, and a symbolic link is never followed.
 */
#ifndef CC_WEBROOT_H
#define CC_WEBROOT_H

#include <stdbool.h>
#include <stddef.h>

struct cc_webroot;

/* NULL with a message in err when root is not a directory that can be opened. */
struct cc_webroot *cc_webroot_create(const char *root, char *err, size_t errlen);
void cc_webroot_destroy(struct cc_webroot *w);

/* Whether the URL path names a served file, and which one (relative to the root) and its
 * type; no file system access. "/" is index.html, "/manager" manager.html. */
bool cc_webroot_lookup(const char *path, char *file, size_t filelen, const char **mime);

/* The file's whole content (malloc'd, *len bytes) or NULL when it is missing, a symbolic link,
 * not a regular file, or larger than 8 MiB. */
char *cc_webroot_read(const struct cc_webroot *w, const char *file, size_t *len);

#endif
