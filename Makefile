# airlock — plain Makefile. `make` builds build/airlock and build/toml-decode;
# `make check` is what CI runs (see README). Objects depend on a stamp of the
# compiler flags, so switching between `make` and `make check` (which adds
# -Werror) rebuilds what it must and nothing else.

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
PYTHON  ?= /usr/bin/python3
FUZZ_SECONDS ?= 60

LLHTTP_DIR ?= /usr/share/llhttp
LLHTTP_INC ?= /usr/share/include/llhttp

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wvla -Wimplicit-fallthrough
ifeq ($(shell $(CC) -Werror -Wjump-misses-init -E -x c /dev/null >/dev/null 2>&1 && echo y),y)
WARN += -Wjump-misses-init
endif
HARDEN  = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
OPT    ?= -O2 -g
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) $(WERROR) \
             $(SANITIZE) -Isrc -I$(LLHTTP_INC) $(CFLAGS)
LDFLAGS_ALL = -pie -Wl,-z,relro,-z,now $(SANITIZE) $(LDFLAGS)
# OpenSSL is linked statically by default: loading the shared libcrypto costs
# about a millisecond of relocations on every start, which is most of the
# gap between `airlock run` and bwrap (doc/bench.md). OPENSSL_STATIC=0 links
# it dynamically, so that distribution security updates of OpenSSL apply
# without rebuilding airlock.
OPENSSL_STATIC ?= 1
ifeq ($(OPENSSL_STATIC),1)
SSL_LIBS = -Wl,-Bstatic -lssl -lcrypto -Wl,-Bdynamic -ldl -lpthread
else
SSL_LIBS = -lssl -lcrypto
endif
LIBS = -luv -ljansson $(SSL_LIBS) -lseccomp -lwslay -lm

