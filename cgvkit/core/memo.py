"""A cache for functions of a text: the same text always gives the same result, so it is worked out
once per process (`validate` checks every clause at each run, `serve` at each edit, tests load the
same project hundreds of times) and an edited text is simply a new key."""

from __future__ import annotations

from functools import lru_cache


def by_text(maxsize: int = 1024):
    """`functools.lru_cache`, marked as keyed by content: tests/conftest.py's `clear_caches` keeps
    these between runs and clears the caches keyed by a path."""
    def wrap(function):
        cached = lru_cache(maxsize=maxsize)(function)
        cached.keyed_by_content = True
        return cached
    return wrap
