# SPDX-License-Identifier: ISC
# mailsift - build, test, demo and benchmarks.
#
#   make            ./mailsift and mime/libmailsift-mime.a
#   make demo       install what is missing, build, run the demo
#   make check      install what is missing, build, run every test
#   make fuzz       run every libFuzzer target for FUZZ_TIME seconds each
#                   (fuzz-all is the same; FUZZ_TARGETS="imap smtp" picks)
#   make fuzz-merge merge a campaign's corpora (FUZZ_FROM) into
#                   tests/fuzz/corpus, minimized
#   make bench-mime MIME parser against GMime 3
#   make bench-rules 100 rules over the corpus, with and without JIT
#   make depgraph  how the folders depend on each other; fails on a cycle
#   make bench-fetch IMAP/POP3 fetching against fdm, fetchmail, getmail6,
#                   mpop, mbsync and a raw client
#   make bench-compress IMAP COMPRESS=DEFLATE on and off: bytes on the
#                   wire and CPU, on the bench-fetch corpus
#   make bench-accounts one daemon with 200, 1000, 2000 IDLE accounts
#                   against one Dovecot: time to all in IDLE, errors,
#                   delivery p50/p99, RSS per account, CPU while idle
#   make bench-cluster 3 daemons, then 1, sharing 1000 accounts through
#                   one PostgreSQL: messages/s, PostgreSQL commits/s,
#                   statements and WAL bytes per message, RSS, CPU
#   make bench-sync a no-op poll of a 100,000-message folder: CONDSTORE/
#                   QRESYNC against the plain UID SEARCH poll
#   make install    the binary, the man pages, the systemd units and the
#                   examples under DESTDIR + PREFIX (GNU directory names)
#   make uninstall  removes what make install wrote (same variables)

VERSION	 = 0.9.0

PKGS	 = libconfuse openssl libpcre2-8 yaml-0.1 sqlite3 libcurl
# sd_notify(3): READY, STATUS and WATCHDOG for a Type=notify unit
PKGS	+= libsystemd
# raw deflate for IMAP COMPRESS=DEFLATE (RFC 4978)
PKGS	+= zlib
# libpq: the PostgreSQL store (daemon/store/pg-*.c)
PKGS	+= libpq
WARN	 = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	   -Wmissing-prototypes -Wold-style-definition -Wpointer-arith \
	   -Wvla -Wundef -Wwrite-strings -Wimplicit-fallthrough
CFLAGS	?= -O2 -g
SAN	 = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
CPPFLAGS_ALL = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. \
	   -DMAILSIFT_VERSION=\"$(VERSION)\"
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -pthread
CMOCKA_LIBS = $(shell pkg-config --libs cmocka)
ALL_CFLAGS = -std=c11 $(WARN) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(CFLAGS)
SAN_CFLAGS = -std=c11 $(WARN) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(SAN)

B	 = .build/normal
A	 = .build/asan
MIME_SRC   := $(wildcard mime/*.c)
RULES_SRC  := $(wildcard rules/*.c)
DAEMON_SRC := $(wildcard daemon/*/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(UNIT_SRC))

obj	 = $(patsubst %.c,$(1)/%.o,$(2))
# Layer archives, innermost last so the linker resolves daemon -> rules -> mime.
libs	 = $(if $(DAEMON_SRC),$(1)/libdaemon.a) \
	   $(if $(RULES_SRC),$(1)/librules.a) $(1)/libmime.a

.PHONY: all deps demo check unit unit-asan unit-bins unit-asan-bins fuzz \
	fuzz-all fuzz-bins fuzz-merge depgraph bench-mime bench-fetch bench-rules \
	bench-compress \
	bench-sync bench-accounts bench-cluster \
	install uninstall clean
.DEFAULT_GOAL := all
.SECONDEXPANSION:
# Objects are built through pattern rules: keep them, or every build
# recompiles everything.
.SECONDARY:

all: mailsift mime/libmailsift-mime.a

deps:
	sh contrib/install-deps.sh
	sh contrib/install-deps-servers.sh
	sh contrib/install-deps-metrics.sh
	sh contrib/install-deps-interop.sh
	sh contrib/install-deps-oauth.sh
	sh contrib/install-deps-pg.sh

