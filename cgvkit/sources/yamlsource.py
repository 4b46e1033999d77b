"""Safe YAML loading that remembers where every value stands.

Only the safe YAML subset is accepted (no Python tags). Duplicate keys are refused
because a lawyer who writes `days` twice expects an error, not the last one silently winning.
Floats are read as Decimal so that rates and money never pass through binary floating point.

A user file is data, never a program: aliases are refused (an "alias bomb" of a few lines would
expand to billions of nodes), nesting is bounded, numbers are bounded in size and impossible dates
(2026-02-30, year 0) are located errors, so a hostile file costs what it weighs and never a traceback.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from cgvkit.core.errors import KitError, Problem, os_reason

if TYPE_CHECKING:
    from yaml.events import _Mark  # PyYAML's mark or libyaml's, as types-PyYAML names them

Path_ = tuple[str | int, ...]  # a key path: ("clauses", "payment_term", "days"), ("rates", 3)


@dataclass
class Source:
    """A loaded YAML document and the line/column (1-based) of each key path."""

    file: str
    data: object
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_) -> tuple[int, int]:
        """Position of `path`, or of its nearest ancestor that exists in the file."""
        path = tuple(path)
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))

    def problem(self, path: Path_, message: str, rule: str, severity: str = "error") -> Problem:
        line, col = self.where(path)
        return Problem(self.file, line, col, dotted(path), message, rule, severity)


def dotted(path: Path_) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


MAX_DEPTH = 50  # blocks inside blocks: a profile needs 4, a clause file 5
MAX_DIGITS = 30  # a number longer than this is no amount, rate or duration a company writes


class _Refused(yaml.MarkedYAMLError):
    """A construct the kit refuses in a user file, with its French reason and rule id."""

    def __init__(self, mark: _Mark | None, reason: str, rule: str):
        super().__init__(problem=reason, problem_mark=mark)  # type: ignore[arg-type]  # types-PyYAML: libyaml's marks too
        self.rule = rule


if TYPE_CHECKING:  # one static base for mypy: libyaml's, which this project's PyYAML has
    _Base = yaml.CSafeLoader
else:
    _Base = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


class _Loader(_Base):
    """libyaml's scanner and parser (C, thirty times faster than PyYAML's pure-Python ones) when
    PyYAML was built with it; the nodes are composed by `_compose` below, never by the parser."""


# YAML 1.1 also reads `01000` as the octal number 512, `190:20:30` as 685 230 (base 60) and `0x1F`
# as 31: a postal code or a mistyped amount would silently become another number. Here a number is
# written in decimal or it is text.
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, _INT if tag == "tag:yaml.org,2002:int" else _FLOAT if tag == "tag:yaml.org,2002:float"
             else regexp) for tag, regexp in resolvers]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


@dataclass(slots=True)
class _Open:
    """A collection being composed, and (in a mapping) the key node waiting for its value."""

    node: yaml.CollectionNode
    key: yaml.Node | None = None


def _compose(loader: _Loader) -> yaml.Node | None:
    """The single document's node tree, built from the parser's events without recursion.

    Done here rather than by the parser's own composer so that an alias is refused where it
    stands (never expanded) and nesting is bounded before any node is built.
    """
    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # document start
    stack: list[_Open] = []  # open collections
    root: yaml.Node | None = None
    node: yaml.Node
    while root is None:
        event = loader.get_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(event.start_mark, "alias YAML (« *nom ») interdit : recopiez la valeur à chaque "
                           "endroit où elle sert", "yaml-alias")
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            node = stack.pop().node
            node.end_mark = event.end_mark
        elif isinstance(event, yaml.ScalarEvent):
            tag = event.tag if event.tag is not None and event.tag != "!" else \
                loader.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]  # types-PyYAML
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark,  # type: ignore[arg-type]  # types-PyYAML: libyaml's marks too
                                   style=event.style)
        else:
            assert isinstance(event, yaml.CollectionStartEvent)  # the parser's only other event inside a document
            kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
            tag = event.tag if event.tag is not None and event.tag != "!" else \
                loader.resolve(kind, None, event.implicit)  # type: ignore[no-untyped-call]  # types-PyYAML
            if len(stack) >= MAX_DEPTH:
                raise _Refused(event.start_mark, f"imbrication trop profonde (plus de {MAX_DEPTH} niveaux de "
                               "blocs ou de listes)", "yaml-depth")
            stack.append(_Open(kind(tag, [], event.start_mark, None,  # type: ignore[arg-type]  # types-PyYAML: libyaml's marks too
                                    flow_style=event.flow_style)))
            continue
        if not stack:
            root = node
        elif isinstance(stack[-1].node, yaml.SequenceNode):
            stack[-1].node.value.append(node)
        elif stack[-1].key is None:
            stack[-1].key = node
        else:
            stack[-1].node.value.append((stack[-1].key, node))
            stack[-1].key = None
    loader.get_event()  # document end
    if not loader.check_event(yaml.StreamEndEvent):
        event = loader.get_event()
        raise yaml.composer.ComposerError(None, None, "expected a single document in the stream",
                                          event.start_mark if event else None)  # type: ignore[arg-type]  # types-PyYAML
    return root


def _decimal(loader: _Loader, node: yaml.ScalarNode) -> float | Decimal:
    text = loader.construct_scalar(node).replace("_", "")
    if text.lower() in (".inf", "+.inf", "-.inf", ".nan"):
        return float(text.replace(".", "", 1))
    value = Decimal(text)
    if value and not -MAX_DIGITS <= value.adjusted() <= MAX_DIGITS:
        raise ValueError(text)  # 1.0e+999999999: Babel or quantize would choke on it later
    return abs(value) if not value else value  # -0.0 is 0


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


# What YAML's reader refuses (NUL and other C0/C1 controls but tab and line ends), found first so
# that the error names its line.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")

_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(loader: _Loader, node: yaml.Node, path: Path_, marks: dict[Path_, tuple[int, int]],
           problems: list[Problem], file: str, tags: tuple[str, ...] = ()) -> object:
    marks[path] = _mark(node)
    if node.tag in tags:  # a tag the file's reader knows (mkdocs.yml's !ENV): kept as its plain value
        if isinstance(node, yaml.ScalarNode):
            return node.value
        node = (yaml.SequenceNode if isinstance(node, yaml.SequenceNode) else yaml.MappingNode)(
            _PLAIN_TAGS[isinstance(node, yaml.SequenceNode)], node.value, node.start_mark, node.end_mark)
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
        raise yaml.constructor.ConstructorError(
            None, None, f"could not determine a constructor for the tag {node.tag!r}", node.start_mark)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[str | int, object] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node, path, problems, file)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                key = str(key)
            if key in result:
                line, col = _mark(key_node)
                problems.append(Problem(file, line, col, dotted(path + (key,)),
                                        f"la clé « {key} » est écrite deux fois", "yaml-duplicate-key"))
                continue
            result[key] = _build(loader, value_node, path + (key,), marks, problems, file, tags)
            if not isinstance(value_node, yaml.ScalarNode):
                marks[path + (key,)] = _mark(key_node)  # a block points at its key, not its first child
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), marks, problems, file, tags)
                for i, item in enumerate(node.value)]
    return _scalar(loader, node, path, problems, file)


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def _scalar(loader: _Loader, node: yaml.Node, path: Path_, problems: list[Problem], file: str) -> object:
    """A scalar's value; an impossible date or a monstrous number becomes a located problem."""
    text = node.value if isinstance(node, yaml.ScalarNode) else ""
    try:
        if node.tag in _NUMBER_TAGS and len(text) > MAX_DIGITS + 10:
            raise ValueError(text)  # int() of thousands of digits raises, or takes seconds
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError, ArithmeticError):
        line, col = _mark(node)
        value = text if len(text) <= 40 else text[:40] + "…"
        if node.tag == "tag:yaml.org,2002:timestamp":
            message, rule = f"date impossible « {value} » (ce jour ou cette heure n’existe pas au calendrier)", "yaml-date"
        else:
            message, rule = f"nombre démesuré « {value} » (au plus {MAX_DIGITS} chiffres)", "yaml-number"
        problems.append(Problem(file, line, col, dotted(path), message, rule))
        return text


