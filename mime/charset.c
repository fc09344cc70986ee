/* SPDX-License-Identifier: ISC */
/*
 * charset.c - conversion of declared charsets to UTF-8; see charset.h.
 *
 * Labels go through an alias table first: mail uses many names iconv does
 * not know, or knows as a narrower charset than the one mailers really
 * produce (gb2312 text is GBK, ks_c_5601-1987 text is CP949).  The table
 * follows the WHATWG Encoding Standard where it has an opinion, because
 * browsers have been fixing up mislabelled mail and web text for decades.
 * In particular iso-8859-1 is decoded as windows-1252: the two differ only
 * in 0x80-0x9f, where ISO-8859-1 has C1 controls nobody sends and where
 * Windows mailers that say iso-8859-1 put curly quotes, dashes and the
 * euro sign.
 *
 * US-ASCII, UTF-8 and windows-1252 never reach iconv: iconv_open() costs
 * more than converting a typical header, and they are most of all text.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "charset.h"
#include "defect.h"

#define LABEL_MAX	64

/* U+FFFD REPLACEMENT CHARACTER. */
static const char replacement[] = "\xef\xbf\xbd";

enum charset_kind {
	CHARSET_ASCII,
	CHARSET_UTF8,
	CHARSET_CP1252,
	CHARSET_ICONV,
	CHARSET_UNSTATED	/* label saying "not known": use fallback */
};

struct charset_alias {
	const char		*label;		/* lower case */
	const char		*name;		/* for iconv_open */
	enum charset_kind	 kind;
};

