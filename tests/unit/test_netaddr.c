/* Address lists and X-Forwarded-For: who counts as the client behind a trusted proxy (issue 12). */
#include "check_main.h"
#include "netaddr.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct cc_cidrs *parse_ok(const char *text)
{
	char err[200] = "";
	struct cc_cidrs *c = cc_cidrs_parse(text, err, sizeof err);

	ck_assert_msg(c != NULL, "'%s' refused: %s", text, err);
	return c;
}

static void parse_bad(const char *text, const char *says)
{
	char err[200] = "";
	struct cc_cidrs *c = cc_cidrs_parse(text, err, sizeof err);

	ck_assert_msg(c == NULL, "'%s' accepted", text);
	ck_assert_msg(strstr(err, says) != NULL, "'%s': message '%s' lacks '%s'", text, err, says);
}

/* The client cc_forwarded_client finds, and whether it came from the header. */
static void client_is(const struct cc_cidrs *trusted, const char *peer, const char *xff,
		      const char *want, bool from_header)
{
	char out[64];
	bool got = cc_forwarded_client(trusted, peer, xff, out, sizeof out);

	ck_assert_msg(!strcmp(out, want), "peer %s xff '%s': got %s, want %s", peer,
		      xff ? xff : "(none)", out, want);
	ck_assert_int_eq(got, from_header);
}

START_TEST(ipv4_prefixes)
{
	struct cc_cidrs *c = parse_ok("10.0.0.0/8, 192.168.1.5 172.16.0.0/12");

	ck_assert_uint_eq(cc_cidrs_count(c), 3);
	ck_assert(cc_cidrs_match(c, "10.0.0.0"));
	ck_assert(cc_cidrs_match(c, "10.255.255.255"));
	ck_assert(!cc_cidrs_match(c, "11.0.0.0"));
	ck_assert(!cc_cidrs_match(c, "9.255.255.255"));
	ck_assert(cc_cidrs_match(c, "192.168.1.5"));       /* a bare address is a /32 */
	ck_assert(!cc_cidrs_match(c, "192.168.1.4"));
	ck_assert(!cc_cidrs_match(c, "192.168.1.6"));
	ck_assert(cc_cidrs_match(c, "172.31.255.255"));    /* /12: not on a byte boundary */
	ck_assert(!cc_cidrs_match(c, "172.32.0.0"));
	ck_assert(!cc_cidrs_match(c, "172.15.255.255"));
	cc_cidrs_destroy(c);
}
END_TEST

START_TEST(zero_and_full_lengths)
{
	struct cc_cidrs *all4 = parse_ok("0.0.0.0/0"), *one4 = parse_ok("203.0.113.7/32");
	struct cc_cidrs *all6 = parse_ok("::/0"), *one6 = parse_ok("2001:db8::1/128");

	ck_assert(cc_cidrs_match(all4, "1.2.3.4"));
	ck_assert(cc_cidrs_match(all4, "255.255.255.255"));
	ck_assert(!cc_cidrs_match(all4, "2001:db8::1"));   /* every IPv4 address, no IPv6 */
	ck_assert(cc_cidrs_match(one4, "203.0.113.7"));
	ck_assert(!cc_cidrs_match(one4, "203.0.113.6"));
	ck_assert(cc_cidrs_match(all6, "2001:db8::1"));
	ck_assert(cc_cidrs_match(all6, "1.2.3.4"));        /* ::/0 is everything */
	ck_assert(cc_cidrs_match(one6, "2001:db8::1"));
	ck_assert(cc_cidrs_match(one6, "2001:0db8:0:0:0:0:0:1"));   /* same address, spelt out */
	ck_assert(!cc_cidrs_match(one6, "2001:db8::2"));
	cc_cidrs_destroy(all4);
	cc_cidrs_destroy(one4);
	cc_cidrs_destroy(all6);
	cc_cidrs_destroy(one6);
}
END_TEST

START_TEST(ipv6_prefixes)
{
	struct cc_cidrs *c = parse_ok("fd00::/8,2001:db8:1::/48 ::1");

	ck_assert(cc_cidrs_match(c, "fd12:3456::1"));
	ck_assert(!cc_cidrs_match(c, "fe80::1"));
	ck_assert(cc_cidrs_match(c, "2001:db8:1:ffff::9"));
	ck_assert(!cc_cidrs_match(c, "2001:db8:2::1"));
	ck_assert(cc_cidrs_match(c, "::1"));
	ck_assert(!cc_cidrs_match(c, "::2"));
	ck_assert(!cc_cidrs_match(c, "127.0.0.1"));
	cc_cidrs_destroy(c);
}
END_TEST

