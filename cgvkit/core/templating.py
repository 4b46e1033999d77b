"""Jinja2 environments: sandboxed and strict everywhere, autoescaped for documents.

Two kinds: the documents' environment (templates/ folder, HTML autoescaped) and the clause
sandbox (clause texts are text: parameters are filled in unescaped, then `blocks()` escapes
the whole text before adding the only markup we allow).

Clause texts are data written by lawyers, so their sandbox is narrower than the documents':
immutable (no method of a list or dict that changes it), no globals (`range`, `lipsum`,
`cycler`, `joiner`, `namespace`, `dict`), a short list of filters, calls only to `article()`
and `has()`, and bounds on what an expression may build (see `forbidden_constructs` for the
checks made when the library is loaded, `ClauseSandbox` for the same bounds while rendering).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import FunctionType, MappingProxyType
from typing import Any, TypeVar, overload

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    nodes,
    pass_eval_context,
    select_autoescape,
)
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS as DEFAULT_FILTERS
from jinja2.filters import do_batch
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from cgvkit.core.french import FILTERS, typography
from cgvkit.core.memo import by_text

MAX_TEXT = 50_000  # characters: any string or list a clause text builds, and a rendered clause
MAX_INT_BITS = 4_096  # an integer a clause text computes (about 1 200 digits)
CLAUSE_CALLS = frozenset({"article", "has"})


class ClauseLimit(SecurityError):
    """A clause text asked for more than a clause can need (a huge string, number or padding)."""


def _too_long(size: int) -> None:
    if size > MAX_TEXT:
        raise ClauseLimit(typography(f"le résultat ferait {size} caractères ou éléments, au-delà de la limite "
                                     f"de {MAX_TEXT} d’un texte de clause"))


def _bits(value: int | float | Decimal) -> float:
    """log2 of |value| (how many bits the integer part needs)."""
    if isinstance(value, int):
        return abs(value).bit_length()
    magnitude = abs(float(value))
    return math.log2(magnitude) if 0 < magnitude < math.inf else (0 if magnitude == 0 else math.inf)


def check_binop(symbol: str, left: object, right: object) -> None:
    """Refuse `*`, `**` and `%` whose result would be huge, before Python computes it."""
    numbers = (int, float, Decimal)
    if symbol == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
                _too_long(len(seq) * max(count, 0))
        if isinstance(left, int) and isinstance(right, int) and _bits(left) + _bits(right) > MAX_INT_BITS:
            raise ClauseLimit(typography(f"nombre trop grand : plus de {MAX_INT_BITS} bits"))
    elif symbol == "**" and isinstance(left, numbers) and isinstance(right, numbers):
        exponent = abs(right) if isinstance(right, int) else abs(float(right))
        # left.__abs__(): abs(left), typed per kind of number (mypy joins abs() over int | float | Decimal to object)
        if exponent > MAX_INT_BITS or (left.__abs__() > 1 and exponent * _bits(left) > MAX_INT_BITS):
            raise ClauseLimit(typography(f"puissance trop grande : le résultat dépasserait {MAX_INT_BITS} bits"))
    elif symbol == "%" and isinstance(left, str):
        raise ClauseLimit(typography("le formatage « texte % valeurs » n’est pas admis dans un texte de clause"))


class ClauseSandbox(ImmutableSandboxedEnvironment):
    """The clause sandbox: immutable, and `*` `**` `%` checked before they run."""

    intercepted_binops = frozenset({"*", "**", "%"})  # also keeps them out of compile-time folding

    def call_binop(self, context: Context, operator_: str, left: object, right: object) -> object:
        check_binop(operator_, left, right)
        return super().call_binop(context, operator_, left, right)

    def call(__self, __context: Context, __obj: object, *args: object, **kwargs: object) -> object:
        """Only plain functions handed to the text (`article`, `has`): no method, no class, no macro."""
        if not isinstance(__obj, FunctionType):
            raise SecurityError(typography(f"appel interdit dans un texte de clause : {__obj!r}"))
        return super().call(__context, __obj, *args, **kwargs)


@pass_eval_context
def _replace(eval_ctx: EvalContext, s: object, old: object, new: object, count: int | None = None) -> str:
    s, old, new = str(s), str(old), str(new)
    found = s.count(old) if old else len(s) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    _too_long(len(s) + found * (len(new) - len(old)))
    return s.replace(old, new, -1 if count is None else count)


@pass_eval_context
def _join(eval_ctx: EvalContext, value: Iterable[object], d: object = "") -> str:
    items = [str(v) for v in value]
    _too_long(sum(map(len, items)) + max(len(items) - 1, 0) * len(str(d)))
    return str(d).join(items)


V = TypeVar("V")


def _batch(value: Iterable[V], linecount: int, fill_with: V | None = None) -> Iterator[list[V]]:
    if fill_with is not None:
        _too_long(linecount)
    return do_batch(value, linecount, fill_with)  # Jinja's own `batch` (DEFAULT_FILTERS["batch"])


# Filters a clause text may use: the kit's French formatting and a few harmless Jinja ones.
# Padding and width filters (center, indent, format, wordwrap...) are absent on purpose.
CLAUSE_FILTERS: dict[str, Callable[..., object]] = {
    **FILTERS,
    **{name: DEFAULT_FILTERS[name] for name in ("abs", "capitalize", "default", "d", "first", "last", "length",
                                                 "count", "lower", "upper", "title", "trim", "round", "int",
                                                 "map")},
    "replace": _replace, "join": _join, "batch": _batch,
}

CLAUSE_ENV = ClauseSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
CLAUSE_ENV.globals.clear()  # no range, lipsum, cycler, joiner, namespace, dict
CLAUSE_ENV.filters = dict(CLAUSE_FILTERS)


_BREAKS = re.compile(r"\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*")


@overload
def frozen(value: Mapping[str, object]) -> Mapping[str, object]: ...
@overload
def frozen(value: object) -> object: ...
def frozen(value: object) -> object:
    """A read-only deep copy of data for a clause text: mappings become MappingProxyType, lists
    tuples, and each string one line (a name with line breaks cannot open a paragraph or a
    list item in the CGV)."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: frozen(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(frozen(item) for item in value)
    if isinstance(value, str):
        return _BREAKS.sub(" ", value)
    return value


