"""The firmware hypervisor's tests (helpers in hvkit.py)."""