/* lws reports IPv4 peers on a dual-stack socket as ::ffff:a.b.c.d */
START_TEST(ipv4_mapped)
{
	struct cc_cidrs *v4 = parse_ok("127.0.0.0/8"), *mapped = parse_ok("::ffff:10.1.2.3");

	ck_assert(cc_cidrs_match(v4, "::ffff:127.0.0.1"));
	ck_assert(cc_cidrs_match(v4, "::FFFF:127.9.9.9"));
	ck_assert(!cc_cidrs_match(v4, "::ffff:128.0.0.1"));
	ck_assert(!cc_cidrs_match(v4, "::127.0.0.1"));     /* IPv4-compatible is not mapped */
	ck_assert(cc_cidrs_match(mapped, "10.1.2.3"));
	ck_assert(!cc_cidrs_match(mapped, "10.1.2.4"));
	cc_cidrs_destroy(v4);
	cc_cidrs_destroy(mapped);
}
END_TEST

START_TEST(empty_lists_and_bad_addresses_match_nothing)
{
	struct cc_cidrs *e = parse_ok(""), *s = parse_ok(" ,, \t "), *n = parse_ok(NULL);
	struct cc_cidrs *c = parse_ok("10.0.0.0/8");

	ck_assert_uint_eq(cc_cidrs_count(e), 0);
	ck_assert_uint_eq(cc_cidrs_count(s), 0);
	ck_assert_uint_eq(cc_cidrs_count(n), 0);
	ck_assert(!cc_cidrs_match(e, "10.0.0.1"));
	ck_assert(!cc_cidrs_match(NULL, "10.0.0.1"));
	ck_assert(!cc_cidrs_match(c, NULL));
	ck_assert(!cc_cidrs_match(c, ""));
	ck_assert(!cc_cidrs_match(c, "10.0.0"));
	ck_assert(!cc_cidrs_match(c, "10.0.0.1.5"));
	ck_assert(!cc_cidrs_match(c, "10.0.0.256"));
	ck_assert(!cc_cidrs_match(c, " 10.0.0.1"));
	ck_assert(!cc_cidrs_match(c, "10.0.0.1:80"));
	ck_assert(!cc_cidrs_match(c, "10.0.0.0/8"));
	ck_assert(!cc_cidrs_match(c, "unknown"));
	cc_cidrs_destroy(e);
	cc_cidrs_destroy(s);
	cc_cidrs_destroy(n);
	cc_cidrs_destroy(c);
}
END_TEST

START_TEST(bad_entries_refused_by_name)
{
	char many[256 * 12 + 16] = "";

	parse_bad("10.0.0.0/8, 10.0.0.300", "'10.0.0.300' is not an IPv4 or IPv6 address");
	parse_bad("localhost", "'localhost'");
	parse_bad("10.0.0.0/33", "prefix length");
	parse_bad("::/129", "prefix length");
	parse_bad("10.0.0.0/-1", "prefix length");
	parse_bad("10.0.0.0/", "prefix length");
	parse_bad("10.0.0.0/8x", "prefix length");
	parse_bad("10.0.0.0/+8", "prefix length");
	parse_bad("10.0.0.0/0x8", "prefix length");
	parse_bad("10.0.0.0/8/8", "prefix length");
	parse_bad("/8", "not an IPv4 or IPv6 address");
	parse_bad("fe80::1%eth0", "not an IPv4 or IPv6 address");
	parse_bad("[::1]", "not an IPv4 or IPv6 address");
	parse_bad("1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:eeee", "too long");
	for (int i = 0; i < 257; i++)
		strcat(many, "10.0.0.1, ");
	parse_bad(many, "more than 256");
}
END_TEST

START_TEST(untrusted_peer_header_ignored)
{
	struct cc_cidrs *t = parse_ok("10.0.0.1");

	client_is(t, "192.0.2.9", "1.2.3.4", "192.0.2.9", false);
	client_is(NULL, "192.0.2.9", "1.2.3.4", "192.0.2.9", false);
	client_is(t, "10.0.0.1", NULL, "10.0.0.1", false);    /* trusted, but no header */
	cc_cidrs_destroy(t);
}
END_TEST