mailsift: $(B)/daemon/main.o $(call libs,$(B))
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

mime/libmailsift-mime.a: $(B)/libmime.a
	cp $< $@

%/libmime.a: $$(call obj,$$*,$(MIME_SRC))
	rm -f $@ && ar rcs $@ $^
%/librules.a: $$(call obj,$$*,$(RULES_SRC))
	rm -f $@ && ar rcs $@ $^
%/libdaemon.a: $$(call obj,$$*,$(DAEMON_SRC))
	rm -f $@ && ar rcs $@ $^

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(A)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/bin/%: $(B)/tests/unit/%.o $(call libs,$(B))
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

$(A)/bin/%: $(A)/tests/unit/%.o $(call libs,$(A))
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

unit-bins: $(addprefix $(B)/bin/,$(UNIT_NAMES))
unit-asan-bins: $(addprefix $(A)/bin/,$(UNIT_NAMES)) $(A)/bin/mailsift

$(A)/bin/mailsift: $(A)/daemon/main.o $(call libs,$(A))
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(PKG_LIBS)

# tests/integration/pgprobe: test-pg-harness.sh's libpq client, linked
# with the store's PostgreSQL schema
PGPROBE	 = $(B)/tests/integration/pgprobe
.PHONY: pgprobe
pgprobe: $(PGPROBE)
$(PGPROBE): $(B)/tests/integration/pgprobe.o $(B)/daemon/store/pg-schema.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

demo: deps
	$(MAKE) all
	sh contrib/demo.sh

check: deps
	$(MAKE) all unit-bins unit-asan-bins
	sh tests/run-all.sh

unit: unit-bins
	sh tests/run-unit.sh $(B)/bin $(UNIT_NAMES)

unit-asan: unit-asan-bins
	sh tests/run-unit.sh $(A)/bin $(UNIT_NAMES)

# libFuzzer targets (tests/fuzz/fuzz_*.c): clang, ASan+UBSan, linking the
# real mime/, rules/ and daemon/ code compiled once more into $(F).
# Warnings are shown but not fatal there: clang's set is not gcc's.
F	 = .build/fuzz
FUZZ_CC	 = clang
FUZZ_SAN = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	   -fno-sanitize-recover=all
FUZZ_CFLAGS = -std=c11 $(filter-out -Werror,$(WARN)) $(CPPFLAGS_ALL) \
	   $(PKG_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_HELPERS = $(F)/tests/fuzz/serve.o $(F)/tests/fuzz/pipeline.o
FUZZ_TIME ?= 60
FUZZ_TARGETS ?=
FUZZ_FROM ?= .build/fuzz-campaign

$(F)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(F)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -MMD -MP -c -o $@ $<

$(F)/bin/%: $(F)/tests/fuzz/%.o $(FUZZ_HELPERS) $(call libs,$(F))
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

# Kept between runs: without this make deletes them as intermediates.
.PRECIOUS: $(F)/%.o $(F)/tests/fuzz/%.o
.SECONDARY: $(call libs,$(F))

fuzz-bins: $(addprefix $(F)/bin/,$(FUZZ_NAMES))

fuzz fuzz-all:
	sh tests/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_TARGETS)

fuzz-merge: fuzz-bins
	sh tests/fuzz/merge.sh $(FUZZ_FROM) $(FUZZ_TARGETS)

depgraph:
	python3 contrib/depgraph.py

bench-mime: deps all
	sh tests/bench/bench-mime.sh

bench-fetch: deps all
	sh tests/bench/bench-fetch.sh

bench-rules: deps all
	sh tests/bench/bench-rules.sh

bench-compress: deps all
	sh tests/bench/bench-compress.sh
bench-sync: deps all
	sh tests/bench/bench-sync.sh
bench-accounts: deps all
	sh tests/bench/bench-accounts.sh
bench-cluster: deps all
	sh tests/bench/bench-cluster.sh

