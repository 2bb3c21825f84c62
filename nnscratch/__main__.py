"""``python -m nnscratch``: the same as the ``nnscratch`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
