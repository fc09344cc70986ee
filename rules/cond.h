/* SPDX-License-Identifier: ISC */
/*
 * cond.h - internal: conditions, compiled from the rule file and
 * evaluated against a message.
 *
 * Each kind of condition is a cond_type (its key in the rule file, how
 * to compile its value, how to evaluate it), defined in the file of its
 * family: cond.c (all, any, not), cond-text.c (header, subject, body,
 * account, folder), cond-addr.c (from, to, cc, recipient, sender),
 * cond-attach.c (attachment), cond-num.c (size, age), cond-defect.c
 * (defect), cond-label.c (label).  Evaluation short-circuits: all
 * stops at the first false child, any at the first true one.
 */
#ifndef RULES_COND_H
#define RULES_COND_H

#include <stddef.h>

#include <yaml.h>

#include "rules/units.h"

struct rule_load;
struct rule_eval;
struct rule_regex;
struct cond;

/* A regex with the rule capture slot of each of its named groups. */
struct cond_regex {
	struct rule_regex	*re;
	size_t			*slots;		/* per name index */
};

struct cond_type {
	const char	*name;
	int		 composite;	/* all, any, not */
	/* Compile the value node of "name: value" into c; 0, or -1 with
	 * the error set in the load. */
	int		(*parse)(struct rule_load *, yaml_node_t *,
			    struct cond *c);
	/* 1 true, 0 false, -1 out of memory. */
	int		(*eval)(struct rule_eval *, const struct cond *);
};

struct cond {
	const struct cond_type	*type;
	int			 line, col;
	char			*desc;		/* for --explain */
	struct cond		**kids;		/* all, any, not */
	size_t			 nkids;
	struct cond_regex	 rx;		/* text, address, filename */
	struct cond_regex	 rx2;		/* attachment type */
	int			 field;		/* which value to look at */
	size_t			 slot;		/* header: cache slot */
	char			*name;		/* header: field name */
	struct rule_cmp		 cmp;		/* size, age, attachment */
	int			 has_cmp;
	int			 defect;	/* code, or -1 for any */
	int			 bare;		/* address: try the bare one */
};

extern const struct cond_type cond_all, cond_any, cond_not;
extern const struct cond_type cond_header, cond_subject, cond_body,
	    cond_account, cond_folder;
extern const struct cond_type cond_from, cond_to, cond_cc, cond_recipient,
	    cond_sender;
extern const struct cond_type cond_attachment;
extern const struct cond_type cond_size, cond_age;
extern const struct cond_type cond_defect;
extern const struct cond_type cond_label;

/* Compile a condition node: a mapping of one or more "kind: value"
 * pairs (several are an implicit all), or a sequence (an implicit all).
 * NULL on error, set in the load. */
struct cond	*cond_parse(struct rule_load *, yaml_node_t *);
void		 cond_free(struct cond *);
/* Evaluate c, reporting it to the explain callback, and keep its
 * captures only if it is true.  1, 0, or -1 on ENOMEM. */
int		 cond_eval(struct rule_eval *, const struct cond *);
/* Compile a regex for c->rx or rx2 (registering its named groups as
 * captures of the rule being loaded). */
int		 cond_regex_parse(struct rule_load *, yaml_node_t *,
		    unsigned opts, struct cond_regex *);
void		 cond_regex_free(struct cond_regex *);
/* "key 'pattern'" as the description of c. */
int		 cond_describe(struct rule_load *, struct cond *,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
