/* E-mail delivery: one text/plain message to one address through libcurl's SMTP. */
#include "sender_int.h"
#include "strbuf.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 998            /* RFC 5322 line limit, without CRLF */
#define QP_LINE 76
#define WORD_BYTES 45           /* raw bytes per encoded word: 60 base64 chars, 72 in all */

/* A bare addr-spec, nothing that could break a header or an SMTP command. */
static bool address_ok(const char *a)
{
	const char *at;

	if (!a || !*a || strlen(a) > 254)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("<>()[],;:\\\"", *p))
			return false;
	at = strchr(a, '@');
	return at && at != a && at[1] && !strchr(at + 1, '@');
}

static void put_date(struct cc_strbuf *sb)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	cc_strbuf_printf(sb, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
			 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
}

static void put_message_id(struct cc_strbuf *sb, const char *from)
{
	unsigned char r[12];
	char hex[sizeof r * 2 + 1];

	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		uint64_t x = (uint64_t)cc_now_ms() ^ ((uint64_t)getpid() << 40) ^ (uintptr_t)sb;
		for (size_t i = 0; i < sizeof r; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
			r[i] = (unsigned char)(x >> 56);
	}
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	cc_strbuf_printf(sb, "Message-ID: <%s.%lld@%s>\r\n", hex, (long long)cc_now_ms(),
			 strchr(from, '@') + 1);
}

/* Subject on one line when it is short printable ASCII; otherwise RFC 2047 "B" encoded words,
 * each whole UTF-8 characters, folded one per line. */
static void put_subject(struct cc_strbuf *sb, const char *subject)
{
	size_t len = strlen(subject);
	char *clean = cc_xcalloc(1, 2 * len + 2);
	size_t n = cc_sender_tidy(clean, 2 * len + 2, subject, len);
	bool plain = n <= 900;

	for (size_t i = 0; plain && i < n; i++)
		if ((unsigned char)clean[i] >= 0x80)
			plain = false;
	/* "=?" could be taken for an encoded word by a reader */
	if (plain && strstr(clean, "=?"))
		plain = false;
	if (plain) {
		cc_strbuf_printf(sb, "Subject: %s\r\n", clean);
		free(clean);
		return;
	}
	cc_strbuf_puts(sb, "Subject:");
	for (size_t i = 0; i < n;) {
		size_t take = 0;
		char b64[sodium_base64_ENCODED_LEN(WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];

		while (i + take < n) {
			size_t k = cc_sender_utf8_seq((const unsigned char *)clean + i + take,
						      n - i - take);
			if (!k)
				k = 1;      /* cannot happen after tidy; never loop forever */
			if (take + k > WORD_BYTES)
				break;
			take += k;
		}
		sodium_bin2base64(b64, sizeof b64, (const unsigned char *)clean + i, take,
				  sodium_base64_VARIANT_ORIGINAL);
		cc_strbuf_printf(sb, "%s=?UTF-8?B?%s?=", i ? "\r\n " : " ", b64);
		i += take;
	}
	cc_strbuf_puts(sb, "\r\n");
	free(clean);
}

/* 7bit when the text is ASCII with short lines, else quoted-printable. Either way lines end
 * in CRLF (curl doubles a leading dot on its own). */
static bool needs_qp(const char *text)
{
	size_t line = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\n') {
			line = 0;
			continue;
		}
		if (*p >= 0x80 || (*p < 0x20 && *p != '\t' && *p != '\r') || *p == 0x7f)
			return true;
		if (++line > MAX_LINE)
			return true;
	}
	return false;
}

static void put_body_7bit(struct cc_strbuf *sb, const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\r\n");
		cc_strbuf_append(sb, p, n);
		cc_strbuf_puts(sb, "\r\n");
		p += n;
		if (*p == '\r' && p[1] == '\n')
			p += 2;
		else if (*p)
			p++;
	}
}

static void put_body_qp(struct cc_strbuf *sb, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		size_t n = strcspn((const char *)p, "\r\n");
		size_t col = 0;

		for (size_t i = 0; i < n; i++) {
			unsigned char c = p[i];
			char tok[4];
			size_t t;
			bool last = i + 1 == n;

			if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
				tok[0] = (char)c;
				t = 1;
			} else {
				tok[0] = '=';
				tok[1] = hex[c >> 4];
				tok[2] = hex[c & 15];
				t = 3;
			}
			if (col + t > QP_LINE - 1) {
				cc_strbuf_puts(sb, "=\r\n");
				col = 0;
			}
			cc_strbuf_append(sb, tok, t);
			col += t;
		}
		cc_strbuf_puts(sb, "\r\n");
		p += n;
		if (*p == '\r' && p[1] == '\n')
			p += 2;
		else if (*p)
			p++;
	}
}

