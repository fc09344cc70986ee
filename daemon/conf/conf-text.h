/* SPDX-License-Identifier: ISC */
/*
 * conf-text.h - text-level helpers of the configuration loader.
 *
 * Pure functions on strings: no files, no global state.  conf_text_blank()
 * exists because libconfuse 3.3 (Debian 12) counts every line of a
 * comment twice, so error line numbers drift, and rejects a comment
 * inside a list; the loader blanks comments itself (keeping newlines)
 * and hands libconfuse comment-free text.  The value parsers return NULL
 * on success and otherwise a reason fit for an error message.
 */
#ifndef DAEMON_CONF_TEXT_H
#define DAEMON_CONF_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* "sha256:" and 64 lowercase hex digits, and the NUL. */
#define CONF_FINGERPRINT_LEN	(7 + 64 + 1)

/* Overwrite #, // and C comments in buf with spaces, leaving newlines and
 * quoted strings alone, and check that braces balance.  On error returns
 * the reason and sets *line. */
const char	*conf_text_blank(char *buf, size_t len, int *line);

/* libconfuse replaces ${NAME} outside single quotes by the variable, and
 * an unset one by nothing, which then shows up as an empty option far
 * from its cause.  On text conf_text_blank() has blanked: the first
 * ${NAME} without a default (${NAME:-value}) for which defined() is 0,
 * with its name and line, and the reason; NULL if there is none. */
const char	*conf_text_vars_check(char *buf, size_t len,
		    int (*defined)(const char *), char *name, size_t namelen,
		    int *line);

/* libconfuse takes an unknown escape in double quotes as the letter
 * alone: "\Junk" would silently be the folder Junk.  A SPECIAL-USE name
 * is where a user writes a backslash before a letter, so on blanked
 * text: the first such name in double quotes (into name), its line and
 * the reason; NULL if there is none. */
const char	*conf_text_escapes_check(char *buf, size_t len, char *name,
		    size_t namelen, int *line);

/* "123", "64K", "64M", "1G" (powers of 1024) into bytes, more than 0. */
const char	*conf_size_parse(const char *, uint64_t *);

/* A sha256 pin as "sha256:AB:CD:...", "sha256:abcd..." or plain hex,
 * normalised to "sha256:" and lowercase hex without colons. */
const char	*conf_fingerprint_parse(const char *, char *out, size_t outlen);

/* An absolute path or one starting with "~/" (or "~" alone), expanded
 * from $HOME into a new string. */
const char	*conf_path_expand(const char *, char **out);

/* A deliver target, "maildir:PATH" or "mbox:PATH" as rule_target_parse()
 * (rules.h) reads it, a PATH expanded as conf_path_expand() does. */
const char	*conf_deliver_expand(const char *, char **out);

#endif