/* The frequent labels come first: lookup is a linear scan. */
static const struct charset_alias aliases[] = {
	{ "utf-8", "UTF-8", CHARSET_UTF8 },
	{ "us-ascii", "US-ASCII", CHARSET_ASCII },
	{ "iso-8859-1", "WINDOWS-1252", CHARSET_CP1252 },
	{ "windows-1252", "WINDOWS-1252", CHARSET_CP1252 },
	{ "utf8", "UTF-8", CHARSET_UTF8 },
	{ "unicode-1-1-utf-8", "UTF-8", CHARSET_UTF8 },
	{ "x-unicode20utf8", "UTF-8", CHARSET_UTF8 },
	{ "ascii", "US-ASCII", CHARSET_ASCII },
	{ "ansi_x3.4-1968", "US-ASCII", CHARSET_ASCII },
	{ "ansi_x3.4-1986", "US-ASCII", CHARSET_ASCII },
	{ "iso646-us", "US-ASCII", CHARSET_ASCII },
	{ "iso-ir-6", "US-ASCII", CHARSET_ASCII },
	{ "iso_646.irv:1991", "US-ASCII", CHARSET_ASCII },
	{ "cp367", "US-ASCII", CHARSET_ASCII },
	{ "ibm367", "US-ASCII", CHARSET_ASCII },
	{ "csascii", "US-ASCII", CHARSET_ASCII },
	{ "us", "US-ASCII", CHARSET_ASCII },
	{ "iso8859-1", "WINDOWS-1252", CHARSET_CP1252 },
	{ "iso_8859-1", "WINDOWS-1252", CHARSET_CP1252 },
	{ "iso_8859-1:1987", "WINDOWS-1252", CHARSET_CP1252 },
	{ "iso88591", "WINDOWS-1252", CHARSET_CP1252 },
	{ "latin1", "WINDOWS-1252", CHARSET_CP1252 },
	{ "latin-1", "WINDOWS-1252", CHARSET_CP1252 },
	{ "l1", "WINDOWS-1252", CHARSET_CP1252 },
	{ "cp819", "WINDOWS-1252", CHARSET_CP1252 },
	{ "ibm819", "WINDOWS-1252", CHARSET_CP1252 },
	{ "iso-ir-100", "WINDOWS-1252", CHARSET_CP1252 },
	{ "csisolatin1", "WINDOWS-1252", CHARSET_CP1252 },
	{ "cp1252", "WINDOWS-1252", CHARSET_CP1252 },
	{ "x-cp1252", "WINDOWS-1252", CHARSET_CP1252 },
	{ "x-unknown", NULL, CHARSET_UNSTATED },
	{ "unknown-8bit", NULL, CHARSET_UNSTATED },
	{ "unknown", NULL, CHARSET_UNSTATED },

	/* Chinese: GB18030 decodes GB2312 and GBK text alike. */
	{ "gb2312", "GB18030", CHARSET_ICONV },
	{ "gbk", "GB18030", CHARSET_ICONV },
	{ "x-gbk", "GB18030", CHARSET_ICONV },
	{ "gb18030", "GB18030", CHARSET_ICONV },
	{ "euc-cn", "GB18030", CHARSET_ICONV },
	{ "x-euc-cn", "GB18030", CHARSET_ICONV },
	{ "cp936", "GB18030", CHARSET_ICONV },
	{ "ms936", "GB18030", CHARSET_ICONV },
	{ "windows-936", "GB18030", CHARSET_ICONV },
	{ "gb_2312-80", "GB18030", CHARSET_ICONV },
	{ "gb_2312", "GB18030", CHARSET_ICONV },
	{ "csgb2312", "GB18030", CHARSET_ICONV },
	{ "csiso58gb231280", "GB18030", CHARSET_ICONV },
	{ "iso-ir-58", "GB18030", CHARSET_ICONV },
	{ "chinese", "GB18030", CHARSET_ICONV },
	{ "big5", "BIG5-HKSCS", CHARSET_ICONV },
	{ "big5-hkscs", "BIG5-HKSCS", CHARSET_ICONV },
	{ "cn-big5", "BIG5-HKSCS", CHARSET_ICONV },
	{ "csbig5", "BIG5-HKSCS", CHARSET_ICONV },
	{ "x-x-big5", "BIG5-HKSCS", CHARSET_ICONV },
	{ "cp950", "BIG5-HKSCS", CHARSET_ICONV },
	{ "euc-tw", "EUC-TW", CHARSET_ICONV },
	{ "iso-2022-cn", "ISO-2022-CN", CHARSET_ICONV },
	{ "iso-2022-cn-ext", "ISO-2022-CN-EXT", CHARSET_ICONV },

	/* Korean: CP949 (UHC) is what "EUC-KR" mailers send. */
	{ "ks_c_5601-1987", "CP949", CHARSET_ICONV },
	{ "ks_c_5601-1989", "CP949", CHARSET_ICONV },
	{ "ks_c_5601", "CP949", CHARSET_ICONV },
	{ "ksc_5601", "CP949", CHARSET_ICONV },
	{ "ksc5601", "CP949", CHARSET_ICONV },
	{ "csksc56011987", "CP949", CHARSET_ICONV },
	{ "iso-ir-149", "CP949", CHARSET_ICONV },
	{ "korean", "CP949", CHARSET_ICONV },
	{ "euc-kr", "CP949", CHARSET_ICONV },
	{ "cseuckr", "CP949", CHARSET_ICONV },
	{ "cp949", "CP949", CHARSET_ICONV },
	{ "windows-949", "CP949", CHARSET_ICONV },
	{ "uhc", "CP949", CHARSET_ICONV },
	{ "iso-2022-kr", "ISO-2022-KR", CHARSET_ICONV },
	{ "csiso2022kr", "ISO-2022-KR", CHARSET_ICONV },
	{ "johab", "JOHAB", CHARSET_ICONV },

	/*
	 * Japanese: CP932 is Shift_JIS with the NEC and IBM rows Windows
	 * adds; ISO-2022-JP-2 also takes the half-width katakana escape
	 * that glibc's ISO-2022-JP passes through raw.
	 */
	{ "shift_jis", "CP932", CHARSET_ICONV },
	{ "shift-jis", "CP932", CHARSET_ICONV },
	{ "sjis", "CP932", CHARSET_ICONV },
	{ "x-sjis", "CP932", CHARSET_ICONV },
	{ "ms_kanji", "CP932", CHARSET_ICONV },
	{ "csshiftjis", "CP932", CHARSET_ICONV },
	{ "windows-31j", "CP932", CHARSET_ICONV },
	{ "cp932", "CP932", CHARSET_ICONV },
	{ "ms932", "CP932", CHARSET_ICONV },
	{ "iso-2022-jp", "ISO-2022-JP-2", CHARSET_ICONV },
	{ "csiso2022jp", "ISO-2022-JP-2", CHARSET_ICONV },
	{ "iso-2022-jp-2", "ISO-2022-JP-2", CHARSET_ICONV },
	{ "iso-2022-jp-3", "ISO-2022-JP-3", CHARSET_ICONV },
	{ "euc-jp", "EUC-JP", CHARSET_ICONV },
	{ "x-euc-jp", "EUC-JP", CHARSET_ICONV },
	{ "cseucpkdfmtjapanese", "EUC-JP", CHARSET_ICONV },

	/* Cyrillic. */
	{ "koi8-r", "KOI8-R", CHARSET_ICONV },
	{ "koi8r", "KOI8-R", CHARSET_ICONV },
	{ "koi8", "KOI8-R", CHARSET_ICONV },
	{ "koi", "KOI8-R", CHARSET_ICONV },
	{ "cskoi8r", "KOI8-R", CHARSET_ICONV },
	{ "koi8-u", "KOI8-U", CHARSET_ICONV },
	{ "koi8-ru", "KOI8-RU", CHARSET_ICONV },
	{ "ibm866", "CP866", CHARSET_ICONV },
	{ "cp866", "CP866", CHARSET_ICONV },
	{ "csibm866", "CP866", CHARSET_ICONV },
	{ "x-mac-cyrillic", "MAC-CYRILLIC", CHARSET_ICONV },
	{ "x-mac-ukrainian", "MAC-CYRILLIC", CHARSET_ICONV },

	/* Thai: windows-874 is the superset of TIS-620 in use. */
	{ "tis-620", "WINDOWS-874", CHARSET_ICONV },
	{ "tis620", "WINDOWS-874", CHARSET_ICONV },
	{ "windows-874", "WINDOWS-874", CHARSET_ICONV },
	{ "cp874", "WINDOWS-874", CHARSET_ICONV },
	{ "dos-874", "WINDOWS-874", CHARSET_ICONV },
	{ "iso-8859-11", "WINDOWS-874", CHARSET_ICONV },

	/* Unicode encodings other than UTF-8. */
	{ "utf-7", "UTF-7", CHARSET_ICONV },
	{ "utf7", "UTF-7", CHARSET_ICONV },
	{ "unicode-1-1-utf-7", "UTF-7", CHARSET_ICONV },
	{ "csunicode11utf7", "UTF-7", CHARSET_ICONV },
	{ "x-unicode-2-0-utf-7", "UTF-7", CHARSET_ICONV },
	{ "utf-16", "UTF-16", CHARSET_ICONV },
	{ "utf-16le", "UTF-16LE", CHARSET_ICONV },
	{ "utf-16be", "UTF-16BE", CHARSET_ICONV },
	{ "utf-32", "UTF-32", CHARSET_ICONV },
	{ "utf-32le", "UTF-32LE", CHARSET_ICONV },
	{ "utf-32be", "UTF-32BE", CHARSET_ICONV },
	{ "ucs-2", "UCS-2", CHARSET_ICONV },

	/* Windows code pages. */
	{ "windows-1250", "CP1250", CHARSET_ICONV },
	{ "cp1250", "CP1250", CHARSET_ICONV },
	{ "x-cp1250", "CP1250", CHARSET_ICONV },
	{ "windows-1251", "CP1251", CHARSET_ICONV },
	{ "cp1251", "CP1251", CHARSET_ICONV },
	{ "x-cp1251", "CP1251", CHARSET_ICONV },
	{ "windows-1253", "CP1253", CHARSET_ICONV },
	{ "cp1253", "CP1253", CHARSET_ICONV },
	{ "windows-1254", "CP1254", CHARSET_ICONV },
	{ "cp1254", "CP1254", CHARSET_ICONV },
	{ "windows-1255", "CP1255", CHARSET_ICONV },
	{ "cp1255", "CP1255", CHARSET_ICONV },
	{ "windows-1256", "CP1256", CHARSET_ICONV },
	{ "cp1256", "CP1256", CHARSET_ICONV },
	{ "windows-1257", "CP1257", CHARSET_ICONV },
	{ "cp1257", "CP1257", CHARSET_ICONV },
	{ "windows-1258", "CP1258", CHARSET_ICONV },
	{ "cp1258", "CP1258", CHARSET_ICONV },

	/* ISO 8859; part 9 as its superset windows-1254, as WHATWG does. */
	{ "iso-8859-2", "ISO-8859-2", CHARSET_ICONV },
	{ "iso8859-2", "ISO-8859-2", CHARSET_ICONV },
	{ "iso_8859-2", "ISO-8859-2", CHARSET_ICONV },
	{ "latin2", "ISO-8859-2", CHARSET_ICONV },
	{ "l2", "ISO-8859-2", CHARSET_ICONV },
	{ "iso-8859-3", "ISO-8859-3", CHARSET_ICONV },
	{ "iso8859-3", "ISO-8859-3", CHARSET_ICONV },
	{ "iso_8859-3", "ISO-8859-3", CHARSET_ICONV },
	{ "latin3", "ISO-8859-3", CHARSET_ICONV },
	{ "iso-8859-4", "ISO-8859-4", CHARSET_ICONV },
	{ "iso8859-4", "ISO-8859-4", CHARSET_ICONV },
	{ "iso_8859-4", "ISO-8859-4", CHARSET_ICONV },
	{ "latin4", "ISO-8859-4", CHARSET_ICONV },
	{ "iso-8859-5", "ISO-8859-5", CHARSET_ICONV },
	{ "iso8859-5", "ISO-8859-5", CHARSET_ICONV },
	{ "iso_8859-5", "ISO-8859-5", CHARSET_ICONV },
	{ "cyrillic", "ISO-8859-5", CHARSET_ICONV },
	{ "iso-8859-6", "ISO-8859-6", CHARSET_ICONV },
	{ "iso8859-6", "ISO-8859-6", CHARSET_ICONV },
	{ "iso_8859-6", "ISO-8859-6", CHARSET_ICONV },
	{ "arabic", "ISO-8859-6", CHARSET_ICONV },
	{ "iso-8859-7", "ISO-8859-7", CHARSET_ICONV },
	{ "iso8859-7", "ISO-8859-7", CHARSET_ICONV },
	{ "iso_8859-7", "ISO-8859-7", CHARSET_ICONV },
	{ "greek", "ISO-8859-7", CHARSET_ICONV },
	{ "iso-8859-8", "ISO-8859-8", CHARSET_ICONV },
	{ "iso8859-8", "ISO-8859-8", CHARSET_ICONV },
	{ "iso_8859-8", "ISO-8859-8", CHARSET_ICONV },
	{ "iso-8859-8-i", "ISO-8859-8", CHARSET_ICONV },
	{ "hebrew", "ISO-8859-8", CHARSET_ICONV },
	{ "iso-8859-9", "CP1254", CHARSET_ICONV },
	{ "iso8859-9", "CP1254", CHARSET_ICONV },
	{ "iso_8859-9", "CP1254", CHARSET_ICONV },
	{ "latin5", "CP1254", CHARSET_ICONV },
	{ "iso-8859-10", "ISO-8859-10", CHARSET_ICONV },
	{ "iso8859-10", "ISO-8859-10", CHARSET_ICONV },
	{ "latin6", "ISO-8859-10", CHARSET_ICONV },
	{ "iso-8859-13", "ISO-8859-13", CHARSET_ICONV },
	{ "iso8859-13", "ISO-8859-13", CHARSET_ICONV },
	{ "latin7", "ISO-8859-13", CHARSET_ICONV },
	{ "iso-8859-14", "ISO-8859-14", CHARSET_ICONV },
	{ "iso8859-14", "ISO-8859-14", CHARSET_ICONV },
	{ "latin8", "ISO-8859-14", CHARSET_ICONV },
	{ "iso-8859-15", "ISO-8859-15", CHARSET_ICONV },
	{ "iso8859-15", "ISO-8859-15", CHARSET_ICONV },
	{ "iso_8859-15", "ISO-8859-15", CHARSET_ICONV },
	{ "latin9", "ISO-8859-15", CHARSET_ICONV },
	{ "latin-9", "ISO-8859-15", CHARSET_ICONV },
	{ "iso-8859-16", "ISO-8859-16", CHARSET_ICONV },
	{ "iso8859-16", "ISO-8859-16", CHARSET_ICONV },
	{ "latin10", "ISO-8859-16", CHARSET_ICONV },

	/* Mac and DOS code pages, and the rest. */
	{ "macintosh", "MACINTOSH", CHARSET_ICONV },
	{ "mac", "MACINTOSH", CHARSET_ICONV },
	{ "x-mac-roman", "MACINTOSH", CHARSET_ICONV },
	{ "csmacintosh", "MACINTOSH", CHARSET_ICONV },
	{ "x-mac-ce", "MAC-CENTRALEUROPE", CHARSET_ICONV },
	{ "ibm437", "CP437", CHARSET_ICONV },
	{ "cp437", "CP437", CHARSET_ICONV },
	{ "ibm850", "CP850", CHARSET_ICONV },
	{ "cp850", "CP850", CHARSET_ICONV },
	{ "ibm852", "CP852", CHARSET_ICONV },
	{ "cp852", "CP852", CHARSET_ICONV },
	{ "cp1125", "CP1125", CHARSET_ICONV },
	{ "viscii", "VISCII", CHARSET_ICONV },
	{ "tcvn", "TCVN", CHARSET_ICONV },
	{ "armscii-8", "ARMSCII-8", CHARSET_ICONV },
	{ "georgian-ps", "GEORGIAN-PS", CHARSET_ICONV },
	{ "pt154", "PT154", CHARSET_ICONV }
};

