/* json.c - JSON string output; see json.h. */
#include <string.h>

#include "daemon/json.h"

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned	 c = s[0], min, cp;
	size_t		 n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
		cp = c & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

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
		} else if ((n = utf8_seq(s + i, len - i)) == 0) {
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
