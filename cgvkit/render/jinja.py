"""The Jinja2 environment for documents: sandboxed, autoescaped, strict, with French filters."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from .clauses import blocks
from .french import FILTERS


@lru_cache(maxsize=None)
def environment(templates: str) -> SandboxedEnvironment:
    """One environment per templates folder, kept for the life of the process (template cache)."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.filters["blocks"] = blocks
    return env


def render(root: Path, name: str, **context) -> str:
    return environment(str((root / "templates").resolve())).get_template(name).render(**context)
