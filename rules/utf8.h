/* SPDX-License-Identifier: ISC */
/*
 * utf8.h - internal: making text valid UTF-8 before a regex sees it.
 *
 * Regexes run in PCRE2's UTF mode without PCRE2_MATCH_INVALID_UTF (whose
 * JIT support is broken for \D, \S, \W in PCRE2 10.42, the version of
 * Debian 12: PCRE2 issue #224), and without a check on every match, so
 * every subject must be valid UTF-8.  mime/ decoders produce valid text;
 * what comes from elsewhere (raw address bytes, the caller's account and
 * folder names) goes through here once per evaluation.
 */
#ifndef RULES_UTF8_H
#define RULES_UTF8_H

#include <stddef.h>

struct rule_arena;
struct mime_buf;

/* Length of the valid UTF-8 sequence at s[0..len) (RFC 3629: shortest
 * form, no surrogates, at most U+10FFFF), or 0 if there is none. */
size_t	 rule_utf8_seq(const unsigned char *s, size_t len);
/* A NUL-terminated copy of s[0..len) in the arena, each invalid byte
 * replaced by U+FFFD; *outlen is its length.  NULL on ENOMEM. */
char	*rule_utf8_copy(struct rule_arena *, const char *s, size_t len,
	    size_t *outlen);
/* Make buf valid in place (from byte from on); 0, or -1 on ENOMEM. */
int	 rule_utf8_fix(struct mime_buf *buf, size_t from);

#endif
