"""A Jinja environment that writes Markdown pages in which data is always data.

Every value printed with `{{ }}` goes through `finalize`, which turns the characters Markdown,
its extensions or HTML would interpret into numeric entities: a company called
`<script>*x*</script>` or `{{ 7*7 }}` shows exactly that on the site. Only values wrapped in
`Markup` (built here, by the filters below, from escaped parts) pass through unchanged.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from cgvkit.core.french import FILTERS
from cgvkit.core.templating import FolderLoader, blocks
from cgvkit.site.safemarkdown import safe_url

# Characters with a meaning anywhere in a line for Markdown, pymdownx extensions (emoji,
# mark, tilde, caret, keys, arithmatex), attr_list or HTML; and the block markers that only
# count at the start of a line. `(` `)` `!` need no escape once `[` `]` are escaped.
_SPECIAL = re.compile(r"[&<>*_`\[\]|\\{}~^=:$#]")
_LINE_START = re.compile(r"^(\s*)([#>+!?-]|\d+(?=[.)]))")
# Every line break Python knows (str.splitlines): a value is one line of Markdown, so a name
# like "ACME\n# Titre" cannot open a heading, a list, an admonition or a code block.
_BREAKS = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")


def _entity(match: re.Match) -> str:
    return _entity_text(match.group())


def one_line(value) -> str:
    """`value` as text on one line: line breaks become spaces, leading blanks go."""
    return _BREAKS.sub(" ", "" if value is None else str(value)).lstrip(" \t")


def md(value) -> Markup:
    """Plain text → Markdown that displays it literally, on one line."""
    if isinstance(value, Markup):
        return value
    text = _SPECIAL.sub(_entity, one_line(value))
    return Markup(_LINE_START.sub(lambda m: m.group(1) + _entity_text(m.group(2)), text))


def _entity_text(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


def cell(value) -> Markup:
    """A value for a Markdown table cell: escaped, on one line."""
    if isinstance(value, Markup):
        return Markup(" ".join(str(value).split()))
    return md(" ".join(str(value).split()))


def code(value) -> Markup:
    """An inline code span (identifiers, file names)."""
    text = one_line(value)
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


def link(text, target: str) -> Markup:
    """[text](target): the text escaped, the target given in angle brackets.

    A target whose scheme could run or embed something (`javascript:`, `data:`…) gives the
    text alone, without a link.
    """
    if not safe_url(str(target)):
        return md(text)
    safe = re.sub(r"[\x00-\x20<>\x7f]", lambda m: f"%{ord(m.group()):02X}", str(target))
    return Markup(f"[{md(text)}](<{safe}>)")


def html(value) -> Markup:
    """A value inside a raw HTML block (no Markdown processing there)."""
    return Markup(escape(value))


def front_title(value) -> Markup:
    """The page title as YAML front matter, HTML-escaped.

    The theme prints titles unescaped (and `striptags` on an H1-derived title turns
    `&lt;` back into `<`), so a title from data is given here, already escaped.
    """
    return Markup("title: " + json.dumps(str(escape(" ".join(str(value).split()))), ensure_ascii=False))


_RAW_TAG = re.compile(r"<(?!https?://[^>\s]+>)")
_BRACES = re.compile(r"[{}]")
_CODE_SPAN = re.compile(r"(`+)[\s\S]*?(?<!`)\1(?!`)")
_DESTINATION = re.compile(r"\]\(\s*<?([^)>]*)")  # an inline link or image target, up to `)` or `>`
_DEFINITION = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*\n?[ \t]*)<?(\S*)", re.MULTILINE)


def markdown_text(value) -> Markup:
    """Markdown written by the project's lawyers (clause guidance): kept as Markdown, made inert.

    Raw HTML is escaped (autolinks `<https://…>` kept), `{ … }` attribute lists are escaped,
    and a link or image whose target has a scheme that runs or embeds something
    (`javascript:`, `data:`, `vbscript:`…) loses its target and shows as text. Code spans are
    left as written. Remote images are removed when the site is built (see safemarkdown.py).
    """
    text = str(value).strip()
    parts, last = [], 0
    for span in _CODE_SPAN.finditer(text):
        parts += [_inert(text[last:span.start()]), span.group()]
        last = span.end()
    parts.append(_inert(text[last:]))
    return Markup("".join(parts))


def _inert(text: str) -> str:
    text = _RAW_TAG.sub("&lt;", text)
    text = _BRACES.sub(_entity, text)
    text = _DESTINATION.sub(lambda m: m.group() if safe_url(m.group(1)) else "&#93;(" + m.group(1), text)
    return _DEFINITION.sub(lambda m: m.group() if safe_url(m.group(2)) else "", text)


def _finalize(value):
    return value if isinstance(value, Markup) else md(value)


@cache
def environment(templates: str) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(loader=FolderLoader(templates), undefined=StrictUndefined,
                               autoescape=False, finalize=_finalize, trim_blocks=True,
                               lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    env.filters.update(md=md, cell=cell, code=code, link=link, html=html, markdown=markdown_text, front_title=front_title,
                       blocks=blocks)
    return env


def render_page(root: Path, name: str, **context) -> str:
    """templates/site/`name` rendered with `context`."""
    templates = str((root / "templates" / "site").resolve())
    return environment(templates).get_template(name).render(**context)