START_TEST(one_proxy)
{
	struct cc_cidrs *t = parse_ok("10.0.0.1");

	client_is(t, "10.0.0.1", "198.51.100.7", "198.51.100.7", true);
	client_is(t, "10.0.0.1", "  198.51.100.7\t ", "198.51.100.7", true);
	client_is(t, "10.0.0.1", "2001:db8::7", "2001:db8::7", true);
	client_is(t, "::ffff:10.0.0.1", "198.51.100.7", "198.51.100.7", true);
	/* the client wrote its own X-Forwarded-For: the proxy appended the real address */
	client_is(t, "10.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7", true);
	client_is(t, "10.0.0.1", "6.6.6.6,198.51.100.7", "198.51.100.7", true);
	client_is(t, "10.0.0.1", "not an address, 198.51.100.7", "198.51.100.7", true);
	client_is(t, "10.0.0.1", ", , 198.51.100.7", "198.51.100.7", true);
	cc_cidrs_destroy(t);
}
END_TEST

START_TEST(chain_of_proxies)
{
	struct cc_cidrs *t = parse_ok("10.0.0.0/24, 2001:db8:ffff::/48");

	/* client -> edge proxy 10.0.0.2 -> inner proxy 10.0.0.1 -> commcelld */
	client_is(t, "10.0.0.1", "198.51.100.7, 10.0.0.2", "198.51.100.7", true);
	client_is(t, "10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7", true);
	client_is(t, "10.0.0.1", "198.51.100.7 , 2001:db8:ffff::5 ,10.0.0.2", "198.51.100.7", true);
	/* a spoofed trusted-looking entry left of the real client changes nothing */
	client_is(t, "10.0.0.1", "10.0.0.9, 198.51.100.7, 10.0.0.2", "198.51.100.7", true);
	/* every hop trusted: the far end of the chain is the client */
	client_is(t, "10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3", true);
	cc_cidrs_destroy(t);
}
END_TEST

/* A malformed entry where the client should be: believe the proxy, not the header. */
START_TEST(malformed_nearest_entries)
{
	struct cc_cidrs *t = parse_ok("10.0.0.0/24");
	char long_entry[200];

	memset(long_entry, '1', sizeof long_entry - 1);
	long_entry[sizeof long_entry - 1] = '\0';
	client_is(t, "10.0.0.1", "", "10.0.0.1", false);
	client_is(t, "10.0.0.1", " ", "10.0.0.1", false);
	client_is(t, "10.0.0.1", ",", "10.0.0.1", false);
	client_is(t, "10.0.0.1", "198.51.100.7,", "10.0.0.1", false);
	client_is(t, "10.0.0.1", "198.51.100.7, unknown", "10.0.0.1", false);
	client_is(t, "10.0.0.1", "198.51.100.7:4431", "10.0.0.1", false);
	client_is(t, "10.0.0.1", "[2001:db8::7]", "10.0.0.1", false);
	client_is(t, "10.0.0.1", "198.51.100.7, 10.0.0.2, junk", "10.0.0.1", false);
	client_is(t, "10.0.0.1", "198.51.100.7, junk, 10.0.0.2", "10.0.0.1", false);
	client_is(t, "10.0.0.1", long_entry, "10.0.0.1", false);
	cc_cidrs_destroy(t);
}
END_TEST

START_TEST(small_output_buffer_is_terminated)
{
	struct cc_cidrs *t = parse_ok("10.0.0.1");
	char out[8];

	ck_assert(cc_forwarded_client(t, "10.0.0.1", "198.51.100.7", out, sizeof out));
	ck_assert_uint_lt(strlen(out), sizeof out);
	cc_cidrs_destroy(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netaddr");
	TCase *tc = tcase_create("netaddr");

	tcase_add_test(tc, ipv4_prefixes);
	tcase_add_test(tc, zero_and_full_lengths);
	tcase_add_test(tc, ipv6_prefixes);
	tcase_add_test(tc, ipv4_mapped);
	tcase_add_test(tc, empty_lists_and_bad_addresses_match_nothing);
	tcase_add_test(tc, bad_entries_refused_by_name);
	tcase_add_test(tc, untrusted_peer_header_ignored);
	tcase_add_test(tc, one_proxy);
	tcase_add_test(tc, chain_of_proxies);
	tcase_add_test(tc, malformed_nearest_entries);
	tcase_add_test(tc, small_output_buffer_is_terminated);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
