/*
 * Address lists (CIDR) and the client behind a trusted proxy.
 *
 * Behind HAProxy every connection comes from the proxy's address, so limits and audit rows that
 * count "the client" need X-Forwarded-For; but anyone can send that header, so it is believed
 * only from the proxies listed in trusted_proxies.
 */
#ifndef CC_NETADDR_H
#define CC_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

struct cc_cidrs;

/* "10.0.0.0/8, 192.168.1.5 ::1 fd00::/8" (commas and/or spaces); "" gives an empty list. On
 * error returns NULL with a message in err that names the bad entry. */
struct cc_cidrs *cc_cidrs_parse(const char *text, char *err, size_t errlen);
void cc_cidrs_destroy(struct cc_cidrs *c);
size_t cc_cidrs_count(const struct cc_cidrs *c);

/* Whether the textual address (IPv4, IPv6, or IPv4-mapped IPv6 as lws reports it) is in the
 * list. An unparsable address or a NULL list matches nothing. */
bool cc_cidrs_match(const struct cc_cidrs *c, const char *address);

/*
 * The client's address for a connection from peer that carried the X-Forwarded-For value xff
 * (NULL when absent): when peer is trusted, the rightmost address in xff that is not itself a
 * trusted proxy (each proxy appends the address it saw, so entries left of an untrusted one may
 * be made up); otherwise peer. Writes it to out and returns true when it came from xff.
 */
bool cc_forwarded_client(const struct cc_cidrs *trusted, const char *peer, const char *xff,
			 char *out, size_t outlen);

#endif
