/* SPDX-License-Identifier: ISC */
/*
 * rules.h - mailsift's rule engine (librules.a).
 *
 * A rule file (YAML, see mailsift-rules(5)) is loaded once into an
 * immutable rule_set: every regex compiled (PCRE2, JIT when the library
 * has it), every template parsed, every action parameter checked.  A bad
 * file is refused whole, with one error naming file:line:column.
 *
 * Evaluating the set on a parsed message gives a rule_plan: the ordered
 * list of actions to carry out, their templates expanded for this message
 * into strings ready to use.  rules/ carries nothing out: it never touches
 * the network, never writes a file, keeps no global mutable state, and
 * reads no file but the rule file itself.  A rule_set may be shared by
 * threads; an evaluation allocates all it uses.
 *
 * Hostile mail cannot stall an evaluation: every regex match runs under
 * PCRE2 match, depth and heap limits.  A match that hits a limit counts
 * as no match and is reported (rule_plan_warning(), and the explain
 * callback); that regex is not run again on the message, so a message
 * costs each regex at most one limit however many addresses, header
 * fields or attachments it has.  Body conditions see at most
 * RULE_BODY_MAX bytes of text.
 */
#ifndef RULES_RULES_H
#define RULES_RULES_H

#include <stddef.h>
#include <time.h>

struct mime_message;
struct mime_part;

/* What the message's source cannot do, for rule_set_load(): actions that
 * need it are refused when the file is loaded. */
#define RULE_SOURCE_NO_FOLDERS	0x01	/* no server folders: move, copy */
#define RULE_SOURCE_NO_FLAGS	0x02	/* no server flags: flag */
#define RULE_SOURCE_NO_DELETE	0x04	/* cannot delete (stdin): delete */
/* move and copy file into Maildir++ folders of the target, so a
 * SPECIAL-USE name (\Junk) has no server to resolve it */
#define RULE_SOURCE_LOCAL_FOLDERS 0x08
/* Compile regexes without JIT (benchmarks, debugging). */
#define RULE_LOAD_NO_JIT	0x100

/* Per-match limits (pcre2_set_match_limit, _depth_limit, _heap_limit
 * in KiB) and the most decoded body text a body condition sees. */
#define RULE_MATCH_LIMIT	1000000
#define RULE_DEPTH_LIMIT	10000
#define RULE_HEAP_LIMIT		16384
#define RULE_BODY_MAX		(1024 * 1024)

struct rule_set;
struct rule_plan;
struct rule_action;
struct rule_test;

/* Load and compile the rule file at path.  NULL on error, with the
 * message ("FILE:LINE:COL: what is wrong") in err. */
struct rule_set	*rule_set_load(const char *path, unsigned flags, char *err,
		    size_t errlen);
/* The same from text in memory; name is used in messages and to resolve
 * the message paths of the tests: section. */
struct rule_set	*rule_set_load_buffer(const char *name, const char *text,
		    size_t len, unsigned flags, char *err, size_t errlen);
void		 rule_set_free(struct rule_set *);
size_t		 rule_set_count(const struct rule_set *);
const char	*rule_set_rule_name(const struct rule_set *, size_t);
/* 1 if the regexes run JIT-compiled. */
int		 rule_set_jit(const struct rule_set *);
/* 1 if the file has a default: section. */
int		 rule_set_has_default(const struct rule_set *);

/* What an evaluation knows besides the message. */
struct rule_input {
	const struct mime_message *msg;
	size_t		 size;		/* bytes of the raw message */
	const char	*account;	/* NULL: "" */
	const char	*folder;	/* NULL: "" */
	/* the message's labels at its source (Gmail's X-GM-LABELS, UTF-8;
	 * system ones as "\\Inbox"), for the label: condition */
	const char *const *labels;
	size_t		 nlabels;
	time_t		 now;		/* for age and the {date} fallback */
	time_t		 arrival;	/* for age if known, else 0: Date */
};

/* --explain: one event per rule verdict and per condition evaluated,
 * conditions before the rule's verdict, each after its own children
 * (post-order; depth 0 is the rule's top condition). */
enum rule_explain_kind {
	RULE_EXPLAIN_COND,
	RULE_EXPLAIN_RULE
};

struct rule_capture {
	const char	*name;
	const char	*value;
	size_t		 len;
};

