#!/bin/sh
# SPDX-License-Identifier: ISC
# Rules under a W^X memory policy, as systemd's MemoryDenyWriteExecute=
# sets it up: PCRE2's JIT wants memory both writable and executable
# (Debian 12's libpcre2 maps it so: it is built without
# --enable-jit-sealloc), the policy refuses it, and mailsift must go on
# with PCRE2's interpreter - the same mail filed the same way, one log
# line saying so - never fail.  Three ways to set the policy, each skipped
# where this machine lacks it:
#   seccomp	the filter systemd 252 (Debian 12) installs: mmap with
#		PROT_WRITE|PROT_EXEC, mprotect/pkey_mprotect with PROT_EXEC
#		and shmat with SHM_EXEC fail with EPERM (libseccomp);
#   mdwe	the kernel's prctl(PR_SET_MDWE) (Linux 6.3+), what later
#		systemd versions use;
#   unit	both filters the system unit gets: the seccomp W^X filter
#		above and its SystemCallFilter= lines (an allow list
#		expanded by systemd-analyze syscall-filter, the rest
#		failing with EPERM as SystemCallErrorNumber= says).
# One line per check, then "wx: N passed, N failed".  MAILSIFT=path
# tests another binary.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
pass=0
fail=0
W=$(mktemp -d /tmp/msx-wx.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP

ok() {	# DESCRIPTION COMMAND...
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$W/log" 2>/dev/null | head -10
		fail=$((fail + 1))
	fi
}

# wx.py MODE PROGRAM ARGS...: PROGRAM under the policy; exit 77 if this
# machine cannot set it.  "probe" instead of a program: is JIT-style
# memory (mmap PROT_READ|PROT_WRITE|PROT_EXEC) refused now?
cat >"$W/wx.py" <<'PY'
import ctypes, ctypes.util, mmap, os, subprocess, sys

PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000
ALLOW, EPERM = 0x7fff0000, 0x00050000 | 1     # SCMP_ACT_ALLOW, _ERRNO(1)

class Cmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("a", ctypes.c_uint64), ("b", ctypes.c_uint64)]

