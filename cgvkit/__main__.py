"""`python -m cgvkit COMMAND ...`: the same command line as build.py, on the current folder."""

import sys

from cgvkit.cli import main

sys.exit(main())