/*
 * windows-1252 0x80-0x9f as Unicode.  The five holes (0x81, 0x8d, 0x8f,
 * 0x90, 0x9d) map to the C1 control of the same value, as in WHATWG's
 * index, so that every byte decodes and nothing is lost.
 */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178
};

static int
is_label_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' ||
	    c == '\'';
}

/*
 * Lower-case copy of a label without surrounding whitespace and quotes
 * into buf[LABEL_MAX]; returns its length, 0 for an empty label and -1
 * for one too long to be real.
 */
static int
label_clean(const char *name, char *buf)
{
	size_t	 start, end, i;
	char	 c;

	for (end = 0; end < LABEL_MAX * 4 && name[end] != '\0'; end++)
		continue;
	if (end == LABEL_MAX * 4)
		return -1;
	for (start = 0; start < end && is_label_space(name[start]); start++)
		continue;
	while (end > start && is_label_space(name[end - 1]))
		end--;
	if (end - start >= LABEL_MAX)
		return -1;
	for (i = start; i < end; i++) {
		c = name[i];
		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		buf[i - start] = c;
	}
	buf[end - start] = '\0';
	return (int)(end - start);
}

static const struct charset_alias *
alias_find(const char *label)
{
	size_t	 i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].label, label) == 0)
			return &aliases[i];
	return NULL;
}

