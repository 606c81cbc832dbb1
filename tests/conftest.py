"""Shared by every test directory: tests/ is on sys.path (pytest puts a rootdir conftest's
directory there), so tests/rtl and tests/crossbar import setup_tools like tests/ does."""
import os

# machines the tests start serve no console over TCP (many run at once and would want
# the same ports); the console server's own tests turn it on for their machines
os.environ.setdefault("SUN4V_VNTSD", "0")
