"""``python -m s2s_lab``: the command line of :mod:`s2s_lab.cli` (translate, evaluate, train)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
