"""`python -m ldm.tui`: the same as `ldm tui` (cli.py)."""
import sys

from .cli import main

sys.exit(main())