static char *build_message(const char *from, const char *to, const char *subject,
			   const char *text, const char *dedup_key, size_t *len)
{
	struct cc_strbuf sb = { 0 };
	bool qp = needs_qp(text);

	put_date(&sb);
	cc_strbuf_printf(&sb, "From: %s\r\n", from);
	cc_strbuf_printf(&sb, "To: %s\r\n", to);
	put_subject(&sb, subject);
	put_message_id(&sb, from);
	cc_strbuf_puts(&sb, "MIME-Version: 1.0\r\n");
	cc_strbuf_puts(&sb, "Content-Type: text/plain; charset=UTF-8\r\n");
	cc_strbuf_printf(&sb, "Content-Transfer-Encoding: %s\r\n", qp ? "quoted-printable" : "7bit");
	cc_strbuf_puts(&sb, "Auto-Submitted: auto-generated\r\n");   /* no auto-replies */
	cc_strbuf_puts(&sb, "X-Mailer: commcelld\r\n");
	if (dedup_key && *dedup_key)
		cc_strbuf_printf(&sb, "X-Commcell-Dedup-Key: %s\r\n", dedup_key);
	cc_strbuf_puts(&sb, "\r\n");
	if (qp)
		put_body_qp(&sb, text);
	else
		put_body_7bit(&sb, text);
	*len = sb.len;
	return sb.data;
}

/* curl's SMTP errors name the code only ("RCPT failed: 550"): keep the server's last 4xx/5xx
 * reply, seen through the debug callback, to show its words too. */
static int debug_fn(CURL *easy, curl_infotype type, char *data, size_t size, void *userp)
{
	struct cc_curl_job *j = userp;

	(void)easy;
	/* the last refusal: a QUIT's "221" may come after it */
	if (type == CURLINFO_HEADER_IN && size >= 3 && (data[0] == '4' || data[0] == '5')) {
		j->reply[0] = '\0';
		cc_sender_tidy(j->reply, sizeof j->reply, data, size);
	}
	return 0;
}

static void judge(struct cc_curl_job *j, CURLcode rc, bool *ok, char *detail, size_t len)
{
	long code = 0;

	if (rc != CURLE_OK) {
		size_t n;
		*ok = false;
		cc_sender_curl_error(j, rc, detail, len);
		n = strlen(detail);
		if (j->reply[0] && n < len)
			snprintf(detail + n, len - n, "; server said: %s", j->reply);
		return;
	}
	*ok = true;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code > 0)
		snprintf(detail, len, "accepted (SMTP %ld)", code);
	else
		snprintf(detail, len, "accepted");
}

int cc_sender_email(struct cc_sender *s, const struct cc_smtp_config *cfg, const char *to,
		    const char *subject, const char *text, const char *dedup_key, int timeout_ms,
		    cc_send_done done, void *arg)
{
	struct cc_curl_job *j;
	char *addr;
	int bad = 0;

	if (!s || s->dying || !cfg || !cfg->url || !*cfg->url || !address_ok(cfg->from) ||
	    !address_ok(to) || (dedup_key && !cc_sender_header_safe(dedup_key)))
		return -1;
	j = cc_sender_curl_job_new(s, timeout_ms);
	if (!j)
		return -1;
	j->payload = build_message(cfg->from, to, subject ? subject : "", text ? text : "",
				   dedup_key, &j->payload_len);
	addr = cc_xasprintf("<%s>", to);
	j->rcpt = curl_slist_append(NULL, addr);
	free(addr);
	if (!j->rcpt) {
		cc_sender_curl_job_free(j);
		return -1;
	}
	addr = cc_xasprintf("<%s>", cfg->from);
	bad |= curl_easy_setopt(j->easy, CURLOPT_URL, cfg->url) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_MAIL_FROM, addr) != CURLE_OK;   /* copied */
	bad |= curl_easy_setopt(j->easy, CURLOPT_MAIL_RCPT, j->rcpt) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_UPLOAD, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->payload_len) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_USE_SSL,
				(long)(cfg->starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE)) != CURLE_OK;
	if (cfg->user) {
		bad |= curl_easy_setopt(j->easy, CURLOPT_USERNAME, cfg->user) != CURLE_OK;
		bad |= curl_easy_setopt(j->easy, CURLOPT_PASSWORD,
					cfg->password ? cfg->password : "") != CURLE_OK;
	}
	bad |= curl_easy_setopt(j->easy, CURLOPT_DEBUGFUNCTION, debug_fn) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_DEBUGDATA, j) != CURLE_OK;
	bad |= curl_easy_setopt(j->easy, CURLOPT_VERBOSE, 1L) != CURLE_OK;
	free(addr);
	if (bad) {
		cc_sender_curl_job_free(j);
		return -1;
	}
	j->judge = judge;
	return cc_sender_curl_start(s, j, done, arg);
}
