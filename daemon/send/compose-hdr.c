/* SPDX-License-Identifier: ISC */
/*
 * compose-hdr.c - the structured header fields of composed messages:
 * checks of the caller's strings, address lists, message-id lists,
 * Message-ID and Date; see compose-enc.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "daemon/send/compose-enc.h"
#include "mime/address.h"
#include "mime/charset.h"
#include "mime/defect.h"

/* RFC 5321 4.5.3.1.3: a path is at most 256 octets with its brackets. */
#define ADDR_MAX	254
/* RFC 5322 leaves it open; real ones stay far below. */
#define MSGID_MAX	250
/* References beyond this keep the first and the latest ones. */
#define REFS_MAX	40
#define HOST_MAX	253

int
compose_check_field(const char *field, const char *s, char *err,
    size_t errlen)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n') {
			snprintf(err, errlen, "%s holds a line break, which "
			    "would start a new header field; refused", field);
			return -1;
		}
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			snprintf(err, errlen, "%s holds control character "
			    "0x%02x; refused", field, *p);
			return -1;
		}
	}
	if (!mime_utf8_valid(s, strlen(s))) {
		snprintf(err, errlen, "%s is not valid UTF-8", field);
		return -1;
	}
	return 0;
}

/* NULL if addr can go in a header and an SMTP envelope, else why not. */
const char *
compose_addr_check(const char *addr)
{
	const char	*at = strrchr(addr, '@');
	size_t		 len = strlen(addr), i;

	if (len == 0)
		return "is empty";
	if (len > ADDR_MAX)
		return "is too long";
	if (at == NULL || at == addr || at[1] == '\0')
		return "is not local@domain";
	for (i = 0; i < len; i++)
		if ((unsigned char)addr[i] <= 0x20 || addr[i] == 0x7f ||
		    strchr("<>()\",;:\\", addr[i]) != NULL)
			return "holds a character mailsift does not send "
			    "(space, control, quote or one of <>(),;:\\)";
	if (!mime_utf8_valid(addr, len))
		return "is not valid UTF-8";
	return NULL;
}

struct mime_address_list *
compose_addrs_parse(const char *field, const char *list, char *err,
    size_t errlen)
{
	struct mime_address_list	*al;
	unsigned			 defects = 0;
	size_t				 i, n = 0;
	const char			*a, *why;

	if (compose_check_field(field, list, err, errlen) == -1)
		return NULL;
	al = mime_address_list_parse(list, strlen(list), "utf-8", &defects);
	if (al == NULL) {
		snprintf(err, errlen, "%s: out of memory", field);
		return NULL;
	}
	if (defects & (1u << MIME_DEFECT_BAD_ADDRESS)) {
		snprintf(err, errlen, "%s: '%s' is not a valid address list",
		    field, list);
		goto fail;
	}
	for (i = 0; i < mime_address_list_count(al); i++) {
		a = mime_address_list_address(al, i);
		if (a[0] == '\0')
			continue;	/* an empty group */
		if ((why = compose_addr_check(a)) != NULL) {
			snprintf(err, errlen, "%s: address '%s' %s", field, a,
			    why);
			goto fail;
		}
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no address in '%s'", field, list);
		goto fail;
	}
	return al;
fail:
	mime_address_list_free(al);
	return NULL;
}

int
compose_hdr_addrs(struct hdr *h, struct mime_buf *out, int *nomem,
    const char *field, const char *list, char *err, size_t errlen)
{
	struct mime_address_list	*al;
	const char			*a, *name;
	char				 word[ADDR_MAX + 4];
	size_t				 i, n = 0;
	int				 wlen;

	if ((al = compose_addrs_parse(field, list, err, errlen)) == NULL)
		return -1;
	compose_hdr_begin(h, out, nomem, field);
	for (i = 0; i < mime_address_list_count(al); i++) {
		a = mime_address_list_address(al, i);
		name = mime_address_list_name(al, i);
		if (a[0] == '\0')
			continue;
		if (n++ > 0)
			compose_hdr_raw(h, ",", 1);
		/* A decoded name may hold what the check refuses. */
		if (name[0] != '\0' && compose_check_field(field, name, err,
		    errlen) == -1) {
			mime_address_list_free(al);
			return -1;
		}
		if (name[0] != '\0')
			compose_hdr_phrase(h, name);
		wlen = snprintf(word, sizeof(word), name[0] != '\0' ?
		    "<%s>" : "%s", a);
		compose_hdr_word(h, word, (size_t)wlen);
	}
	compose_hdr_end(h);
	mime_address_list_free(al);
	return 0;
}

