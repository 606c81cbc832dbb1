"""Syscall-emulation mode: a static sparc64 Linux program runs in user mode on the engine;
its Linux system calls exit to Python."""
