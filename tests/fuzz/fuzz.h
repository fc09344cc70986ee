/* SPDX-License-Identifier: ISC */
/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz/ share.
 *
 * The protocol targets (fuzz_imap, fuzz_pop3, fuzz_smtp) run a whole
 * client session of the real code against a server that plays the fuzz
 * input: serve.c listens on 127.0.0.1 only, sends the input's bytes as
 * they are, then ends its side; the client reads them through the real
 * conn layer, so line splitting, literals and dot-stuffing are fuzzed
 * with the parsers on top.  The server ignores what the client sends
 * (it reads and drops it), so the replies of one input answer the
 * commands in order, as a pipelining server's would.
 *
 * pipeline.c is the pipeline double for the fetch sources (a message is
 * checked and dropped); its symbols win over libdaemon.a, so fetch.o
 * and the state store are never linked in.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* Listen on 127.0.0.1; the port, as a string, for conn_open().  Aborts
 * if the socket cannot be set up: nothing could be fuzzed. */
const char	*fuzz_serve_init(void);
/* Serve data (the caller keeps it) to the next connection, from a
 * thread; fuzz_serve_end() waits for it, after the client closed. */
void		 fuzz_serve_begin(const uint8_t *data, size_t size);
void		 fuzz_serve_end(void);

/* Session options taken from an input's first byte, so one corpus
 * covers the TLS and login variants. */
struct fuzz_opts {
	int		 starttls;	/* else plaintext */
	int		 auth;		/* enum auth_mech */
	int		 keep;
	int		 pipelining;	/* smtp: several recipients */
	int		 idle;		/* imap: IDLE after the round */
	int		 stop;		/* fetch: SIGTERM after a message */
};
void		 fuzz_opts_take(const uint8_t **data, size_t *size,
		    struct fuzz_opts *);

/* The pipeline double, one per session: known-ness, commits and
 * failures follow from the UIDs and sizes the input chose.  With stop,
 * stop_requested() says yes once a message was handed over, as after
 * a SIGTERM. */
struct pipeline;
struct pipeline	*fuzz_pipeline_new(uint64_t max_size, int stop);
void		 fuzz_pipeline_free(struct pipeline *);

#endif