# Installation, with the GNU directory names.  Nothing is written outside
# $(DESTDIR); packagers set PREFIX=/usr SYSCONFDIR=/etc.  Units come from
# contrib/systemd/system/ and contrib/systemd/user/ (a *-user.service
# directly in contrib/systemd/ is a user unit, any other *.service there a
# system unit), with /usr/bin/mailsift and /etc/mailsift/ in them made
# BINDIR's and SYSCONFDIR's; with no unit there, none is installed.
PREFIX	 = /usr/local
EXEC_PREFIX = $(PREFIX)
BINDIR	 = $(EXEC_PREFIX)/bin
DATAROOTDIR = $(PREFIX)/share
MANDIR	 = $(DATAROOTDIR)/man
DOCDIR	 = $(DATAROOTDIR)/doc/mailsift
SYSCONFDIR = $(PREFIX)/etc
SYSTEMDDIR = $(PREFIX)/lib/systemd
SYSTEMUNITDIR = $(SYSTEMDDIR)/system
USERUNITDIR = $(SYSTEMDDIR)/user
INSTALL	 = install
INSTALL_PROGRAM = $(INSTALL) -m 0755
INSTALL_DATA = $(INSTALL) -m 0644
UNITSRC	 = contrib/systemd
SYSTEM_UNITS = $(wildcard $(UNITSRC)/system/*.service) \
	   $(filter-out %-user.service,$(wildcard $(UNITSRC)/*.service))
USER_UNITS = $(wildcard $(UNITSRC)/user/*.service) \
	   $(filter %-user.service,$(wildcard $(UNITSRC)/*.service))
MAN1	 = contrib/mailsift.1
MAN5	 = contrib/mailsift.conf.5 contrib/mailsift-rules.5
EXAMPLES = etc/mailsift.conf etc/rules.yaml
UNIT_SED = -e 's|/usr/bin/mailsift|$(BINDIR)/mailsift|g' \
	   -e 's|/etc/mailsift/|$(SYSCONFDIR)/mailsift/|g'

# The version is compiled in: a new one rebuilds what prints it.
$(B)/daemon/cmd/cmd-version.o $(A)/daemon/cmd/cmd-version.o: Makefile

install: mailsift
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL_PROGRAM) mailsift $(DESTDIR)$(BINDIR)/mailsift
	$(INSTALL_DATA) $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL_DATA) $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL_DATA) $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	$(if $(SYSTEM_UNITS),$(call install_units,$(SYSTEM_UNITS),$(SYSTEMUNITDIR)))
	$(if $(USER_UNITS),$(call install_units,$(USER_UNITS),$(USERUNITDIR)))

# install_units FILES DIR: each unit with the installed paths in it.
install_units = $(INSTALL) -d $(DESTDIR)$(2) && \
	for u in $(1); do \
		f="$(DESTDIR)$(2)/$$(basename "$$u")"; \
		sed $(UNIT_SED) "$$u" >"$$f" && chmod 0644 "$$f" || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mailsift
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(EXAMPLES)))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMUNITDIR)/,$(notdir $(SYSTEM_UNITS)))
	rm -f $(addprefix $(DESTDIR)$(USERUNITDIR)/,$(notdir $(USER_UNITS)))
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf .build mailsift mime/libmailsift-mime.a

# make deb: .build/deb/mailsift_VERSION_ARCH.deb, built from a copy of the
# tree whose debian/ is contrib/debian/ (contrib/deb-build.sh), checked by
# lintian; its version is the Makefile's.  make test-deb: that package
# installed, checked and purged in a clean Debian 12 chroot (debootstrap,
# from the mirror).
DEB	 = .build/deb
DEB_VERSION = $(if $(VERSION),$(VERSION),0.9.0)

.PHONY: deb test-deb
deb:
	sh contrib/install-deps-deb.sh
	sh contrib/deb-build.sh $(DEB_VERSION) $(DEB)

test-deb: deb
	sh tests/deb/chroot.sh \
	    $(DEB)/mailsift_$(DEB_VERSION)_$$(dpkg --print-architecture).deb

-include $(shell find .build -path .build/servers -prune -o -type f -name '*.d' -print 2>/dev/null)
