"""Safe YAML loading that remembers where every value stands.

Only the safe YAML subset is accepted (no Python tags). Duplicate keys are refused
because a lawyer who writes `days` twice expects an error, not the last one silently winning.
Floats are read as Decimal so that rates and money never pass through binary floating point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from cgvkit.core.errors import KitError, Problem

Path_ = tuple  # a key path: ("clauses", "payment_term", "days")


@dataclass
class Source:
    """A loaded YAML document and the line/column (1-based) of each key path."""

    file: str
    data: object
    marks: dict = field(default_factory=dict)

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


class _Loader(yaml.SafeLoader):
    pass


def _decimal(loader, node):
    text = loader.construct_scalar(node).replace("_", "")
    if text.lower() in (".inf", "+.inf", "-.inf", ".nan"):
        return float(text.replace(".", "", 1))
    return Decimal(text)


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(loader, node, path, marks, problems, file):
    marks[path] = _mark(node)
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
        raise yaml.constructor.ConstructorError(
            None, None, f"could not determine a constructor for the tag {node.tag!r}", node.start_mark)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                key = str(key)
            if key in result:
                line, col = _mark(key_node)
                problems.append(Problem(file, line, col, dotted(path + (key,)),
                                        f"la clé « {key} » est écrite deux fois", "yaml-duplicate-key"))
                continue
            result[key] = _build(loader, value_node, path + (key,), marks, problems, file)
            if not isinstance(value_node, yaml.ScalarNode):
                marks[path + (key,)] = _mark(key_node)  # a block points at its key, not its first child
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), marks, problems, file)
                for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_text(text: str, file: str) -> Source:
    """Parse YAML text; every syntax error or duplicate key becomes a located Problem."""
    loader = _Loader(text)
    problems: list[Problem] = []
    try:
        node = loader.get_single_node()
        marks: dict = {}
        data = _build(loader, node, (), marks, problems, file) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "syntaxe invalide"
        raise KitError([Problem(file, line, col, "", f"YAML illisible : {_french(reason)}",
                                "yaml-syntax")]) from None
    except yaml.YAMLError as exc:  # e.g. an unknown tag such as !!python/object
        raise KitError([Problem(file, 1, 1, "", f"YAML refusé : {exc}", "yaml-syntax")]) from None
    finally:
        loader.dispose()
    if problems:
        raise KitError(problems)
    return Source(file, data, marks)


def _french(reason: str) -> str:
    known = {
        "found character '\\t' that cannot start any token": "tabulation interdite (indentez avec des espaces)",
        "mapping values are not allowed here": "deux-points inattendu (une valeur contenant « : » doit être entre guillemets)",
        "found undefined alias": "alias inconnu",
        "could not find expected ':'": "« : » attendu après la clé",
        "found unhashable key": "clé invalide",
    }
    for english, french in known.items():
        if reason.startswith(english):
            return french
    if "could not determine a constructor for the tag" in reason:
        return "étiquette YAML interdite (seul le YAML simple est accepté)"
    return reason


def load_file(path: Path, root: Path) -> Source:
    """Load a YAML file; `file` in problems is relative to the project root."""
    try:
        rel = str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        rel = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KitError([Problem(rel, 1, 1, "", "le fichier n’est pas encodé en UTF-8", "file-encoding")]) from None
    except OSError as exc:
        raise KitError([Problem(rel, 1, 1, "", f"fichier illisible : {exc.strerror}", "file-missing")]) from None
    return load_text(text, rel)
