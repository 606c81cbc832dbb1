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
BM_DEPS  := tests/baremetal/crt0.S tests/baremetal/rt.h tests/baremetal/baremetal.ld tests/asm/bm.h sun4v/fwlib/windows.h \
	tests/bench/xlate_kernel.h
BM_CFLAGS := -O2 -ffreestanding -fno-pic -fno-pie -no-pie -mcmodel=medlow -mcpu=niagara \
	-fno-builtin -nostdlib -static -Wall -Werror

# firmware: the hypervisor (sun4v/hypervisor_fw), the shared library (sun4v/fwlib) and
# test guests (tests/guests); -mflat: C without register-window traps
FW_INC    := -Isun4v/hypervisor_fw/include -Isun4v/fwlib
FW_CFLAGS := -mcpu=niagara -m64 -mflat -O2 -ffreestanding -fno-builtin -nostdlib \
	-mcmodel=medlow -fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -fno-common -Wall -Werror $(FW_INC)
# the hypervisor and fwlib never touch the FP registers (they are the guest's)
FW_NOFPU  := -mno-fpu
FW_LDFLAGS := -nostdlib -static -no-pie -Wl,-z,max-page-size=0x2000 -Wl,--build-id=none
FW_HDRS   := $(wildcard sun4v/hypervisor_fw/include/sun4v/*.h) sun4v/fwlib/fwlib.h sun4v/fwlib/windows.h
FWLIB_SRC := $(wildcard sun4v/fwlib/*.c)
FWLIB_OBJ := $(patsubst sun4v/fwlib/%.c,build/fw/fwlib/%.o,$(FWLIB_SRC))
HV_DIR    := sun4v/hypervisor_fw/src
HV_HDRS   := $(wildcard $(HV_DIR)/*.h)
HV_OBJ    := $(patsubst $(HV_DIR)/%.S,build/fw/hv/%.o,$(wildcard $(HV_DIR)/*.S)) \
	$(patsubst $(HV_DIR)/%.c,build/fw/hv/%.o,$(wildcard $(HV_DIR)/*.c))
TG_DIR    := tests/guests
TG_SRC    := $(filter-out $(TG_DIR)/crt0.S,$(wildcard $(TG_DIR)/*.c))
TG_BIN    := $(patsubst $(TG_DIR)/%.c,build/fw/guests/%.bin,$(TG_SRC))
TG_DEPS   := $(TG_DIR)/crt0.S $(TG_DIR)/guest.ld $(wildcard $(TG_DIR)/*.h)
FW_BIN    := build/fw/libfw.a build/fw/hv.elf $(TG_BIN)

.PHONY: all setup tools venv progs firmware test test-all demo demo-xscf bench validate clean

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

build/progs/%.O0: tests/progs/%.c $(wildcard tests/progs/*.h) | tools
	@mkdir -p $(dir $@)
	$(CC) -static -O0 -o $@ $< -lm

build/progs/%.O2: tests/progs/%.c $(wildcard tests/progs/*.h) | tools
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -o $@ $< -lm

build/bench/%: tests/bench/%.c tests/bench/bench.h tests/bench/xlate_kernel.h | tools
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -pthread -o $@ $<

build/asm/%: tests/asm/%.S tests/asm/baremetal.ld tests/asm/bm.h tests/asm/bm_xlate.h sun4v/fwlib/windows.h | tools
	@mkdir -p $(dir $@)
	$(CC) -nostdlib -static -Wl,-T,tests/asm/baremetal.ld -Wl,-z,max-page-size=0x2000 -o $@ $<

# freestanding C for the full-system machine (sun4v baremetal): crt0.S starts every strand
build/baremetal/%: tests/baremetal/%.c $(BM_DEPS) | tools
	@mkdir -p $(dir $@)
	$(CC) $(BM_CFLAGS) -Wl,-T,tests/baremetal/baremetal.ld -Wl,-z,max-page-size=0x2000 -Wl,--build-id=none \
		-o $@ tests/baremetal/crt0.S $<

build/fw/fwlib/%.o: sun4v/fwlib/%.c $(FW_HDRS) | tools
	@mkdir -p $(dir $@)
	$(CC) $(FW_CFLAGS) $(FW_NOFPU) -c -o $@ $<

build/fw/libfw.a: $(FWLIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(CROSS)ar rcs $@ $^

build/fw/hv/%.o: $(HV_DIR)/%.c $(HV_HDRS) $(FW_HDRS) | tools
	@mkdir -p $(dir $@)
	$(CC) $(FW_CFLAGS) $(FW_NOFPU) -c -o $@ $<

build/fw/hv/%.o: $(HV_DIR)/%.S $(HV_HDRS) $(FW_HDRS) | tools
	@mkdir -p $(dir $@)
	$(CC) $(FW_CFLAGS) -c -o $@ $<

build/fw/hv.elf: $(HV_OBJ) build/fw/libfw.a sun4v/hypervisor_fw/hv.ld
	$(CC) $(FW_CFLAGS) $(FW_LDFLAGS) -Wl,-T,sun4v/hypervisor_fw/hv.ld -o $@ $(HV_OBJ) \
		build/fw/libfw.a

# test guests: raw images (entry at +0x20, a trap table at +0), loaded in the guest ROM
build/fw/guests/%.elf: $(TG_DIR)/%.c $(TG_DEPS) build/fw/libfw.a $(FW_HDRS) | tools
	@mkdir -p $(dir $@)
	$(CC) $(FW_CFLAGS) $(FW_LDFLAGS) -Wl,-T,$(TG_DIR)/guest.ld -o $@ $(TG_DIR)/crt0.S $< \
		build/fw/libfw.a -lgcc

build/fw/guests/%.bin: build/fw/guests/%.elf
	$(CROSS)objcopy -O binary $< $@

# the ELFs stay (for objdump and gdb on a test guest): not intermediates that make deletes
.PRECIOUS: build/fw/guests/%.elf

firmware: $(FW_BIN)

# the guest kernel (sun4v/guest): build/guest/guest.elf, and guest.bin, the raw image
# `sun4v boot` puts in the guest ROM. Kernel C has no FP (-mno-fpu) and no register
# windows (-mflat); the fp workload uses the FP unit, the int workload register windows.
GUEST_DIR    := sun4v/guest
GUEST_OBJ    := $(patsubst $(GUEST_DIR)/%.S,build/guest/%.o,$(wildcard $(GUEST_DIR)/*.S)) \
	$(patsubst $(GUEST_DIR)/%.c,build/guest/%.o,$(wildcard $(GUEST_DIR)/*.c))
GUEST_HDRS   := $(wildcard $(GUEST_DIR)/*.h) $(FW_HDRS)
GUEST_CFLAGS  = $(filter-out -mflat,$(FW_CFLAGS)) -I$(GUEST_DIR)
build/guest/%.o: GUEST_MODE = -mflat -mno-fpu
build/guest/wl_int.o: GUEST_MODE = -mno-fpu
build/guest/wl_fp.o: GUEST_MODE = -mflat

build/guest/%.o: $(GUEST_DIR)/%.c $(GUEST_HDRS) | tools
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) $(GUEST_MODE) -c -o $@ $<

build/guest/%.o: $(GUEST_DIR)/%.S $(GUEST_HDRS) | tools
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

build/guest/guest.elf: $(GUEST_OBJ) build/fw/libfw.a $(GUEST_DIR)/guest.ld
	$(CC) $(GUEST_CFLAGS) $(FW_LDFLAGS) -Wl,-T,$(GUEST_DIR)/guest.ld -o $@ $(GUEST_OBJ) \
		build/fw/libfw.a -lgcc

build/guest/guest.bin: build/guest/guest.elf
	$(CROSS)objcopy -O binary $< $@

# where sun4v boot looks for the guest kernel (sun4v/boot/system.py GUEST_KERNEL)
build/fw/guest.bin: build/guest/guest.bin
	@mkdir -p $(dir $@)
	cp $< $@

progs: tools $(PROG_BIN) $(BENCH_BIN) $(ASM_BIN) $(BM_BIN) $(FW_BIN) build/guest/guest.bin build/fw/guest.bin

test: setup progs
	$(PY) -m pytest -q -n auto

test-all: setup progs
	$(PY) -m pytest -q -n auto -m ''

# the ldm demo: on a terminal the TUI (ldm tui) on the T5220 of ldm/tui/demo.toml;
# without one (CI, a pipe) the same scenario as a script (ldm/tui/demo.py)
demo: setup progs
	$(PY) -m ldm.tui.demo

# the previous demo: a program under syscall emulation, then the XSCF of an M-series
demo-xscf: setup progs
	.venv/bin/sun4v run --stats - build/progs/demo.O2
	.venv/bin/xscf --demo

bench: setup progs
	.venv/bin/sun4v bench
	.venv/bin/python -m sun4v.rtl.bench
	.venv/bin/python -m sun4v.whatif.bench

validate: setup progs
	.venv/bin/sun4v validate

clean:
	rm -rf build
