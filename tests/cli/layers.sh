#!/bin/sh
# SPDX-License-Identifier: ISC
# The layout holds: no folder cycle, no module cycle inside a daemon/
# folder, no lower layer reaching up (contrib/depgraph.py).  The checker
# is first shown to catch each of those in small made-up trees.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0
W=$(mktemp -d /tmp/msx-layers.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP

ok() {	# DESCRIPTION CONDITION...
	desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$W/out" | grep -v '^#     ' | head -20
		fail=$((fail + 1))
	fi
}

graph() {	# ROOT: 0 if depgraph finds the layout sound
	python3 "$top/contrib/depgraph.py" "$1" >"$W/out" 2>&1
}

fails() {	# ROOT PATTERN: depgraph refuses ROOT and says PATTERN
	! graph "$1" && grep -q "$2" "$W/out"
}

tree() {	# NAME: an empty tree with the three layers
	mkdir -p "$W/$1/mime" "$W/$1/rules" "$W/$1/daemon/a" "$W/$1/daemon/b"
	echo "$W/$1"
}

# Two folders that call each other.
t=$(tree fcycle)
printf '#include "daemon/b/y.h"\nint\nx_run(void)\n{\n\treturn 0;\n}\n' \
    >"$t/daemon/a/x.c"
printf 'int x_run(void);\n' >"$t/daemon/a/x.h"
printf 'int y_run(void);\n' >"$t/daemon/b/y.h"
printf '#include "daemon/a/x.h"\nint\ny_run(void)\n{\n\treturn x_run();\n}\n' \
    >"$t/daemon/b/y.c"
ok "a cycle between folders is caught" fails "$t" "folder cycle: daemon/a <-> daemon/b"

# Two files of one folder that call each other.
t=$(tree mcycle)
printf 'int\np_one(void)\n{\n\treturn q_two();\n}\n' >"$t/daemon/a/p.c"
printf 'int\nq_two(void)\n{\n\treturn p_one();\n}\n' >"$t/daemon/a/q.c"
ok "a cycle between modules of a folder is caught" fails "$t" \
    "module cycle in daemon/a/: p <-> q"

# mime/ including a daemon header.
t=$(tree up)
printf 'int z(void);\n' >"$t/daemon/a/z.h"
printf '#include "daemon/a/z.h"\n' >"$t/mime/m.c"
ok "a lower layer reaching up is caught" fails "$t" "mime reaches up into daemon/a"

ok "mailsift's own tree: no cycle, layers hold" graph "$top"

echo "layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