# --- what a clause text may contain, checked on its syntax tree when the library is loaded ---------

_STATEMENTS: dict[type[nodes.Node], str] = {  # French names of the statements a clause text may not use
    nodes.For: "{% for %}", nodes.Macro: "{% macro %}", nodes.CallBlock: "{% call %}",
    nodes.Include: "{% include %}", nodes.Import: "{% import %}", nodes.FromImport: "{% from … import %}",
    nodes.Extends: "{% extends %}", nodes.Block: "{% block %}", nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}", nodes.With: "{% with %}", nodes.FilterBlock: "{% filter %}",
    nodes.Scope: "{% with %}", nodes.ScopedEvalContextModifier: "{% autoescape %}",
    nodes.EvalContextModifier: "{% autoescape %}",
}
_ALLOWED = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.Name, nodes.Const, nodes.Getattr,
    nodes.Getitem, nodes.Slice, nodes.Filter, nodes.Test, nodes.Call, nodes.CondExpr, nodes.BinExpr,
    nodes.UnaryExpr, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Concat, nodes.Tuple,
    nodes.List, nodes.Dict, nodes.Pair, nodes.Keyword,
)
_BINOPS: dict[type[nodes.Node], str] = {nodes.Add: "+", nodes.Sub: "-", nodes.Mul: "*", nodes.Div: "/",
                                         nodes.FloorDiv: "//", nodes.Pow: "**", nodes.Mod: "%"}
_PYTHON: dict[str, Callable[[object, object], object]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "//": operator.floordiv,
    "**": operator.pow, "%": operator.mod}


_RESERVED = frozenset({"self", "caller", "varargs", "kwargs", "loop"})  # Jinja's own objects


class _NotConstant(Exception):
    pass


def _constant(node: nodes.Node) -> Any:
    """The value of a constant expression, computed under the sandbox's bounds (ClauseLimit if not).

    Any: the value of a Jinja constant (`nodes.Const.value` is Any in Jinja2's own annotations)."""
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, (nodes.List, nodes.Tuple)):
        items = [_constant(item) for item in node.items]
        return items if isinstance(node, nodes.List) else tuple(items)
    if isinstance(node, nodes.Neg):
        return -_constant(node.node)
    if isinstance(node, nodes.Pos):
        return +_constant(node.node)
    if isinstance(node, nodes.BinExpr) and type(node) in _BINOPS:  # every key is a BinExpr
        symbol = _BINOPS[type(node)]
        left, right = _constant(node.left), _constant(node.right)
        check_binop(symbol, left, right)
        try:
            return _PYTHON[symbol](left, right)
        except (ArithmeticError, TypeError, ValueError):
            raise _NotConstant from None
    raise _NotConstant


def forbidden_constructs(template: nodes.Template, filters: Collection[str] = CLAUSE_ENV.filters,
                         tests: Collection[str] = CLAUSE_ENV.tests) -> list[tuple[int, str]]:
    """(line in the text, French message) for everything a clause text may not contain."""
    found: list[tuple[int, str]] = []
    stack: list[nodes.Node] = [template]
    while stack:
        node = stack.pop()
        message = _refusal(node, filters, tests)
        if message:
            found.append((node.lineno or 1, typography(message)))
            continue  # one message per construct, not one per piece of it
        stack.extend(reversed(list(node.iter_child_nodes())))
    return sorted(found)


