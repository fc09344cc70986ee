/* SPDX-License-Identifier: ISC */
/*
 * fuzz_parse.c - libFuzzer target: parse any bytes as a message and do
 * everything `mailsift parse` does with the result, so a crash, a leak or
 * an out-of-bounds read anywhere in mime/ shows up here.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mime/mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
count_sink(void *ctx, const char *data, size_t len)
{
	size_t	*n = ctx;

	(void)data;
	*n += len;
	return 0;
}

static void
fuzz_headers(const struct mime_message *m, const struct mime_part *p)
{
	static const char *const addr[] = { "From", "To", "Cc" };
	struct mime_address_list	*al;
	struct mime_buf			 b;
	const char			*n, *v;
	size_t				 nl, vl, i, k;

	mime_buf_init(&b);
	for (i = 0; i < mime_part_header_count(p); i++) {
		mime_part_header_at(p, i, &n, &nl, &v, &vl);
		mime_buf_reset(&b);
		(void)mime_header_decode(v, vl,
		    mime_message_fallback_charset(m), &b);
		for (k = 0; k < 3; k++) {
			if (!mime_name_eq(n, nl, addr[k]))
				continue;
			al = mime_address_list_parse(v, vl, NULL, NULL);
			mime_address_list_free(al);
		}
	}
	mime_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_message	*m;
	struct mime_limits	 lim;
	const struct mime_part	*p;
	char			 path[4096];
	size_t			 n;

	mime_limits_init(&lim);
	lim.max_depth = 64;
	if ((m = mime_message_parse((const char *)data, size, &lim)) == NULL)
		return 0;
	for (p = mime_message_root(m); p != NULL; p = mime_part_walk_next(p)) {
		(void)mime_part_path(p, path, sizeof(path));
		(void)mime_part_filename(p);
		(void)mime_part_charset(p);
		if (mime_part_is_message_top(p))
			fuzz_headers(m, p);
		n = 0;
		if (mime_part_is_leaf(p))
			(void)mime_part_decode(p, count_sink, &n);
	}
	mime_message_free(m);
	return 0;
}
