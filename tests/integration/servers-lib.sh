# SPDX-License-Identifier: ISC
# shellcheck shell=sh
# servers-lib.sh - sourced by the servers-*.sh harnesses: free ports,
# waiting for them, quoting for `env`, the test CA with its
# certificates (so that every private server is trusted through the
# same MSX_CA and refused through MSX_OTHER_CA the same way), and for
# the servers that run in a private mount namespace (Courier, Cyrus,
# Exim, OpenSMTPD) starting, finding and stopping what runs in it.
#
# The caller sets PROG (its name, for messages), PORTS (the names of
# its ports), PFX (their variables' prefix: ${PFX}IMAP_PORT), LOGS (the
# files in DIR worth showing when `start` fails) and, after its
# arguments, D (its DIR, through abs_dir); and defines cmd_stop.

# 0 if something listens on TCP PORT (any address), from /proc so that
# no extra tool (ss, netstat) is needed.
listening() {
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p \
		{ f = 1 } END { exit !f }'
}

# 0 if any TCP socket (listening or connected) has local port PORT.
port_used() {
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$hex" 'substr($2, length($2) - 4) == p { f = 1 }
		END { exit !f }'
}

# free_port TAKEN...: a port that no socket uses and that is not among
# TAKEN, from 10000 up to the start of the kernel's ephemeral range (a
# port there may be any client's at any moment).  Random, so that runs
# started side by side (CI, a second checkout) rarely try the same one.
free_port() {
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${lo:-0}" -gt 12000 ] 2>/dev/null || lo=32768
	while :; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') %
		    (lo - 10000) + 10000 ))
		case " $* " in *" $p "*) continue ;; esac
		port_used "$p" || break
	done
	echo "$p"
}

# pending up|down PORT...: the PORTs not (yet) listening, or still
# listening, space-separated; one pass over /proc for all of them.
pending() {
	want=$1
	shift
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v want="$want" -v ports="$*" 'BEGIN {
		n = split(ports, p, " ")
		for (i = 1; i <= n; i++)
			hex[sprintf(":%04X", p[i])] = p[i]
	    }
	    $4 == "0A" && (substr($2, length($2) - 4) in hex) {
		up[hex[substr($2, length($2) - 4)]] = 1
	    }
	    END {
		for (i = 1; i <= n; i++)
			if ((want == "up") != (p[i] in up))
				printf " %s", p[i]
	    }'
}

# wait_ports up|down SECONDS PORT...
wait_ports() {
	want=$1 secs=$2
	shift 2
	n=$((secs * 20))
	while [ "$n" -gt 0 ]; do
		left=$(pending "$want" "$@")
		[ -z "$left" ] && return 0
		sleep 0.05
		n=$((n - 1))
	done
	echo "$PROG: ports not $want after ${secs}s:$left" >&2
	return 1
}

quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

die() { echo "$PROG: $*" >&2; exit 1; }