struct rule_explain {
	enum rule_explain_kind	 kind;
	size_t			 rule;		/* index in the set */
	const char		*rule_name;
	unsigned		 depth;
	const char		*cond;		/* "from '@x\.com$'" */
	int			 line, col;	/* of the condition */
	int			 result;	/* 1 true, 0 false */
	int			 limit_hit;	/* a match hit a PCRE2 limit */
	int			 stopped;	/* RULE: its stop ended the run */
	/* For a regex condition that matched: which value ("From",
	 * "header X-Spam", "body", "part 2 filename"), the value and
	 * the span of the match in it, and the named captures set. */
	const char		*where;
	const char		*text;
	size_t			 textlen;
	size_t			 match_off, match_len;
	const struct rule_capture *captures;
	size_t			 ncaptures;
};

typedef void	(*rule_explain_fn)(void *arg, const struct rule_explain *);

/* Run the rules on a message.  explain may be NULL.  NULL only when
 * memory runs out. */
struct rule_plan *rule_set_eval(const struct rule_set *,
		    const struct rule_input *, rule_explain_fn, void *arg);

enum rule_action_type {
	RULE_ACTION_DELIVER,
	RULE_ACTION_MOVE,
	RULE_ACTION_COPY,
	RULE_ACTION_SAVE_ATTACHMENTS,
	RULE_ACTION_REPLY,
	RULE_ACTION_FORWARD,
	RULE_ACTION_REDIRECT,
	RULE_ACTION_PIPE,
	RULE_ACTION_ADD_HEADER,
	RULE_ACTION_REMOVE_HEADER,
	RULE_ACTION_FLAG,
	RULE_ACTION_DELETE,
	RULE_ACTION_DISCARD,
	RULE_ACTION_KEEP,
	RULE_ACTION_ADD_LABEL,
	RULE_ACTION_REMOVE_LABEL
};

/* Verdict of each rule of the set on the message. */
enum rule_verdict {
	RULE_VERDICT_NO_MATCH,
	RULE_VERDICT_MATCH,
	RULE_VERDICT_NOT_REACHED	/* an earlier rule stopped */
};

void		 rule_plan_free(struct rule_plan *);
size_t		 rule_plan_count(const struct rule_plan *);
const struct rule_action *rule_plan_action(const struct rule_plan *,
		    size_t);
/* 1 if no rule filed the message (deliver, move, copy, discard) and the
 * default: actions were added. */
int		 rule_plan_default_applied(const struct rule_plan *);
/* 1 if some action of the plan files the message. */
int		 rule_plan_filed(const struct rule_plan *);
enum rule_verdict rule_plan_verdict(const struct rule_plan *, size_t rule);
/* Things the daemon should log: regex limits hit, text cut short. */
size_t		 rule_plan_warning_count(const struct rule_plan *);
const char	*rule_plan_warning(const struct rule_plan *, size_t);

/* "deliver", "save-attachments", ...; the names rule files use. */
const char	*rule_action_type_name(enum rule_action_type);
/* Type for a name, or -1. */
int		 rule_action_type_from_name(const char *);

/* Accessors.  Strings are expanded and live as long as the plan; those
 * an action type does not have are NULL (numbers 0).  "~/" at the start
 * of a path is left for the daemon to expand. */
enum rule_action_type rule_action_type(const struct rule_action *);
/* Name of the rule the action comes from ("default" for default:). */
const char	*rule_action_rule(const struct rule_action *);
/* Stable key of the unexpanded action: "RULE/TYPE", "RULE/TYPE.2" for
 * the second action of the same type in the rule.  The reply rate limit
 * is keyed on it (with the recipient). */
const char	*rule_action_identity(const struct rule_action *);
/* deliver: "maildir:PATH" or "mbox:PATH"; move, copy: the folder;
 * save-attachments: the directory; forward, redirect: the address;
 * add-header, remove-header: the field name. */
const char	*rule_action_target(const struct rule_action *);
/* add-header: the field value (one line). */
const char	*rule_action_value(const struct rule_action *);
/* reply: From, Subject (one line each) and the body text. */
const char	*rule_action_from(const struct rule_action *);
const char	*rule_action_subject(const struct rule_action *);
const char	*rule_action_body(const struct rule_action *);
/* reply, forward, redirect: the smtp section name, or NULL. */
const char	*rule_action_smtp(const struct rule_action *);
/* reply: at most one reply per sender per this many seconds. */
long long	 rule_action_every(const struct rule_action *);
/* pipe: the argument vector (the program and at most
 * RULE_PIPE_ARGS_MAX - 1 arguments); flag: the flags ("\\Seen",
 * "$Label"); add-label, remove-label: the labels (UTF-8). */
