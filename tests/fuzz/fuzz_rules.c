/* SPDX-License-Identifier: ISC */
/*
 * fuzz_rules.c - libFuzzer target: the YAML rule loader (rules/load.c,
 * node.c, rule.c, cond*.c, act*.c, template.c, regex.c, selftest.c and
 * libyaml under them) on any bytes as a rule file.  The input goes in
 * as it is, without a terminating NUL, so a read past its end is an
 * ASan error.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_set	*set;
	char		 err[1024];
	size_t		 i;

	set = rule_set_load_buffer("/fuzz/rules.yaml", (const char *)data,
	    size, RULE_LOAD_NO_JIT, err, sizeof(err));
	if (set == NULL) {
		if (strlen(err) == 0)
			abort();	/* every failure says why */
		return 0;
	}
	for (i = 0; i < rule_set_count(set); i++)
		(void)strlen(rule_set_rule_name(set, i));
	for (i = 0; i < rule_set_test_count(set); i++)
		(void)strlen(rule_test_message(rule_set_test(set, i)));
	rule_set_free(set);
	return 0;
}
