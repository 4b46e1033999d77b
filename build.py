#!/usr/bin/env python3
"""Entry point of this repository: `python build.py COMMAND ...` (see `python build.py --help`)."""

import sys
from pathlib import Path

from cgvkit.cli import main

if __name__ == "__main__":
    sys.exit(main(default_root=Path(__file__).resolve().parent))
