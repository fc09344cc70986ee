/* SPDX-License-Identifier: ISC */
/* charsets.c - keep common iconv modules loaded; see charsets.h. */
#include <iconv.h>
#include <stddef.h>

#include "daemon/util/charsets.h"

/* The iconv names mime/charset.c maps the common mail charsets to;
 * UTF-8, ASCII and windows-1252 never reach iconv. */
static const char *const common[] = {
	"GB18030", "BIG5-HKSCS", "CP932", "EUC-JP", "ISO-2022-JP-2", "CP949",
	"KOI8-R", "KOI8-U", "CP1250", "CP1251", "CP1253", "CP1254",
	"ISO-8859-2", "ISO-8859-5", "ISO-8859-7", "ISO-8859-15", "UTF-16",
	"UTF-7", "WINDOWS-874",
};

/* Held for the life of the process: that is the point. */
static iconv_t	 held[sizeof(common) / sizeof(common[0])];

void
charsets_keep_loaded(void)
{
	size_t	 i;

	/* a charset this libc lacks is simply not kept */
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (held[i] == NULL || held[i] == (iconv_t)-1)
			held[i] = iconv_open("UTF-8", common[i]);
}
