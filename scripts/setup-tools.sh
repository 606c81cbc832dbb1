#!/usr/bin/env bash
# Install the system tools sun4v's tests need when they are missing:
# the SPARC cross compiler, qemu user mode (the oracle) and Icarus Verilog.
set -euo pipefail
need=()
command -v sparc64-linux-gnu-gcc >/dev/null || need+=(gcc-sparc64-linux-gnu binutils-sparc64-linux-gnu)
command -v qemu-sparc64 >/dev/null || need+=(qemu-user)
command -v iverilog >/dev/null || need+=(iverilog)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need[@]}"
else
    echo "setup: missing system packages; run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
    exit 1
fi
