"""`python -m sun4v` runs the `sun4v` command."""
import sys

from .cli import main

sys.exit(main())