/*
 * A label iconv may be asked about: iconv reads "//" suffixes and
 * commas as options, and anything else odd is no charset name.
 */
static int
label_plausible(const char *label)
{
	const char	*p;

	for (p = label; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			continue;
		if (*p != '-' && *p != '_' && *p != '.' && *p != ':')
			return 0;
	}
	return p != label;
}

const char *
mime_charset_canonical(const char *name)
{
	const struct charset_alias	*a;
	char				 label[LABEL_MAX];

	if (name == NULL || label_clean(name, label) <= 0)
		return NULL;
	if ((a = alias_find(label)) == NULL)
		return NULL;
	return a->name;
}

/*
 * Length of the well-formed UTF-8 sequence at s, or, with *ok cleared,
 * of the maximal ill-formed prefix to replace by one U+FFFD (Unicode
 * 3.9, "best practice"; what WHATWG decoders do).
 */
static size_t
utf8_sequence(const unsigned char *s, size_t len, int *ok)
{
	unsigned char	 lo = 0x80, hi = 0xbf, c = s[0];
	size_t		 need, i;

	*ok = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		*ok = 0;
		return 1;
	}
	for (i = 1; i < need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi) {
			*ok = 0;
			return i;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

size_t
mime_utf8_seq(const char *s, size_t len)
{
	size_t	 n;
	int	 ok;

	if (len == 0)
		return 0;
	n = utf8_sequence((const unsigned char *)s, len, &ok);
	return ok ? n : 0;
}

/* Offset of the first byte that is not plain ASCII, or len. */
static size_t
ascii_span(const unsigned char *s, size_t len)
{
	uint64_t	 w;
	size_t		 i = 0;

	for (; len - i >= 8; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		if (w & 0x8080808080808080ull)
			break;
	}
	while (i < len && s[i] < 0x80)
		i++;
	return i;
}

int
mime_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0;
	int			 ok;

	while (i < len) {
		i += ascii_span(p + i, len - i);
		if (i == len)
			break;
		i += utf8_sequence(p + i, len - i, &ok);
		if (!ok)
			return 0;
	}
	return 1;
}

