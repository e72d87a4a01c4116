/*
 * Random secrets and their stored form. Session and device tokens are 32 random bytes written
 * in base64url (43 characters); the hub keeps only their SHA-256 in hex, so a copy of the hub
 * hands nobody a working credential. 256 random bits need no slow hash: a fast one lets every
 * request be identified by a lookup.
 */
#ifndef CC_SECRET_H
#define CC_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define CC_SECRET_TEXT_LEN 43      /* base64url of 32 bytes, no padding */
#define CC_SECRET_HASH_LEN 64      /* hex SHA-256 */

/* Call once before any other function here (and before threads start): sets up libsodium. */
int cc_secret_init(void);

/* A new random token in out (at least CC_SECRET_TEXT_LEN + 1 bytes). */
void cc_secret_new(char *out, size_t len);

/* The stored form of a token: hex SHA-256 of its text, in out (CC_SECRET_HASH_LEN + 1 bytes). */
void cc_secret_hash(const char *token, char *out, size_t len);

/* Does text look like a token we hand out? (Refuses junk before hashing it.) */
bool cc_secret_well_formed(const char *text);

/* Comparison whose time does not depend on where the strings differ. */
bool cc_secret_equal(const char *a, const char *b);

/* The value of cookie name in a Cookie header ("a=1; b=2"), copied to out; false if absent. */
bool cc_cookie_get(const char *header, const char *name, char *out, size_t len);

#endif
