# sun4v — set-up, tests, demo and benchmarks.  `make test` does everything on a fresh Debian.
PY      := .venv/bin/python
PIP     := .venv/bin/pip
CROSS   := sparc64-linux-gnu-
CC      := $(CROSS)gcc
export SUN4V_CACHE ?= $(CURDIR)/build/cache

PROG_SRC := $(wildcard tests/progs/*.c)
PROG_BIN := $(foreach s,$(PROG_SRC),build/progs/$(basename $(notdir $(s))).O0 build/progs/$(basename $(notdir $(s))).O2)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,build/bench/%,$(BENCH_SRC))
ASM_SRC  := $(wildcard tests/asm/*.S)
ASM_BIN  := $(patsubst tests/asm/%.S,build/asm/%,$(ASM_SRC))
BM_SRC   := $(wildcard tests/baremetal/*.c)
BM_BIN   := $(patsubst tests/baremetal/%.c,build/baremetal/%,$(BM_SRC))
BM_DEPS  := tests/baremetal/crt0.S tests/baremetal/rt.h tests/baremetal/baremetal.ld tests/asm/bm.h \
	tests/bench/xlate_kernel.h
BM_CFLAGS := -O2 -ffreestanding -fno-pic -fno-pie -no-pie -mcmodel=medlow -mcpu=niagara \
	-fno-builtin -nostdlib -static -Wall -Werror

.PHONY: all setup tools venv progs test test-all demo bench validate clean

all: test

tools:
	@bash scripts/setup-tools.sh

.venv/stamp: pyproject.toml
	python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@

venv: .venv/stamp

setup: tools venv

build/progs/%.O0: tests/progs/%.c | tools
	@mkdir -p $(dir $@)
	$(CC) -static -O0 -o $@ $< -lm

build/progs/%.O2: tests/progs/%.c | tools
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -o $@ $< -lm

build/bench/%: tests/bench/%.c tests/bench/bench.h tests/bench/xlate_kernel.h | tools
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -pthread -o $@ $<

build/asm/%: tests/asm/%.S tests/asm/baremetal.ld tests/asm/bm.h | tools
	@mkdir -p $(dir $@)
	$(CC) -nostdlib -static -Wl,-T,tests/asm/baremetal.ld -Wl,-z,max-page-size=0x2000 -o $@ $<

# freestanding C for the full-system machine (sun4v baremetal): crt0.S starts every strand
build/baremetal/%: tests/baremetal/%.c $(BM_DEPS) | tools
	@mkdir -p $(dir $@)
	$(CC) $(BM_CFLAGS) -Wl,-T,tests/baremetal/baremetal.ld -Wl,-z,max-page-size=0x2000 -Wl,--build-id=none \
		-o $@ tests/baremetal/crt0.S $<

progs: tools $(PROG_BIN) $(BENCH_BIN) $(ASM_BIN) $(BM_BIN)

test: setup progs
	$(PY) -m pytest -q

test-all: setup progs
	$(PY) -m pytest -q -m ''

demo: setup progs
	.venv/bin/sun4v run --stats - build/progs/demo.O2
	.venv/bin/xscf --demo

bench: setup progs
	.venv/bin/sun4v bench
	.venv/bin/python -m sun4v.rtl.bench

validate: setup progs
	.venv/bin/sun4v validate

clean:
	rm -rf build
