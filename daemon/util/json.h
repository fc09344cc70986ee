/* SPDX-License-Identifier: ISC */
/*
 * json.h - writing JSON to a stdio stream.
 *
 * Strings are written as valid JSON whatever the input: control characters
 * are escaped and invalid UTF-8 is replaced by U+FFFD, so output built from
 * hostile mail always parses.
 */
#ifndef DAEMON_UTIL_JSON_H
#define DAEMON_UTIL_JSON_H

#include <stddef.h>
#include <stdio.h>

void	json_string(FILE *, const char *, size_t);
/* A NUL-terminated string, or null for NULL. */
void	json_cstr(FILE *, const char *);

#endif
