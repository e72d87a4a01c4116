#include "netaddr.h"
#include "utf8.h"
#include "util.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 256

/* Every address is kept as 16 bytes, IPv4 as IPv4-mapped IPv6, so one comparison serves both. */
struct cidr {
	uint8_t addr[16];
	unsigned bits;   /* prefix length over the 16 bytes */
};

struct cc_cidrs {
	struct cidr *list;
	size_t n;
};

static bool parse_addr(const char *text, uint8_t out[16], bool *v4)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, text, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		*v4 = true;
		return true;
	}
	*v4 = false;
	return inet_pton(AF_INET6, text, out) == 1;
}

static bool in_prefix(const uint8_t a[16], const struct cidr *c)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(a, c->addr, full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (c->addr[full] & mask);
}

struct cc_cidrs *cc_cidrs_parse(const char *text, char *err, size_t errlen)
{
	struct cc_cidrs *c = cc_xcalloc(1, sizeof *c);
	const char *p = text ? text : "";

	while (*p) {
		char entry[64], *slash;
		size_t n = strcspn(p, ", \t");
		uint8_t addr[16];
		bool v4;
		unsigned bits;

		if (!n) {
			p++;
			continue;
		}
		if (n >= sizeof entry) {
			char shown[44];   /* cut with an ellipsis of its own */
			memcpy(entry, p, sizeof entry - 1);
			entry[sizeof entry - 1] = '\0';
			cc_utf8_copy(shown, sizeof shown, entry);
			snprintf(err, errlen, "'%s' is too long for an address", shown);
			goto bad;
		}
		memcpy(entry, p, n);
		entry[n] = '\0';
		p += n;
		slash = strchr(entry, '/');
		if (slash)
			*slash = '\0';
		if (!parse_addr(entry, addr, &v4)) {
			snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", entry);
			goto bad;
		}
		bits = v4 ? 32 : 128;
		if (slash) {
			int64_t b;
			size_t digits = strspn(slash + 1, "0123456789");
			/* digits only: strtoll would also take "+8", "-0" or " 8" */
			if (!digits || digits > 3 || slash[1 + digits] ||
			    !cc_parse_int64(slash + 1, &b) || b > (v4 ? 32 : 128)) {
				snprintf(err, errlen, "'%s/%s' has a prefix length that is not 0 to %d",
					 entry, slash + 1, v4 ? 32 : 128);
				goto bad;
			}
			bits = (unsigned)b;
		}
		if (c->n == MAX_ENTRIES) {
			snprintf(err, errlen, "more than %d addresses in one list", MAX_ENTRIES);
			goto bad;
		}
		c->list = cc_xrealloc(c->list, (c->n + 1) * sizeof *c->list);
		memcpy(c->list[c->n].addr, addr, 16);
		c->list[c->n].bits = v4 ? bits + 96 : bits;
		c->n++;
	}
	return c;
bad:
	cc_cidrs_destroy(c);
	return NULL;
}

void cc_cidrs_destroy(struct cc_cidrs *c)
{
	if (!c)
		return;
	free(c->list);
	free(c);
}

size_t cc_cidrs_count(const struct cc_cidrs *c) { return c ? c->n : 0; }

bool cc_cidrs_match(const struct cc_cidrs *c, const char *address)
{
	uint8_t a[16];
	bool v4;

	if (!c || !address || !parse_addr(address, a, &v4))
		return false;
	for (size_t i = 0; i < c->n; i++)
		if (in_prefix(a, &c->list[i]))
			return true;
	return false;
}

bool cc_forwarded_client(const struct cc_cidrs *trusted, const char *peer, const char *xff,
			 char *out, size_t outlen)
{
	size_t end;

	cc_strlcpy(out, peer ? peer : "", outlen);
	if (!xff || !cc_cidrs_match(trusted, peer))
		return false;
	/* walk the list from the right: the nearest hop first */
	end = strlen(xff);
	for (;;) {
		size_t start = end, a, b;
		char entry[64];
		uint8_t addr[16];
		bool v4;

		while (start > 0 && xff[start - 1] != ',')
			start--;
		a = start, b = end;
		while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
			a++;
		while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
			b--;
		/* a malformed entry: believe the proxy, not the header */
		if (a == b || b - a >= sizeof entry)
			return false;
		memcpy(entry, xff + a, b - a);
		entry[b - a] = '\0';
		if (!parse_addr(entry, addr, &v4))
			return false;
		/* an untrusted hop, or the far end of a chain of trusted ones, is the client */
		if (!cc_cidrs_match(trusted, entry) || start == 0) {
			cc_strlcpy(out, entry, outlen);
			return true;
		}
		end = start - 1;
	}
}
