/* SPDX-License-Identifier: ISC */
/*
 * config.c - struct config once built: finding an account or an smtp
 * section by name, freeing it; see config.h.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/config.h"
#include "daemon/conf/oauth2.h"
#include "daemon/util/wipe.h"

const struct account *
config_account(const struct config *conf, const char *name)
{
	size_t	 i;

	for (i = 0; i < conf->naccounts; i++)
		if (strcmp(conf->accounts[i].name, name) == 0)
			return &conf->accounts[i];
	return NULL;
}

const struct smtp_server *
config_smtp(const struct config *conf, const char *name)
{
	size_t	 i;

	for (i = 0; i < conf->nsmtp; i++)
		if (strcmp(conf->smtp[i].name, name) == 0)
			return &conf->smtp[i];
	return NULL;
}

const struct webhook *
config_webhook(const struct config *conf, const char *name)
{
	size_t	 i;

	for (i = 0; i < conf->nwebhooks; i++)
		if (strcmp(conf->webhooks[i].name, name) == 0)
			return &conf->webhooks[i];
	return NULL;
}

static void
endpoint_free(struct endpoint *ep)
{
	free(ep->label);
	free(ep->host);
	free(ep->port);
	free(ep->tls_ca_file);
	free(ep->tls_fingerprint);
	free(ep->user);
	wipe_free(ep->password);
	free(ep->password_command);
	oauth2_conf_free(ep->oauth2);
}

void
config_free(struct config *conf)
{
	struct account	*a;
	size_t		 i, j;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->naccounts; i++) {
		a = &conf->accounts[i];
		free(a->name);
		endpoint_free(&a->ep);
		for (j = 0; j < a->nfolders; j++)
			free(a->folders[j]);
		free(a->folders);
		free(a->path);
		free(a->deliver);
		free(a->rules);
		free(a->smtp);
		free(a->recipient);
		free(a->lmtp_tls_ca_file);
		free(a->pin);
	}
	for (i = 0; i < conf->nsmtp; i++) {
		free(conf->smtp[i].name);
		endpoint_free(&conf->smtp[i].ep);
		free(conf->smtp[i].from);
	}
	for (i = 0; i < conf->nwebhooks; i++) {
		free(conf->webhooks[i].name);
		free(conf->webhooks[i].url);
		endpoint_free(&conf->webhooks[i].ep);
		for (j = 0; j < conf->webhooks[i].nheaders; j++)
			free(conf->webhooks[i].headers[j]);
		free(conf->webhooks[i].headers);
	}
	free(conf->accounts);
	free(conf->smtp);
	free(conf->webhooks);
	free(conf->path);
	free(conf->state);
	free(conf->user);
	free(conf->metrics_listen);
	free(conf);
}
