#!/usr/bin/env bash
# Install the system tools sun4v's build and tests need when they are missing or broken:
# the SPARC cross compiler with its C library and kernel headers (static glibc programs
# and freestanding firmware are built with it), qemu user mode (the oracle), Icarus
# Verilog (the RTL simulator) and Python's venv module.
#
# Each check tests what the build uses, not only that a binary exists: a cross compiler
# installed with --no-install-recommends has no C library headers, so the check compiles
# and links a static C program. Every package is named (apt's recommends are not relied
# on), so a machine with a partial toolchain is repaired too.
set -euo pipefail

CROSS_PKGS=(gcc-sparc64-linux-gnu binutils-sparc64-linux-gnu cpp-sparc64-linux-gnu
            libc6-dev-sparc64-cross linux-libc-dev-sparc64-cross libc6-sparc64-cross)
need=()

cross_ok() {
    command -v sparc64-linux-gnu-gcc >/dev/null || return 1
    local d rc
    d=$(mktemp -d)
    printf '#include <stdio.h>\n#include <math.h>\n#include <pthread.h>\n#include <linux/futex.h>\nint main(void){printf("%%g\\n", sqrt(2.0));return 0;}\n' > "$d/t.c"
    sparc64-linux-gnu-gcc -static -O2 -pthread -o "$d/t" "$d/t.c" -lm >/dev/null 2>&1 \
        && sparc64-linux-gnu-gcc -nostdlib -ffreestanding -mflat -c -o "$d/f.o" -x c - \
           <<< 'int f(int x){return x+1;}' >/dev/null 2>&1
    rc=$?
    rm -rf "$d"
    return $rc
}

cross_ok || need+=("${CROSS_PKGS[@]}")
command -v qemu-sparc64 >/dev/null || need+=(qemu-user)
command -v iverilog >/dev/null && command -v vvp >/dev/null || need+=(iverilog)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need[@]}"
    if [[ " ${need[*]} " == *" gcc-sparc64-linux-gnu "* ]] && ! cross_ok; then
        echo "setup: the SPARC cross compiler still cannot build a static C program" >&2
        exit 1
    fi
else
    echo "setup: missing system packages; run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
fi