static int
utf8_repair(const char *in, size_t len, struct mime_buf *out,
    unsigned *defects)
{
	const unsigned char	*p = (const unsigned char *)in;
	size_t			 i = 0, run = 0, n;
	int			 ok;

	while (i < len) {
		n = utf8_sequence(p + i, len - i, &ok);
		if (ok) {
			i += n;
			continue;
		}
		if (mime_buf_append(out, in + run, i - run) == -1 ||
		    mime_buf_append(out, replacement, 3) == -1)
			return -1;
		*defects |= 1u << MIME_DEFECT_BAD_CHARSET_DATA;
		i += n;
		run = i;
	}
	return mime_buf_append(out, in + run, len - run);
}

static int
cp1252_convert(const char *in, size_t len, struct mime_buf *out)
{
	const unsigned char	*p = (const unsigned char *)in;
	unsigned char		*o;
	size_t			 i;
	unsigned		 u;

	if (len > SIZE_MAX / 3 || mime_buf_reserve(out, len * 3) == -1)
		return -1;
	o = (unsigned char *)out->data + out->len;
	for (i = 0; i < len; i++) {
		u = p[i];
		if (u < 0x80) {
			*o++ = u;
			continue;
		}
		if (u < 0xa0)
			u = cp1252_high[u - 0x80];
		if (u < 0x800) {
			*o++ = 0xc0 | (u >> 6);
			*o++ = 0x80 | (u & 0x3f);
		} else {
			*o++ = 0xe0 | (u >> 12);
			*o++ = 0x80 | ((u >> 6) & 0x3f);
			*o++ = 0x80 | (u & 0x3f);
		}
	}
	out->len = (char *)o - out->data;
	out->data[out->len] = '\0';
	return 0;
}

