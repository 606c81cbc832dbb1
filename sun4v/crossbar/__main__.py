"""``python -m sun4v.crossbar``: the XSCF shell."""
import sys

from .xscf import main

sys.exit(main())