# abs_dir DIR: DIR made absolute, without a trailing '/'.
abs_dir() {
	case $1 in
	/*) d=$1 ;;
	*) d=$(pwd)/$1 ;;
	esac
	echo "${d%/}"
}

# --- ports ----------------------------------------------------------

all_ports() {
	for v in $PORTS; do
		eval "printf '%s ' \"\$${PFX}${v}_PORT\""
	done
}

load_ports() {
	[ -f "$D/ports.env" ] || die "$D: not started by $PROG"
	# shellcheck disable=SC1091
	. "$D/ports.env"
}

# alloc_ports: each ${PFX}NAME_PORT as set in the environment, else a
# free port; saved in DIR/ports.env (NAME=value lines) and set here.
alloc_ports() {
	taken=
	for v in $PORTS; do
		name=${PFX}${v}_PORT
		val=
		eval "val=\${$name:-}"
		# shellcheck disable=SC2086  # word list
		[ -n "$val" ] || val=$(free_port $taken)
		taken="$taken $val"
		case $val in
		'' | *[!0-9]*) die "$name=$val: not a port number" ;;
		esac
		listening "$val" && die "$name: port $val is already in use"
		eval "$name=\$val"
		echo "$name=$val"
	done >"$D/ports.new"
	# Only now is DIR ours to stop: `stop` must not wait on ports that
	# belong to someone else.
	mv "$D/ports.new" "$D/ports.env"
	load_ports
}

# A half-started set is stopped again, so a failed `start` leaves
# nothing running; the logs stay in DIR.
abort_start() {
	for f in start.log $LOGS; do
		[ -s "$D/$f" ] && tail -n 20 "$D/$f" >&2
	done
	cmd_stop >/dev/null 2>&1 || true
	die "$1"
}

# env_common: the `export` lines every harness's `env` starts with.
env_common() {
	echo "export MSX_DIR=$(quote "$D")"
	echo "export MSX_HOST=127.0.0.1"
	echo "export MSX_TLS_NAME=localhost"
	echo "export MSX_CA=$(quote "$D/tls/ca.crt")"
	echo "export MSX_OTHER_CA=$(quote "$D/tls/other-ca.crt")"
}

# --- certificates ---------------------------------------------------

# mkcert NAME SUBJECT SAN CA  -> $T/NAME.key, $T/NAME.crt signed by CA
mkcert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "$2" -keyout "$T/$1.key" -out "$T/$1.csr" 2>/dev/null
	cat >"$T/$1.ext" <<-EOF
	basicConstraints = critical, CA:FALSE
	keyUsage = critical, digitalSignature, keyEncipherment
	extendedKeyUsage = serverAuth
	subjectAltName = $3
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	EOF
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$4.crt" -CAkey "$T/$4.key" \
	    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
	    -days 30 -extfile "$T/$1.ext" -out "$T/$1.crt" 2>/dev/null
	rm -f "$T/$1.csr" "$T/$1.ext"
}

mkca() {
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -subj "$2" -days 30 -keyout "$T/$1.key" -out "$T/$1.crt" \
	    -addext 'basicConstraints = critical, CA:TRUE' \
	    -addext 'keyUsage = critical, keyCertSign, cRLSign' 2>/dev/null
}

# make_certs: $D/tls/{ca,other-ca}.crt and server.{key,crt} for
# localhost/127.0.0.1/::1 signed by ca; sets T=$D/tls for more mkcert.
make_certs() {
	T=$D/tls
	mkdir -p "$T"
	mkca ca '/O=mailsift tests/CN=mailsift test CA'
	mkca other-ca '/O=mailsift tests/CN=unrelated CA'
	mkcert server /CN=localhost 'DNS:localhost, IP:127.0.0.1, IP:::1' ca
	chmod 600 "$T"/*.key
}

# --- private mount namespace ----------------------------------------

# ns_usr NAME: inside `unshare -m`, nothing mounted from here on seen
# outside; /usr the unpacked tree ($ROOT/usr) over the system's, as a
# read-only overlay.
ns_usr() {
	mount --make-rprivate /
	mount -t overlay "msx-$1-usr" -o "lowerdir=$ROOT/usr:/usr" /usr
}

# etc_stub USER...: DIR/etcstub, the system's passwd and group plus the
# USERs (as uid/gid MAIL_UID/MAIL_GID) that a server looks up and
# Debian's postinst would create; mounted over /etc in the namespace.
etc_stub() {
	mkdir -p "$D/etcstub"
	cp /etc/passwd /etc/group "$D/etcstub/"
	for u in "$@"; do
		echo "$u:x:$MAIL_UID:$MAIL_GID::/nonexistent:/usr/sbin/nologin" \
		    >>"$D/etcstub/passwd"
		echo "$u:x:$MAIL_GID:" >>"$D/etcstub/group"
	done
}

# ns_run ARG...: `sh $0 ARG...` in a new mount namespace, in a session
# of its own (a daemon signalling its process group must not reach the
# caller's: a test run, a CI job); returns when that sh does.
ns_run() {
	setsid -w unshare -m sh "$0" "$@" </dev/null >>"$D/start.log" 2>&1 ||
	    abort_start "the namespace did not start"
}

# ns_record PID WHAT: PID's mount namespace saved in DIR/mntns, for
# ns_pids; it must be another than ours.
ns_record() {
	ns=$(readlink "/proc/$1/ns/mnt") || abort_start "$2 exited at once"
	[ "$ns" != "$(readlink /proc/self/ns/mnt)" ] ||
	    abort_start "no private mount namespace"
	echo "$ns" >"$D/mntns"
}

# Every process in the namespace of DIR (daemons, their sessions and
# what they spawn), matched by the namespace's id saved at start.
ns_pids() {
	[ -s "$D/mntns" ] || return 0
	# "mnt:[N]" as a -lname pattern: the brackets taken literally.
	ns=$(sed 's/[][*?\\]/\\&/g' "$D/mntns")
	find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/mnt' \
	    -lname "$ns" 2>/dev/null | cut -d/ -f3 |
	while read -r pid; do
		# A zombie is dead already; its parent (or init) reaps it.
		grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" \
		    2>/dev/null || echo "$pid"
	done
	return 0
}

# ns_stop PID: TERM to PID (a master that stops its own children) or,
# if PID is "", to every process of the namespace; after 2 s TERM to
# what is left when PID was given, after 5 s KILL; then wait until the
# ports are closed.
ns_stop() {
	[ -f "$D/ports.env" ] || return 0
	load_ports
	first=$1
	pids=$(ns_pids)
	if [ -n "$first" ]; then
		for pid in $pids; do
			[ "$pid" = "$first" ] && kill -TERM "$pid" 2>/dev/null
		done
	else
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
	fi
	n=50
	while [ -n "$(ns_pids)" ]; do
		n=$((n - 1))
		if { [ "$n" -eq 30 ] && [ -n "$first" ]; } || [ "$n" -le 0 ]; then
			sig=TERM
			[ "$n" -le 0 ] && sig=KILL
			# shellcheck disable=SC2046
			kill -$sig $(ns_pids) 2>/dev/null || true
			[ "$n" -le 0 ] && break
		fi
		sleep 0.1
	done
	# shellcheck disable=SC2046
	wait_ports down 10 $(all_ports)
}
