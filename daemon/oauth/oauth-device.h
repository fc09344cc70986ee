/* SPDX-License-Identifier: ISC */
/*
 * oauth-device.h - the pieces of the device grant (RFC 8628) that a
 * unit test checks alone: the device endpoint's answer and what one
 * poll's answer means.  Internal to daemon/oauth/; see oauth.h.
 */
#ifndef DAEMON_OAUTH_OAUTH_DEVICE_H
#define DAEMON_OAUTH_OAUTH_DEVICE_H

#include <stddef.h>

struct oauth_device;
struct oauth_answer;
struct http_response;

/* The seconds between polls when the provider does not say (RFC 8628
 * 3.2), and what slow_down adds (3.5). */
#define OAUTH_DEVICE_INTERVAL	5
#define OAUTH_DEVICE_SLOW_DOWN	5
/* The code's life when the provider does not say. */
#define OAUTH_DEVICE_LIFE	900

/* The device authorization answer (RFC 8628 3.2) into d: 0, or -1 with
 * why in err (an error answer's code, a member missing).  Google's
 * older verification_url is taken for verification_uri.  Clear d with
 * oauth_device_clear() in every case. */
int	oauth_device_parse(long status, const char *text, size_t len,
	    struct oauth_device *d, char *err, size_t errlen);
void	oauth_device_clear(struct oauth_device *);

/* One poll of the token endpoint, what it means (RFC 8628 3.5). */
enum oauth_device_step {
	DEVICE_GRANTED,		/* a token: store it */
	DEVICE_PENDING,		/* authorization_pending: wait, poll */
	DEVICE_SLOW_DOWN,	/* slow_down: interval + 5 s, poll */
	DEVICE_RETRY,		/* network, 5xx: wait, poll (bounded by the
				   code's life) */
	DEVICE_DENIED,		/* access_denied: the user said no */
	DEVICE_EXPIRED,		/* expired_token: start again */
	DEVICE_FAILED		/* any other answer: a client or config
				   error */
};
/* r: the HTTP outcome (answered or not); a: its parsed JSON, or NULL if
 * none could be read. */
enum oauth_device_step oauth_device_step(const struct http_response *r,
	    const struct oauth_answer *a);

#endif
