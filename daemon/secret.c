#include "secret.h"
#include "util.h"

#include <sodium.h>
#include <string.h>

int cc_secret_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void cc_secret_new(char *out, size_t len)
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof raw);
	if (len < CC_SECRET_TEXT_LEN + 1) {
		if (len)
			out[0] = '\0';
		return;
	}
	sodium_bin2base64(out, len, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

void cc_secret_hash(const char *token, char *out, size_t len)
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
	if (len < CC_SECRET_HASH_LEN + 1) {
		if (len)
			out[0] = '\0';
		return;
	}
	sodium_bin2hex(out, len, digest, sizeof digest);
}

bool cc_secret_well_formed(const char *text)
{
	size_t n = 0;

	if (!text)
		return false;
	for (const char *p = text; *p; p++, n++) {
		char c = *p;
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  c == '-' || c == '_';
		if (!ok || n >= CC_SECRET_TEXT_LEN)
			return false;
	}
	return n == CC_SECRET_TEXT_LEN;
}

bool cc_secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}

bool cc_cookie_get(const char *header, const char *name, char *out, size_t len)
{
	size_t nlen = strlen(name);
	const char *p = header;

	if (!header || !len)
		return false;
	while (*p) {
		const char *end;
		size_t vlen;

		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) > nlen && !strncmp(p, name, nlen) && p[nlen] == '=') {
			const char *v = p + nlen + 1;
			vlen = (size_t)(end - v);
			while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			if (vlen >= len)
				return false;  /* longer than any value we issue: not ours */
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}
