#!/usr/bin/env python3
"""Entry point: `python build.py COMMAND ...` (see `python build.py --help`)."""

import sys

from cgvkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
