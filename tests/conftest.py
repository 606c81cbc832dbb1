"""Shared by every test directory: tests/ is on sys.path (pytest puts a rootdir conftest's
directory there), so tests/rtl and tests/crossbar import setup_tools like tests/ does."""