SRC      := $(sort $(wildcard src/*/*.c))
LLHTTP_OBJ := $(BUILD)/llhttp/api.o $(BUILD)/llhttp/http.o $(BUILD)/llhttp/llhttp.o
# The web console's page, style and script, compiled into the binary
# (src/server/console_assets.h) by our own tools/embed-assets.c.
CONSOLE_FILES := $(sort $(wildcard src/server/console/*))
CONSOLE_OBJ := $(BUILD)/gen/console_assets.o
LIB_OBJ  := $(SRC:%.c=$(BUILD)/%.o) $(LLHTTP_OBJ) $(CONSOLE_OBJ)
MAIN_OBJ := $(BUILD)/src/main.o
TOOLS    := $(patsubst tools/%.c,$(BUILD)/%,$(wildcard tools/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all check unit toml-test fuzz-replay integration asan fuzz bench \
        install doc clean FORCE
all: $(BUILD)/airlock $(TOOLS)

# --- flag stamp -------------------------------------------------------------
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) $(LIBS)' > $@.new
	@cmp -s $@.new $@ && rm $@.new || mv $@.new $@

$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# llhttp ships as C sources in Debian's node-llhttp; it is third-party code,
# so it gets plain warnings rather than ours.
$(BUILD)/llhttp/%.o: $(LLHTTP_DIR)/%.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(OPT) $(HARDEN) $(SANITIZE) -I$(LLHTTP_INC) -w -c $< -o $@

# embed-assets runs before libairlock.a exists, so it links nothing of
# ours, and it is built with plain flags (it only runs at build time).
$(BUILD)/embed-assets: tools/embed-assets.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra $(WERROR) -o $@ $<

$(BUILD)/gen/console_assets.c: $(CONSOLE_FILES) $(BUILD)/embed-assets
	@mkdir -p $(dir $@)
	$(BUILD)/embed-assets $@ $(CONSOLE_FILES)

$(CONSOLE_OBJ): $(BUILD)/gen/console_assets.c $(BUILD)/.flags
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libairlock.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The sandbox's seccomp program is the same for every run: it is built
# once here (tools/gen-seccomp.c) and linked into airlock, which saves
# libseccomp's work on every start (src/sandbox/seccomp.h).
SECCOMP_OBJ := $(BUILD)/gen/seccomp_prebuilt.o
.SECONDARY: $(BUILD)/tools/gen-seccomp.o

$(BUILD)/gen/seccomp_prebuilt.c: $(BUILD)/gen-seccomp
	@mkdir -p $(dir $@)
	$(BUILD)/gen-seccomp > $@.new
	mv $@.new $@

$(SECCOMP_OBJ): $(BUILD)/gen/seccomp_prebuilt.c
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# With the prebuilt program, airlock references nothing of libseccomp
# (sandbox/seccomp.c): --as-needed leaves it out of the binary, which then
# maps one shared library fewer on every start.
$(BUILD)/airlock: $(MAIN_OBJ) $(SECCOMP_OBJ) $(BUILD)/libairlock.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -Wl,--as-needed $(LIBS)

$(BUILD)/%: $(BUILD)/tools/%.o $(BUILD)/libairlock.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# Unit tests have no prebuilt seccomp program: they link the builder.
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libairlock.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -Wl,-u,seccomp_build_runtime -o $@ $^ -lcmocka \
	  $(LIBS)

# test_seccomp compares the prebuilt program with one built at run time.
$(BUILD)/tests/test_seccomp: $(BUILD)/tests/unit/test_seccomp.o $(SECCOMP_OBJ) $(BUILD)/libairlock.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lcmocka $(LIBS)

$(BUILD)/replay/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay_main.o $(BUILD)/libairlock.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libairlock.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# --- tests --------------------------------------------------------------------
# check = -Werror build, unit tests, the TOML conformance corpus, the fuzz
# corpora replayed, then the integration tests with real clients.
check:
	$(MAKE) WERROR=-Werror all $(UNIT_BIN) $(REPLAY_BIN)
	$(MAKE) WERROR=-Werror unit toml-test fuzz-replay integration

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

toml-test: $(BUILD)/toml-decode
	$(PYTHON) tests/toml/run_toml_test.py --decoder $(BUILD)/toml-decode

fuzz-replay: $(REPLAY_BIN)
	@set -e; for t in $(REPLAY_BIN); do n=$$(basename $$t); \
	  echo "== replay $$n"; $$t tests/fuzz/corpus/$$n; done

# A getaddrinfo that answers from a file and never queries a name server,
# preloaded into airlock by tests that need host names.
$(BUILD)/tests/fakedns.so: tests/integration/fakedns.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -g -Wall -Wextra $(WERROR) -shared -fPIC -o $@ $< -ldl

# syscall() that reports an older Landlock ABI than the kernel's, for tests
# of what airlock does on such kernels.
$(BUILD)/tests/fakelandlock.so: tests/integration/fakelandlock.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -g -Wall -Wextra $(WERROR) -shared -fPIC -o $@ $< -ldl

# sendmsg() that never returns in a sandbox's first process, for tests of
# a launch that never reports.
$(BUILD)/tests/fakestall.so: tests/integration/fakestall.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -g -Wall -Wextra $(WERROR) -shared -fPIC -o $@ $<

# move_mount() and chmod() that act on the disk as another process would
# at that instant (or interrupt the command's process), in a sandbox's
# first process, for tests of races with its mount steps.
$(BUILD)/tests/fakerace.so: tests/integration/fakerace.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -g -Wall -Wextra $(WERROR) -shared -fPIC -o $@ $<

PRELOADS = $(BUILD)/tests/fakedns.so $(BUILD)/tests/fakelandlock.so \
           $(BUILD)/tests/fakestall.so $(BUILD)/tests/fakerace.so
integration: all $(PRELOADS)
	AIRLOCK_BUILD=$(abspath $(BUILD)) scripts/run-pytest tests/integration
	scripts/run-escape-as-nobody $(BUILD)

# ASan+UBSan build in its own directory; unit and integration tests run
# against it.
asan:
	$(MAKE) BUILD=build/asan OPT='-O1 -g -fno-omit-frame-pointer' \
	  SANITIZE='-fsanitize=address,undefined -fno-sanitize-recover=all' \
	  HARDEN= all unit fuzz-replay integration

# libFuzzer: each target runs FUZZ_SECONDS, starting from (and adding to)
# its corpus.
fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang WARN='-Wall -Wextra' HARDEN= \
	  OPT='-O1 -g' SANITIZE='-fsanitize=fuzzer-no-link,address,undefined' \
	  $(LIB_OBJ:$(BUILD)/%=build/fuzz/%) $(FUZZ_SRC:%.c=build/fuzz/%.o)
	@mkdir -p build/fuzz/bin
	@set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang -fsanitize=fuzzer,address,undefined -o build/fuzz/bin/$$n \
	    build/fuzz/tests/fuzz/$$n.o $(LIB_OBJ:$(BUILD)/%=build/fuzz/%) $(LIBS); \
	  mkdir -p tests/fuzz/corpus/$$n; \
	  build/fuzz/bin/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    tests/fuzz/corpus/$$n; done

bench: all $(BENCH_BIN) $(BUILD)/tests/fakedns.so
	bench/run $(BUILD)

# --- docs and install -----------------------------------------------------------
doc: $(BUILD)/airlock
	$(BUILD)/airlock config schema --markdown > doc/config.md.new
	mv doc/config.md.new doc/config.md

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/airlock $(DESTDIR)$(PREFIX)/bin/airlock
	install -m 0755 $(BUILD)/toml-decode $(DESTDIR)$(PREFIX)/bin/airlock-toml-decode

clean:
	rm -rf build

FORCE:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