#define RULE_PIPE_ARGS_MAX	64
size_t		 rule_action_argc(const struct rule_action *);
const char	*rule_action_arg(const struct rule_action *, size_t);
/* pipe: what the command's environment adds to the minimal one:
 * "NAME=VALUE" to set (the message's fields, MAILSIFT_*), or "NAME"
 * alone, named by the rule's env:, to pass mailsift's own NAME if set. */
size_t		 rule_action_env_count(const struct rule_action *);
const char	*rule_action_env(const struct rule_action *, size_t);
/* pipe: 1 if the command's output replaces the message; timeout in
 * seconds. */
int		 rule_action_filter(const struct rule_action *);
long long	 rule_action_timeout(const struct rule_action *);
/* save-attachments: 1 to skip a file whose SHA-256 is already saved;
 * the parts selected (valid while the message is). */
int		 rule_action_dedupe(const struct rule_action *);
size_t		 rule_action_part_count(const struct rule_action *);
const struct mime_part *rule_action_part(const struct rule_action *,
		    size_t);

/*
 * A delivery target, "KIND:ARG" (rules/target.c): the one parser of the
 * configuration's deliver =, the deliver action and the daemon's
 * targets.  The kinds are a table there; a kind whose ARG is a local
 * path (maildir, mbox) has RULE_TARGET_PATH: ARG is then expanded (~/)
 * and checked as a path by the caller.  Nothing is allocated: kind is
 * static, arg points into the string parsed.
 */
#define RULE_TARGET_PATH	0x1
/* What the kinds look like, for error messages. */
#define RULE_TARGET_FORMS	"maildir:PATH, mbox:PATH, lmtp:ADDRESS, " \
	"imap:ACCOUNT/FOLDER or webhook:NAME"
#define RULE_TARGET_FORMS_QUOTED "\"maildir:PATH\", \"mbox:PATH\", " \
	"\"lmtp:ADDRESS\", \"imap:ACCOUNT/FOLDER\" or \"webhook:NAME\""
struct rule_target {
	const char	*kind;		/* "maildir", "mbox" */
	unsigned	 flags;		/* RULE_TARGET_PATH */
	const char	*arg;		/* after "KIND:"; may be empty */
	size_t		 arglen;
};
/* 0, or -1 if s[0..len) does not start with a known "KIND:". */
int		 rule_target_parse(const char *s, size_t len,
		    struct rule_target *);

/*
 * SPECIAL-USE folders (RFC 6154, rules/special-use.c): a folder written
 * \Junk is whatever folder the IMAP server marks with that
 * attribute.  No folder name otherwise starts with '\', so there is
 * no ambiguity.  The attribute's index (0 to RULE_SPECIAL_USE_N - 1)
 * for s[0..len), matched without case, or -1 if it is not one.
 */
#define RULE_SPECIAL_USE_N	7
#define RULE_SPECIAL_USE_NAMES	"\\All, \\Archive, \\Drafts, \\Flagged, " \
				"\\Junk, \\Sent, \\Trash"
int		 rule_special_use_index(const char *s, size_t len);
/* The attribute's canonical spelling ("\\Junk" in C), or NULL. */
const char	*rule_special_use_name(int index);

/* The tests: section.  Message paths are resolved against the rule
 * file's directory. */
size_t		 rule_set_test_count(const struct rule_set *);
const struct rule_test *rule_set_test(const struct rule_set *, size_t);
const char	*rule_test_message(const struct rule_test *);
const char	*rule_test_account(const struct rule_test *);	/* or NULL */
const char	*rule_test_folder(const struct rule_test *);	/* or NULL */
/* The message's labels (as Gmail's X-GM-LABELS), or NULL with *n 0. */
const char *const *rule_test_labels(const struct rule_test *, size_t *n);
int		 rule_test_line(const struct rule_test *);
/* 0 if the plan's action types are the expected ones in order; else -1
 * with "expected [a, b], got [c]" in err. */
int		 rule_test_check(const struct rule_test *,
		    const struct rule_plan *, char *err, size_t errlen);

#endif
