# SPDX-License-Identifier: ISC
# shellcheck shell=sh
# servers-lib.sh - sourced by the servers-*.sh harnesses: free ports,
# waiting for them, quoting for `env`, and the test CA with its
# certificates, so that every private server is trusted through the
# same MSX_CA and refused through MSX_OTHER_CA the same way.
#
# The caller sets PROG (its name, for messages) and D (its DIR).

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