def _refusal(node: nodes.Node, filters: Collection[str], tests: Collection[str]) -> str | None:
    if type(node) in _STATEMENTS or not isinstance(node, _ALLOWED):
        name = _STATEMENTS.get(type(node), type(node).__name__)
        return (f"l’instruction {name} n’est pas admise dans un texte de clause : seuls {{{{ … }}}}, "
                "{% if %} / {% elif %} / {% else %} et les filtres listés dans le README le sont")
    if isinstance(node, nodes.Name) and node.name in _RESERVED:
        return f"le nom « {node.name} » est réservé et n’est pas admis dans un texte de clause"
    if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        return f"l’attribut « {node.attr} » est interdit dans un texte de clause"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and \
            isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
        return f"la clé « {node.arg.value} » est interdite dans un texte de clause"
    if isinstance(node, nodes.Call):
        if not (isinstance(node.node, nodes.Name) and node.node.name in CLAUSE_CALLS) or node.dyn_args \
                or node.dyn_kwargs:
            return "seules les fonctions article(…) et has(…) peuvent être appelées dans un texte de clause"
    # An unknown filter is reported by model/textnames.py, located at its column.
    if isinstance(node, nodes.Filter) and node.name == "map" and node.args and \
            isinstance(node.args[0], nodes.Const) and node.args[0].value not in filters:
        return f"le filtre « {node.args[0].value} » n’est pas admis dans un texte de clause"
    if isinstance(node, (nodes.Filter, nodes.Test)) and any(
            isinstance(arg, nodes.Const) and isinstance(arg.value, int) and abs(arg.value) > MAX_TEXT
            for arg in [*node.args, *(k.value for k in node.kwargs)]):
        return f"argument démesuré pour « {node.name} » : au plus {MAX_TEXT}"
    if isinstance(node, nodes.Test) and node.name not in tests:
        return f"le test « {node.name} » n’existe pas"
    if type(node) in _BINOPS:
        try:
            _constant(node)
        except ClauseLimit as exc:
            return str(exc)
        except _NotConstant:
            pass
    return None


BOX = ">"  # a paragraph whose every line starts with ">" is printed in a bordered box (an « encadré »)


def blocks(text: str) -> Markup:
    """Paragraphs and bullet lists as HTML; everything else escaped.

    A paragraph whose every line starts with ">" is a box: the lines without their ">" (a line of
    ">" alone separates the box's own paragraphs) are laid out the same way inside
    `<div class="encadre">`. Boxes do not nest: inside a box, ">" is text.
    """
    html = []
    for chunk in (c for c in text.split("\n\n") if c.strip()):
        lines = [line.strip() for line in chunk.strip().splitlines()]
        if all(line.startswith(BOX) for line in lines):
            inner = "\n".join(line[1:].strip() for line in lines)
            html.append(f'<div class="encadre">\n{_paragraphs(inner)}\n</div>')
        else:
            html.append(_paragraphs(chunk))
    return Markup("\n".join(html))


def _paragraphs(text: str) -> str:
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
    return "\n".join(html)


_LAYOUT = {"trim_blocks": True, "lstrip_blocks": True}  # how a document template's lines are read


class FolderLoader(FileSystemLoader):
    """Templates of one folder only: a symbolic link that leads out of it (to /etc/passwd, to another
    project) is refused, so no file of the machine can be printed into a letter or a page."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        target = Path(filename).resolve()
        if not any(target.is_relative_to(Path(folder).resolve()) for folder in self.searchpath):
            raise TemplateNotFound(f"{template} (lien symbolique qui sort du dossier des gabarits : refusé)")
        return source, filename, uptodate


def outside_link(path: Path, folder: Path) -> bool:
    """True when `path` (a file found under `folder`) is a link whose target lies outside `folder`."""
    return not path.resolve().is_relative_to(folder.resolve())


@cache
def environment(templates: str) -> ImmutableSandboxedEnvironment:
    """One environment per templates folder, kept for the life of the process (template cache)."""
    env = ImmutableSandboxedEnvironment(
        loader=FolderLoader(templates),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        undefined=StrictUndefined,
        **_LAYOUT,
    )
    env.filters.update(FILTERS)
    env.filters["blocks"] = blocks
    return env


def render(root: Path, name: str, **context: object) -> str:
    return environment(str((root / "templates").resolve())).get_template(name).render(**context)


_PARSER = ImmutableSandboxedEnvironment(**_LAYOUT)


@by_text(maxsize=512)
def template_syntax_error(text: str, name: str) -> TemplateSyntaxError | None:
    """Why a document template does not parse, or None; worked out once per text (`validate` checks
    every template at each run, and `serve` at each edit)."""
    try:
        _PARSER.parse(text, name=name)
    except TemplateSyntaxError as exc:
        return exc
    return None