/* Make room for iconv, growing by at least a useful amount. */
static int
iconv_room(struct mime_buf *out, size_t want)
{
	if (want < 64)
		want = 64;
	if (out->cap > out->len + 1 && out->cap - out->len - 1 >= want)
		return 0;
	return mime_buf_reserve(out, want);
}

static int
iconv_step(iconv_t cd, char **ip, size_t *ileft, struct mime_buf *out)
{
	size_t	 r, oleft;
	char	*op;

	op = out->data + out->len;
	oleft = out->cap - out->len - 1;
	r = iconv(cd, ip, ileft, &op, &oleft);
	out->len = op - out->data;
	out->data[out->len] = '\0';
	return r == (size_t)-1 ? errno : 0;
}

static int
iconv_convert(iconv_t cd, const char *in, size_t len, struct mime_buf *out,
    unsigned *defects)
{
	char	*ip = (char *)in;
	size_t	 ileft = len, before, want;
	int	 err;

	/* Most text grows by at most half on the way to UTF-8. */
	want = len < SIZE_MAX / 2 ? len + len / 2 + 16 : len;
	for (;;) {
		if (iconv_room(out, want) == -1)
			return -1;
		before = ileft;
		err = iconv_step(cd, ileft > 0 ? &ip : NULL, &ileft, out);
		if (err == 0 && ileft == 0)
			break;
		if (err == E2BIG && (ileft < before ||
		    out->cap - out->len - 1 < 64)) {
			want = out->cap;
			continue;
		}
		/* Anything else costs one input byte, so this ends. */
		if (ileft == 0)
			break;
		if (mime_buf_append(out, replacement, 3) == -1)
			return -1;
		*defects |= 1u << MIME_DEFECT_BAD_CHARSET_DATA;
		ip++;
		ileft--;
	}
	/* Return a stateful decoder to its initial shift state. */
	for (;;) {
		if (iconv_room(out, want) == -1)
			return -1;
		before = out->len;
		err = iconv_step(cd, NULL, &ileft, out);
		if (err != E2BIG || out->len == before)
			return 0;
	}
}

/*
 * How to convert: returns the kind and sets *name for iconv.  Labels not
 * in the table are tried on iconv itself; *cd is then already open.
 */