def load_text(text: str, file: str, tags: tuple[str, ...] = ()) -> Source:
    """Parse YAML text; every syntax error or duplicate key becomes a located Problem. `tags`: the
    only tags accepted besides plain YAML (their nodes are read as plain values)."""
    problems: list[Problem] = []
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise KitError([Problem(file, line, col, "", f"caractère de contrôle interdit (U+{ord(bad.group()):04X}) : "
                                "le fichier n’est pas un texte YAML", "yaml-control")])
    loader = _Loader(text)
    try:
        node = _compose(loader)
        marks: dict[Path_, tuple[int, int]] = {}
        data = _build(loader, node, (), marks, problems, file, tags) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "syntaxe invalide"
        if isinstance(exc, _Refused):
            raise KitError([Problem(file, line, col, "", reason, exc.rule)]) from None
        raise KitError([Problem(file, line, col, "", f"YAML illisible : {_french(reason, text, mark)}",
                                "yaml-syntax")]) from None
    except yaml.YAMLError as exc:  # e.g. an unknown tag such as !!python/object
        raise KitError([Problem(file, 1, 1, "", f"YAML refusé : {_french(str(exc))}", "yaml-syntax")]) from None
    finally:
        loader.dispose()
    if problems:
        raise KitError(problems)
    return Source(file, data, marks)