/* Next "<id>" in s from *pos: its span, or 0 when there is none. */
static int
msgid_next(const char *s, size_t *pos, const char **id, size_t *idlen)
{
	const char	*lt, *gt;
	size_t		 i;

	for (;;) {
		if ((lt = strchr(s + *pos, '<')) == NULL)
			return 0;
		if ((gt = strchr(lt + 1, '>')) == NULL)
			return 0;
		*pos = (size_t)(gt - s) + 1;
		*id = lt;
		*idlen = (size_t)(gt - lt) + 1;
		if (*idlen < 3 || *idlen > MSGID_MAX)
			continue;
		for (i = 1; i + 1 < *idlen; i++)
			if (lt[i] <= 0x20 || lt[i] >= 0x7f || lt[i] == '<')
				break;
		if (i + 1 == *idlen)
			return 1;
	}
}

size_t
compose_ids_count(const char *ids)
{
	const char	*id;
	size_t		 pos = 0, len, n = 0;

	if (ids == NULL)
		return 0;
	while (msgid_next(ids, &pos, &id, &len))
		n++;
	return n;
}

/* Valid "<id>"s of ids as words; junk between them is dropped.  With
 * more than REFS_MAX, the first and the latest REFS_MAX - 1 are kept. */
void
compose_hdr_ids(struct hdr *h, const char *ids)
{
	const char	*id;
	size_t		 pos = 0, len, i = 0, n = compose_ids_count(ids);

	while (msgid_next(ids, &pos, &id, &len)) {
		if (i == 0 || n <= REFS_MAX || i >= n - (REFS_MAX - 1))
			compose_hdr_word(h, id, len);
		i++;
	}
}

static int
host_is_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > HOST_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '.'))
			return 0;
	return 1;
}

/* The domain of the first address of list, if it makes a host. */
static int
from_domain(const char *list, char *out, size_t outlen)
{
	struct mime_address_list	*al;
	const char			*a, *at;
	size_t				 n;
	int				 ok = 0;

	if (list == NULL)
		return 0;
	al = mime_address_list_parse(list, strlen(list), "utf-8", NULL);
	if (al == NULL)
		return 0;
	if (mime_address_list_count(al) > 0) {
		a = mime_address_list_address(al, 0);
		if ((at = strrchr(a, '@')) != NULL) {
			n = strlen(at + 1);
			if (host_is_valid(at + 1, n) && n < outlen) {
				memcpy(out, at + 1, n + 1);
				ok = 1;
			}
		}
	}
	mime_address_list_free(al);
	return ok;
}

int
compose_random_hex(char *out, size_t nbytes)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 r[32];
	size_t			 i;

	if (nbytes > sizeof(r) || RAND_bytes(r, (int)nbytes) != 1)
		return -1;
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 0x0f];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

int
compose_msgid(const char *host, const char *from, char *out, size_t outlen)
{
	char	 h[HOST_MAX + 2], rnd[2 * 15 + 1];
	int	 n;

	if (host != NULL && host_is_valid(host, strlen(host)) &&
	    strlen(host) < sizeof(h))
		memcpy(h, host, strlen(host) + 1);
	else if (!from_domain(from, h, sizeof(h))) {
		/* gethostname() need not terminate a cut name. */
		if (gethostname(h, sizeof(h) - 1) == -1)
			h[0] = '\0';
		h[sizeof(h) - 1] = '\0';
		if (!host_is_valid(h, strlen(h)))
			strcpy(h, "localhost");
	}
	if (compose_random_hex(rnd, 15) == -1)
		return -1;
	n = snprintf(out, outlen, "<%s.%lld@%s>", rnd, (long long)time(NULL),
	    h);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* RFC 5322 3.3, in local time with its offset; names never localised. */
int
compose_date(time_t t, char *out, size_t outlen)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	 tm;
	long		 off;
	int		 n;

	if (t == 0)
		t = time(NULL);
	if (localtime_r(&t, &tm) == NULL || tm.tm_wday < 0 ||
	    tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	off = tm.tm_gmtoff / 60;
	n = snprintf(out, outlen, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