static int
charset_resolve(const char *charset, const char **name, char *label,
    iconv_t *cd)
{
	const struct charset_alias	*a;
	int				 n;

	*cd = (iconv_t)-1;
	if (charset == NULL || (n = label_clean(charset, label)) == 0)
		return CHARSET_UNSTATED;
	if (n == -1)
		return -1;
	if ((a = alias_find(label)) != NULL) {
		*name = a->name;
		return a->kind;
	}
	if (!label_plausible(label))
		return -1;
	if ((*cd = iconv_open("UTF-8", label)) == (iconv_t)-1)
		return errno == ENOMEM ? -2 : -1;
	*name = label;
	return CHARSET_ICONV;
}

static int
convert_kind(int kind, const char *name, iconv_t cd, const char *in,
    size_t len, const char *fallback, struct mime_buf *out,
    unsigned *defects);

/* Text labelled as one thing that is not: convert as fallback or UTF-8. */
static int
convert_fallback(const char *fallback, const char *in, size_t len,
    struct mime_buf *out, unsigned *defects)
{
	const char	*name = NULL;
	char		 label[LABEL_MAX];
	iconv_t		 cd;
	int		 kind;

	kind = charset_resolve(fallback, &name, label, &cd);
	if (kind == -2)
		return -1;
	if (kind < 0 || kind == CHARSET_UNSTATED || kind == CHARSET_ASCII)
		kind = CHARSET_UTF8;
	return convert_kind(kind, name, cd, in, len, NULL, out, defects);
}

static int
convert_ascii(const char *in, size_t len, const char *fallback,
    struct mime_buf *out, unsigned *defects)
{
	if (ascii_span((const unsigned char *)in, len) == len)
		return mime_buf_append(out, in, len);
	/*
	 * 8-bit text labelled us-ascii is usually UTF-8 from a mailer that
	 * never looked; failing that, it is in the local charset.
	 */
	*defects |= 1u << MIME_DEFECT_BAD_CHARSET_DATA;
	if (mime_utf8_valid(in, len))
		return mime_buf_append(out, in, len);
	if (fallback == NULL)
		return cp1252_convert(in, len, out);
	return convert_fallback(fallback, in, len, out, defects);
}

/* Closes cd, whatever happens. */
static int
convert_kind(int kind, const char *name, iconv_t cd, const char *in,
    size_t len, const char *fallback, struct mime_buf *out,
    unsigned *defects)
{
	int	 r;

	switch (kind) {
	case CHARSET_ASCII:
		return convert_ascii(in, len, fallback, out, defects);
	case CHARSET_UTF8:
		if (mime_utf8_valid(in, len))
			return mime_buf_append(out, in, len);
		return utf8_repair(in, len, out, defects);
	case CHARSET_CP1252:
		return cp1252_convert(in, len, out);
	case CHARSET_ICONV:
		if (cd == (iconv_t)-1 &&
		    (cd = iconv_open("UTF-8", name)) == (iconv_t)-1) {
			if (errno == ENOMEM)
				return -1;
			/* Known to us, not to this libc. */
			*defects |= 1u << MIME_DEFECT_UNKNOWN_CHARSET;
			return convert_fallback(fallback, in, len, out,
			    defects);
		}
		r = iconv_convert(cd, in, len, out, defects);
		iconv_close(cd);
		return r;
	default:
		return convert_fallback(fallback, in, len, out, defects);
	}
}

int
mime_charset_to_utf8(const char *charset, const char *in, size_t len,
    const char *fallback, struct mime_buf *out)
{
	const char	*name = NULL;
	char		 label[LABEL_MAX];
	size_t		 mark = out->len;
	unsigned	 defects = 0;
	iconv_t		 cd;
	int		 kind, r;

	kind = charset_resolve(charset, &name, label, &cd);
	if (kind == -2)
		return -1;
	if (kind == -1) {
		defects |= 1u << MIME_DEFECT_UNKNOWN_CHARSET;
		kind = CHARSET_UNSTATED;
	}
	r = convert_kind(kind, name, cd, in, len, fallback, out, &defects);
	if (r == -1) {
		/* Leave the buffer as it was. */
		out->len = mark;
		if (out->data != NULL)
			out->data[mark] = '\0';
		return -1;
	}
	return (int)defects;
}
