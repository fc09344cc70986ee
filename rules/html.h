/* SPDX-License-Identifier: ISC */
/*
 * html.h - internal: the text of an HTML part, for body conditions.
 *
 * Not a renderer: tags are dropped (block-level ones become a line
 * break), comments, <script> and <style> contents are dropped, character
 * references are decoded (the common named ones and every numeric one;
 * others are kept as written), and runs of white space become one space.
 * Linear in the input, no recursion.  The input is UTF-8; the output is
 * UTF-8 as long as the input is.
 */
#ifndef RULES_HTML_H
#define RULES_HTML_H

#include <stddef.h>

#include "mime/buf.h"

/* Append the text of in[0..len) to out; 0, or -1 on ENOMEM. */
int	rule_html_to_text(const char *in, size_t len, struct mime_buf *out);

#endif
