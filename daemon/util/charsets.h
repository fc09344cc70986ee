/* SPDX-License-Identifier: ISC */
/*
 * charsets.h - keeping glibc's charset converters loaded.
 *
 * mime/ opens an iconv converter per conversion and closes it again, as
 * a pure library must.  glibc loads a converter module (a shared object)
 * on the first open and unloads it when the last user closes it, so
 * every message in, say, KOI8-R paid a dlopen/dlclose: about 15 us per
 * message.  The program opens one converter for each charset common in
 * mail at start and never closes it, which keeps those modules resident.
 */
#ifndef DAEMON_CHARSETS_H
#define DAEMON_CHARSETS_H

void	charsets_keep_loaded(void);

#endif
