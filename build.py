#!/usr/bin/env python3
"""Entry point of this repository: `python build.py COMMAND ...` (see `python build.py --help`)."""

from pathlib import Path

from cgvkit.cli import run

if __name__ == "__main__":
    run(default_root=Path(__file__).resolve().parent)
