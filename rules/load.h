/* SPDX-License-Identifier: ISC */
/*
 * load.h - internal: the compiled rule set, and the helpers that read
 * the YAML document of a rule file.
 *
 * The loader (load.c) reads the whole file with libyaml's document API,
 * then compiles it top-down: rules (rule.c), conditions (cond*.c),
 * actions (act-*.c), the tests: section (selftest.c), all reading nodes
 * through the helpers of node.c.  Every error names
 * FILE:LINE:COL of the node at fault and stops the load: a rule file is
 * used whole or not at all.  YAML aliases are refused (a rule file has
 * no use for them, and they would let a small file expand hugely).
 */
#ifndef RULES_LOAD_H
#define RULES_LOAD_H

#include <stddef.h>

#include <yaml.h>

#include "rules/rules.h"

struct cond;
struct act;
struct rule_regex;
struct rule_template;

/* Deepest nesting of conditions (all/any/not). */
#define RULE_COND_DEPTH	64

struct rule {
	char		*name;
	int		 line, col;
	struct cond	*when;		/* NULL: every message */
	struct act	**acts;
	size_t		 nacts;
	int		 stop;
	char		**capnames;	/* named groups of its regexes */
	size_t		 ncap;
};

struct rule_test {
	char		*message;	/* resolved path */
	char		*account, *folder;
	char		**labels;	/* as a source would hand them */
	size_t		 nlabels;
	int		 line;
	enum rule_action_type *expect;
	size_t		 nexpect;
};

struct rule_set {
	char		*name;
	unsigned	 flags;
	struct rule	*rules;
	size_t		 nrules;
	struct act	**defaults;
	size_t		 ndefaults;
	int		 has_default;
	char		**headers;	/* header: names, one cache slot each */
	size_t		 nheaders;
	unsigned	 max_groups;	/* of any regex, for the scratch */
	size_t		 nregex;	/* regexes, numbered by the loader */
	size_t		 max_cap;	/* named captures of any rule */
	int		 jit;
	struct rule_test *tests;
	size_t		 ntests;
};

struct rule_load {
	const char	*file;
	yaml_document_t	*doc;
	unsigned	 flags;
	struct rule_set	*set;
	struct rule	*rule;		/* being compiled, or NULL */
	unsigned char	*seen;		/* per node: visited once */
	size_t		 nnodes;
	unsigned	 depth;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

/* Set the error "FILE:LINE:COL: message" for node n (the first error
 * wins) and return -1. */
int	 load_error(struct rule_load *, const yaml_node_t *n,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same at a position (1-based) rather than a node. */
int	 load_error_pos(struct rule_load *, int line, int col,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same at an offset into a one-line scalar (a regex, a template). */
int	 load_error_at(struct rule_load *, const yaml_node_t *n,
	    size_t off, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* The node with id, refusing one seen before (an alias).  NULL on
 * error. */
yaml_node_t *load_node(struct rule_load *, int id);
/* The scalar's text (NUL-free) or an error naming what was expected. */
int	 load_scalar(struct rule_load *, yaml_node_t *, const char *what,
	    const char **s, size_t *len);
/* The same, copied. */
int	 load_string(struct rule_load *, yaml_node_t *, const char *what,
	    char **out);
int	 load_bool(struct rule_load *, yaml_node_t *, const char *what,
	    int *out);
int	 load_duration(struct rule_load *, yaml_node_t *, const char *what,
	    long long *out);
/* 1 if the node is a null scalar ("", "~", "null"). */
int	 load_is_null(const yaml_node_t *);
int	 load_expect_mapping(struct rule_load *, yaml_node_t *,
	    const char *what);
/* Mapping entry i: its key text and value node.  0, or -1 on error
 * (a key that is not a scalar, a key seen twice). */
int	 load_pair(struct rule_load *, yaml_node_t *map, size_t i,
	    const char **key, yaml_node_t **keynode, yaml_node_t **value);
size_t	 load_pair_count(const yaml_node_t *map);
/* Sequence item i. */
size_t	 load_item_count(const yaml_node_t *seq);
yaml_node_t *load_item(struct rule_load *, yaml_node_t *seq, size_t i);
/* Compile a template from a scalar in the given mode (enum
 * rule_tpl_mode), with the captures of the rule being loaded. */
/* p[0..len) is a path the daemon can use whatever its working
 * directory: "/..." or "~/..." (also "~"); else a load error naming what. */
int	 load_path_check(struct rule_load *, yaml_node_t *, const char *p,
	    size_t len, const char *what);
int	 load_template(struct rule_load *, yaml_node_t *, int mode,
	    const char *what, struct rule_template **out);
/* Compile a regex from a scalar, with its position in errors. */
int	 load_regex(struct rule_load *, yaml_node_t *, unsigned opts,
	    struct rule_regex **out);
/* A do: list (or a single action) of the rule named rule, each action
 * given its identity. */
int	 load_actions(struct rule_load *, yaml_node_t *, const char *rule,
	    struct act ***out, size_t *nout);
/* Cache slot of a header name for header: conditions. */
int	 load_header_slot(struct rule_load *, const char *name,
	    size_t *slot);

/* rule.c: one entry of rules:.  selftest.c: the tests: section. */
int	 rule_parse(struct rule_load *, yaml_node_t *, struct rule *);
void	 rule_clear(struct rule *);
int	 selftest_parse(struct rule_load *, yaml_node_t *);
void	 selftest_clear(struct rule_test *);

#endif
