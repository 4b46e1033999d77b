"""Jinja2 environments: sandboxed and strict everywhere, autoescaped for documents.

Two kinds: the documents' environment (templates/ folder, HTML autoescaped) and the clause
sandbox (clause texts are text: parameters are filled in unescaped, then `blocks()` escapes
the whole text before adding the only markup we allow).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from cgvkit.core.french import FILTERS

CLAUSE_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
CLAUSE_ENV.filters.update(FILTERS)


def blocks(text: str) -> Markup:
    """Paragraphs and bullet lists as HTML; everything else escaped."""
    html = []
    for chunk in (c for c in text.split("\n\n") if c.strip()):
        lines = [line.strip() for line in chunk.strip().splitlines()]
        items = [line[2:] for line in lines if line.startswith("- ")]
        if items and len(items) == len(lines):
            html.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")
        elif items:  # a lead-in paragraph followed by a list
            lead = [escape(line) for line in lines if not line.startswith("- ")]
            html.append(f"<p>{' '.join(lead)}</p>")
            html.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")
        else:
            html.append(f"<p>{escape(' '.join(lines))}</p>")
    return Markup("\n".join(html))


@cache
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