def libseccomp():
    name = ctypes.util.find_library("seccomp")
    if name is None:
        sys.exit(77)
    lib = ctypes.CDLL(name)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
        ctypes.c_int, ctypes.c_uint, ctypes.POINTER(Cmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    return lib

def expand(group):
    """A systemd syscall group's names, nested groups expanded."""
    out = set()
    text = subprocess.run(["systemd-analyze", "syscall-filter", group],
                          capture_output=True, text=True).stdout
    for line in text.splitlines()[1:]:
        w = line.strip()
        if w.startswith("@"):
            out |= expand(w)
        elif w and not w.startswith("#"):
            out.add(w)
    return out

def syscall_filter(unit):
    allow, deny = set(), set()
    for line in open(unit):
        if not line.startswith("SystemCallFilter="):
            continue
        v = line.split("=", 1)[1].strip()
        names = set()
        for w in v.lstrip("~").split():
            names |= expand(w) if w.startswith("@") else {w}
        (deny if v.startswith("~") else allow).update(names)
    if not allow:
        sys.exit(77)
    lib = libseccomp()
    ctx = lib.seccomp_init(EPERM)
    for call in allow - deny:
        nr = lib.seccomp_syscall_resolve_name(call.encode())
        if nr >= 0:                               # not on this arch: none
            lib.seccomp_rule_add_array(ctx, ALLOW, nr, 0, None)
    if lib.seccomp_load(ctx) != 0:
        sys.exit(77)

def seccomp():
    lib = libseccomp()
    ctx = lib.seccomp_init(ALLOW)
    eperm = EPERM
    masked_eq = 7                                 # SCMP_CMP_MASKED_EQ
    rules = [("mmap", PROT_WRITE | PROT_EXEC), ("mprotect", PROT_EXEC),
             ("pkey_mprotect", PROT_EXEC), ("shmat", SHM_EXEC)]
    for call, bits in rules:
        nr = lib.seccomp_syscall_resolve_name(call.encode())
        cmp = Cmp(2, masked_eq, bits, bits)
        if nr < 0 or lib.seccomp_rule_add_array(ctx, eperm, nr, 1,
                                                ctypes.byref(cmp)) != 0:
            sys.exit(77)
    if lib.seccomp_load(ctx) != 0:                # sets no_new_privs
        sys.exit(77)

def mdwe():
    libc = ctypes.CDLL(None, use_errno=True)
    # PR_SET_MDWE = 65, PR_MDWE_REFUSE_EXEC_GAIN = 1
    if libc.prctl(65, 1, 0, 0, 0) != 0:
        sys.exit(77)

def refused():
    try:
        mmap.mmap(-1, 4096, prot=mmap.PROT_READ | PROT_WRITE | PROT_EXEC)
    except OSError:
        return True
    return False

def unit():
    seccomp()                                     # first: the allow list
    syscall_filter(os.environ["UNIT"])            # has no seccomp(2)

{"seccomp": seccomp, "mdwe": mdwe, "unit": unit}[sys.argv[1]]()
if sys.argv[2] == "probe":
    sys.exit(0 if refused() else 1)
os.execv(sys.argv[2], sys.argv[2:])
PY

mkdir -p "$W/src/new" "$W/src/cur" "$W/src/tmp"
cat >"$W/rules.yaml" <<'YAML'
version: 1
rules:
  - name: invoices
    when: { subject: '(?i)^invoice\s+#\d+$' }
    do: [ { deliver: "maildir:@W@/invoices" } ]
YAML
sed -i "s|@W@|$W|" "$W/rules.yaml"
chmod 600 "$W/rules.yaml"

# round MODE: a fresh state and source, one round; the log in $W/log
round() {
	rm -rf "$W/state.db" "$W/out" "$W/invoices" "$W/src"
	mkdir -p "$W/src/new" "$W/src/cur" "$W/src/tmp"
	printf 'Subject: Invoice  #42\n\npay\n' >"$W/src/new/1.M1P1.host"
	printf 'Subject: hello\n\nhi\n' >"$W/src/new/2.M2P1.host"
	cat >"$W/m.conf" <<-CONF
	state = "$W/state.db"
	account "local" {
		type = maildir
		path = "$W/src"
		deliver = "maildir:$W/out"
		rules = "$W/rules.yaml"
	}
	CONF
	chmod 600 "$W/m.conf"
	if [ "$1" = none ]; then
		"$MAILSIFT" run -c "$W/m.conf" --once >"$W/log" 2>&1
	else
		# (an ASan build: LeakSanitizer needs ptrace, which the
		# unit's filter refuses as it should)
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		    python3 "$W/wx.py" "$1" "$MAILSIFT" run -c "$W/m.conf" \
		    --once >"$W/log" 2>&1
	fi
}
count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
is() { [ "$1" = "$2" ]; }
says() { grep -q -- "$1" "$W/log"; }
interp="regexes run in the interpreter"

round none
ok "no policy: the round succeeds" is $? 0
ok "no policy: the invoice filed by its rule" is "$(count "$W/invoices")" 1
ok "no policy: the other one in the inbox" is "$(count "$W/out")" 1
ok "no policy: JIT in use (no interpreter line)" sh -c "! grep -q \
    '$interp' '$W/log'"

export UNIT="$top/contrib/systemd/system/mailsift.service"
for mode in seccomp mdwe unit; do
	python3 "$W/wx.py" "$mode" probe
	case $? in
	77)	echo "skip - $mode: this machine cannot set it"
		continue ;;
	0)	;;
	*)	echo "not ok - $mode: write+exec memory is refused under it"
		fail=$((fail + 1))
		continue ;;
	esac
	round "$mode"
	ok "$mode: the round succeeds" is $? 0
	ok "$mode: the invoice filed by its rule" \
	    is "$(count "$W/invoices")" 1
	ok "$mode: the other one in the inbox" is "$(count "$W/out")" 1
	ok "$mode: one line says the interpreter runs the rules" says \
	    "rules $W/rules.yaml: no PCRE2 JIT.*$interp"
	[ "$mode" = unit ] || continue
	# the allow list is not empty talk: setpriority (@resources) fails
	ok "unit: the syscall filter holds (nice: not permitted)" sh -c \
	    "python3 '$W/wx.py' unit '$(command -v nice)' -n 1 true 2>&1 |
	    grep -q 'not permitted'"
done

echo "wx: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
