"""A cache for functions of a text: the same text always gives the same result, so it is worked out
once per process (`validate` checks every clause at each run, `serve` at each edit, tests load the
same project hundreds of times) and an edited text is simply a new key."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper  # what lru_cache returns (typeshed's name for it)

R = TypeVar("R")


def by_text(maxsize: int = 1024) -> Callable[[Callable[..., R]], _lru_cache_wrapper[R]]:
    """`functools.lru_cache`, marked as keyed by content: tests/conftest.py's `clear_caches` keeps
    these between runs and clears the caches keyed by a path."""
    def wrap(function: Callable[..., R]) -> _lru_cache_wrapper[R]:
        cached = lru_cache(maxsize=maxsize)(function)
        cached.__dict__["keyed_by_content"] = True  # an attribute of this wrapper, unknown to its type
        return cached
    return wrap
