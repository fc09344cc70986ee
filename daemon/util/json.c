/* SPDX-License-Identifier: ISC */
/* json.c - JSON string output; see json.h. */
#include <string.h>

#include "mime/charset.h"
#include "daemon/util/json.h"

void
json_string(FILE *f, const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i = 0, n;

	putc('"', f);
	while (i < len) {
		/* runs of plain ASCII go out in one write */
		for (n = i; n < len && s[n] >= 0x20 && s[n] < 0x7f &&
		    s[n] != '"' && s[n] != '\\'; n++)
			;
		if (n > i) {
			fwrite(s + i, 1, n - i, f);
			i = n;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\') {
			putc('\\', f);
			putc(s[i++], f);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			fprintf(f, "\\u%04x", s[i++]);
		} else if ((n = mime_utf8_seq((const char *)s + i, len - i)) == 0) {
			fputs("\xef\xbf\xbd", f);
			i++;
		} else {
			fwrite(s + i, 1, n, f);
			i += n;
		}
	}
	putc('"', f);
}

void
json_cstr(FILE *f, const char *s)
{
	if (s == NULL)
		fputs("null", f);
	else
		json_string(f, s, strlen(s));
}
