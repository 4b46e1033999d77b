"""`python -m cgvkit COMMAND ...`: the same command line as build.py, on the current folder."""

from cgvkit.cli import run

run()
