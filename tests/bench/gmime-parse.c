/* SPDX-License-Identifier: ISC */
/*
 * gmime-parse.c - the work of `mailsift parse --json` done with GMime 3,
 * the yardstick of tests/bench/bench-mime.sh.
 *
 * For each file: load it as mailsift does (read() below 256 KB, mmap
 * above), parse it with GMimeParser, decode Subject, From, To and Cc of
 * the top message and of every nested message/rfc822, and for every leaf
 * fetch type, charset, disposition and file name and decode its content
 * into a null stream that counts the bytes.  Nothing is printed per
 * message (-l prints "path leaves decoded-bytes" per file, to compare
 * with mailsift); one summary line goes to stdout at the end.  An
 * unreadable file is reported on stderr and makes the exit status 1, as
 * in mailsift.
 *
 * Build: cc -std=c11 -O2 gmime-parse.c $(pkg-config --cflags --libs
 * gmime-3.0)
 */
#define _POSIX_C_SOURCE 200809L

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

/* Same cut-over as daemon/util/mailfile.c. */
#define MAP_THRESHOLD	(256 * 1024)

struct totals {
	unsigned long		 files;
	unsigned long		 messages;
	unsigned long		 leaves;
	unsigned long		 addresses;
	unsigned long long	 decoded;
	/* Lengths of the decoded strings, so none of the work is idle. */
	unsigned long long	 text;
};

static void	walk(GMimeObject *, struct totals *);

static size_t
slen(const char *s)
{
	return s == NULL ? 0 : strlen(s);
}

static void
address_list(InternetAddressList *list, struct totals *t)
{
	InternetAddress	*ia;
	int		 i, n;

	if (list == NULL)
		return;
	n = internet_address_list_length(list);
	for (i = 0; i < n; i++) {
		ia = internet_address_list_get_address(list, i);
		t->text += slen(internet_address_get_name(ia));
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			address_list(internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), t);
			continue;
		}
		t->text += slen(internet_address_mailbox_get_addr(
		    INTERNET_ADDRESS_MAILBOX(ia)));
		t->addresses++;
	}
}

static void
envelope(GMimeMessage *m, struct totals *t)
{
	GMimeObject	*o = GMIME_OBJECT(m);

	t->messages++;
	t->text += slen(g_mime_message_get_subject(m));
	/* mailsift reports Date and Message-ID raw, unfolded. */
	t->text += slen(g_mime_object_get_header(o, "Date"));
	t->text += slen(g_mime_object_get_header(o, "Message-ID"));
	address_list(g_mime_message_get_from(m), t);
	address_list(g_mime_message_get_to(m), t);
	address_list(g_mime_message_get_cc(m), t);
}

static void
leaf(GMimePart *part, struct totals *t)
{
	GMimeObject		*o = GMIME_OBJECT(part);
	GMimeContentType	*ct = g_mime_object_get_content_type(o);
	GMimeDataWrapper	*content;
	GMimeStream		*null;
	char			*type;

	t->leaves++;
	type = g_mime_content_type_get_mime_type(ct);
	t->text += slen(type);
	g_free(type);
	t->text += slen(g_mime_content_type_get_parameter(ct, "charset"));
	t->text += slen(g_mime_object_get_disposition(o));
	t->text += slen(g_mime_part_get_filename(part));

	if ((content = g_mime_part_get_content(part)) == NULL)
		return;
	null = g_mime_stream_null_new();
	/* Decodes the Content-Transfer-Encoding, no charset conversion. */
	g_mime_data_wrapper_write_to_stream(content, null);
	t->decoded += GMIME_STREAM_NULL(null)->written;
	g_object_unref(null);
}

static void
walk(GMimeObject *o, struct totals *t)
{
	GMimeMessage	*m;
	int		 i, n;

	if (GMIME_IS_MESSAGE_PART(o)) {
		m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		if (m == NULL)
			return;
		envelope(m, t);
		if (g_mime_message_get_mime_part(m) != NULL)
			walk(g_mime_message_get_mime_part(m), t);
	} else if (GMIME_IS_MULTIPART(o)) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
		for (i = 0; i < n; i++)
			walk(g_mime_multipart_get_part(GMIME_MULTIPART(o), i),
			    t);
	} else if (GMIME_IS_PART(o))
		leaf(GMIME_PART(o), t);
}

/* A stream over the whole file, loaded the way mailsift loads it. */
static GMimeStream *
open_stream(const char *path)
{
	struct stat	 st;
	GByteArray	*buf;
	GMimeStream	*s = NULL;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto out;
	if (st.st_size >= MAP_THRESHOLD) {
		/* The stream owns fd and unmaps and closes it when freed. */
		s = g_mime_stream_mmap_new(fd, PROT_READ, MAP_PRIVATE);
		if (s != NULL)
			return s;
		goto out;
	}
	buf = g_byte_array_sized_new((guint)st.st_size);
	g_byte_array_set_size(buf, (guint)st.st_size);
	while (off < (size_t)st.st_size) {
		n = read(fd, buf->data + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_byte_array_free(buf, TRUE);
			goto out;
		}
		off += (size_t)n;
	}
	s = g_mime_stream_mem_new_with_byte_array(buf);
out:
	close(fd);
	return s;
}

static int
parse_file(const char *path, struct totals *t, int list)
{
	unsigned long		 leaves = t->leaves;
	unsigned long long	 decoded = t->decoded;
	GMimeStream	*s;
	GMimeParser	*parser;
	GMimeMessage	*m;

	if ((s = open_stream(path)) == NULL) {
		fprintf(stderr, "gmime-parse: %s: %s\n", path, strerror(errno));
		return -1;
	}
	parser = g_mime_parser_new_with_stream(s);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	m = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (m == NULL) {
		fprintf(stderr, "gmime-parse: %s: not a message\n", path);
		g_object_unref(s);
		return -1;
	}
	t->files++;
	envelope(m, t);
	if (g_mime_message_get_mime_part(m) != NULL)
		walk(g_mime_message_get_mime_part(m), t);
	g_object_unref(m);
	g_object_unref(s);
	if (list)
		printf("%s %lu %llu\n", path, t->leaves - leaves,
		    t->decoded - decoded);
	return 0;
}

int
main(int argc, char **argv)
{
	struct totals	 t;
	int		 i = 1, list = 0, rv = 0;

	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		list = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: gmime-parse [-l] FILE...\n");
		return 2;
	}
	memset(&t, 0, sizeof(t));
	g_mime_init();
	for (; i < argc; i++)
		if (parse_file(argv[i], &t, list) == -1)
			rv = 1;
	g_mime_shutdown();
	printf("gmime-parse: %lu files, %lu messages, %lu leaves, "
	    "%llu decoded bytes, %lu addresses, %llu text bytes\n",
	    t.files, t.messages, t.leaves, t.decoded, t.addresses, t.text);
	return rv;
}