_TAB = "tabulation interdite (indentez avec des espaces)"
_COLON = "deux-points inattendu (une valeur contenant « : » doit être entre guillemets)"
# The parser's messages (libyaml's, then PyYAML's own where they differ), by how they start.
_KNOWN = {
    "found a tab character": _TAB,
    "found character '\\t' that cannot start any token": _TAB,
    "mapping values are not allowed": _COLON,
    "could not find expected ':'": "« : » attendu après la clé",
    "found unexpected end of stream": "fin du fichier inattendue : un guillemet ou un crochet n’est pas refermé",
    "found unknown escape character": "caractère inconnu après « \\ » entre guillemets doubles (mettez la valeur "
                                      "entre guillemets simples)",
    "did not find expected ',' or ']'": "« , » ou « ] » attendu : une liste entre crochets n’est pas refermée",
    "expected ',' or ']'": "« , » ou « ] » attendu : une liste entre crochets n’est pas refermée",
    "did not find expected ',' or '}'": "« , » ou « } » attendu : un bloc entre accolades n’est pas refermé",
    "expected ',' or '}'": "« , » ou « } » attendu : un bloc entre accolades n’est pas refermé",
    "did not find expected key": "clé attendue : vérifiez l’indentation de cette ligne",
    "did not find expected '-' indicator": "élément de liste « - » attendu : vérifiez l’indentation de cette ligne",
    "expected <block end>": "vérifiez l’indentation de cette ligne (elle ne s’aligne sur aucun bloc)",
    "block sequence entries are not allowed": "« - » inattendu : vérifiez l’indentation de cette ligne",
    "did not find expected node content": "valeur attendue",
    "expected the node content": "valeur attendue",
    "found incompatible YAML document": "version de YAML non prise en charge (retirez la ligne « %YAML »)",
    "found undefined tag handle": "étiquette YAML interdite (seul le YAML simple est accepté)",
    "expected a single document": "un seul document par fichier (retirez la ligne « --- » et ce qui la suit)",
    "found undefined alias": "alias inconnu",
    "found unhashable key": "clé invalide",
}


def _french(reason: str, text: str = "", mark: yaml.Mark | None = None) -> str:
    """The parser's English reason said in French (its own words kept only for the rarest ones)."""
    if reason.startswith("found character") and reason.endswith("that cannot start any token"):
        found = text[mark.index] if mark is not None and 0 <= mark.index < len(text) else ""
        if found == "\t":
            return _TAB
        return f"caractère « {found} » interdit au début d’une valeur (mettez la valeur entre guillemets)"
    for english, french in _KNOWN.items():
        if reason.startswith(english):
            return french
    if "could not determine a constructor for the tag" in reason:
        return "étiquette YAML interdite (seul le YAML simple est accepté)"
    return f"syntaxe invalide ({reason})"


MAX_BYTES = 1_000_000  # a clause file is a few kilobytes; ten megabytes of YAML cost gigabytes to read


def load_file(path: Path, root: Path, tags: tuple[str, ...] = ()) -> Source:
    """Load a YAML file; `file` in problems is relative to the project root. A FIFO, a device or an
    oversized file is refused before it is read."""
    try:
        rel = str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        rel = str(path)
        if path.absolute().is_relative_to(root.absolute()):  # a file of the project that links out of it
            shown = str(path.absolute().relative_to(root.absolute()))
            raise KitError([Problem(shown, 1, 1, "", "lien symbolique vers un fichier hors du projet : il n’est pas lu",
                                    "file-link")]) from None
    try:
        refusal = file_refusal(path)
        if refusal:
            raise KitError([Problem(rel, 1, 1, "", refusal, "file-kind")])
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KitError([Problem(rel, 1, 1, "", "le fichier n’est pas encodé en UTF-8", "file-encoding")]) from None
    except OSError as exc:
        raise KitError([Problem(rel, 1, 1, "", f"fichier illisible : {os_reason(exc)}", "file-missing")]) from None
    return load_text(text, rel, tags)


def file_refusal(path: Path, limit: int = MAX_BYTES) -> str | None:
    """Why `path` is not read (not a regular file, too large), or None. Raises OSError if it is missing."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        return "ce n’est pas un fichier ordinaire (tube, périphérique ou dossier) : il n’est pas lu"
    if info.st_size > limit:
        return (f"fichier de {info.st_size // 1_000_000} Mo : au plus {limit // 1_000_000} Mo pour un fichier YAML "
                "du projet, il n’est pas lu")
    return None


def strings(value: object, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """(key path, text) of every string in a loaded YAML tree, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, path + (i,))
    elif isinstance(value, str):
        yield path, value
