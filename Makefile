# medlabel build. Sources are discovered: every src/*/*.c is part of the library that the binary, the
# unit tests and the fuzzers link; src/cli/main.c alone holds main().
#
#   make                     build/medlabel (-O2)
#   make SANITIZER=address,undefined   a sanitizer build (use BUILD=build-asan to keep it apart)
#   make deps                install missing Debian packages (and npm packages for the browser tests)
#   make run                 deps, build, serve on 127.0.0.1:8080 with data in ./data
#   make test                deps, then the whole suite; last line "N passed, N failed"
#   make fuzz                libFuzzer targets (clang) under build-fuzz/
#   make bench               the benchmarks in bench/

CC        ?= gcc
BUILD     ?= build
SANITIZER ?=
OPT       ?= -O2

PKGS      := libmicrohttpd jansson sqlite3 libpq libsodium libutf8proc libpcre2-8 zlib libcurl \
             libjpeg libopenjp2 charls spng libpng sndfile libavformat libavcodec libavutil libswscale
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lnifti2 -lznz

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS    += -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) -Isrc -I/usr/include/nifti $(PKG_CFLAGS) -MMD -MP
LDLIBS    += $(PKG_LIBS) -lm -lpthread
ifneq ($(SANITIZER),)
CFLAGS    += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=$(SANITIZER)
endif

MAIN_SRC  := src/cli/main.c
LIB_SRC   := $(filter-out $(MAIN_SRC),$(wildcard src/*/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ  := $(MAIN_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC  := $(wildcard tests/unit/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HARNESS   := $(BUILD)/obj/tests/unit/harness.o
FUZZ_SRC  := $(wildcard fuzz/fuzz_*.c)

.PHONY: all deps run test unit-tests fuzz bench clean
.SECONDARY:
all: $(BUILD)/medlabel

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# Whole objects, not an archive: commands and routes register themselves from constructors.
$(BUILD)/medlabel: $(MAIN_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(HARNESS) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The de-identification dictionaries are compiled into data.o with .incbin.
$(BUILD)/obj/src/deid/data.o: $(wildcard src/deid/data/*.txt)

unit-tests: $(TEST_BIN)

deps:
	@sh deps/install.sh
	@[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error

run: deps all
	$(BUILD)/medlabel serve --listen 127.0.0.1:8080

test: deps
	@bash tests/run.sh

fuzz:
	@$(MAKE) --no-print-directory CC=clang BUILD=build-fuzz \
	  OPT=-O1 SANITIZER=address,undefined,fuzzer-no-link \
	  $(FUZZ_SRC:fuzz/%.c=build-fuzz/fuzz/%)

build-fuzz/fuzz/%: fuzz/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

bench: all
	@sh deps/install.sh deps/bench-packages.txt
	@bash bench/run.sh

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
