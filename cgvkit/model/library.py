"""The clause library: families (`_family.yaml`) and their variants, validated as a whole."""

from __future__ import annotations

import hashlib
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NotRequired, TypedDict, cast

from jinja2 import TemplateSyntaxError, meta, nodes

from cgvkit.core.errors import KitError, Problem, Problems
from cgvkit.core.french import typography
from cgvkit.core.memo import by_text
from cgvkit.core.templating import CLAUSE_ENV, forbidden_constructs
from cgvkit.model.textnames import name_problems, syntax_problem
from cgvkit.sources.schemas import Schema, french_message, schema_errors, schema_file, validate
from cgvkit.sources.yamlsource import Source, load_file

# Names a clause text may use besides its own parameters (see render/clauses.py).
TEXT_GLOBALS = {"company", "market", "article", "has", "rates"}


# A number parameter with no declared maximum (an indemnity, a margin) stays below what a
# company can have: 10^12, the ceiling of a company's capital.
NUMBER_CEILING = 10**12


# The files as their schemas (schemas/family.yaml, schemas/clause.yaml) let them through.
class FamilyFile(TypedDict):
    family: str
    title: str
    order: int
    markets: list[str]
    required: list[str]
    default: dict[str, str]
    prominent: NotRequired[bool]
    summary: str


class ParameterDeclaration(TypedDict):
    type: str
    min: NotRequired[int | Decimal]
    max: NotRequired[int | Decimal]
    allowed: NotRequired[list[object]]
    default: NotRequired[object]
    description: str


class LegalBasis(TypedDict):
    article: str
    url: str


class ClauseFile(TypedDict):
    id: str
    family: str
    title: str
    version: str
    valid_from: date
    valid_to: NotRequired[date]
    markets: list[str]
    legal_basis: list[LegalBasis]
    parameters: dict[str, ParameterDeclaration]
    text: str
    guidance: str


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    description: str
    min: int | Decimal | None = None
    max: int | Decimal | None = None
    allowed: tuple[object, ...] | None = None
    default: object = None
    has_default: bool = False

    def cerberus_rule(self) -> Schema:
        """The Cerberus rule a company's value for this parameter must pass."""
        kinds = {"integer": "integer", "number": ["integer", "decimal"], "string": "string",
                 "boolean": "boolean", "date": "date", "enum": "string"}
        rule: Schema = {"type": kinds[self.type], "required": not self.has_default}
        if self.type == "string" and not self.has_default:
            rule["empty"] = False  # a required text must say something; a default may be ""
        for key in ("min", "max"):
            if getattr(self, key) is not None:
                rule[key] = getattr(self, key)
        if self.type in ("integer", "number") and self.max is None:
            rule["max"] = NUMBER_CEILING
        if self.allowed is not None:
            rule["allowed"] = list(self.allowed)
        return rule


@dataclass
class Variant:
    id: str
    family: str
    name: str
    title: str
    version: str
    valid_from: date
    valid_to: date | None
    markets: tuple[str, ...]
    legal_basis: tuple[tuple[str, str], ...]  # ((article, url), ...)
    parameters: dict[str, Parameter]
    text: str
    guidance: str
    source: Source
    sha256: str

    def defaults(self) -> dict[str, object]:
        return {p.name: p.default for p in self.parameters.values() if p.has_default}

    def text_line(self) -> int:
        """Line of the first line of `text` in the file (block scalars start one line below)."""
        line, _ = self.source.where(("text",))
        return line + 1 if self.text.count("\n") > 1 else line


@dataclass
class Family:
    name: str
    title: str
    order: int
    markets: tuple[str, ...]
    required: tuple[str, ...]
    default: dict[str, str]  # market → variant name
    prominent: bool
    summary: str
    source: Source
    variants: dict[str, Variant] = field(default_factory=dict)


@dataclass
class Library:
    root: Path
    families: dict[str, Family]

    def ordered(self) -> list[Family]:
        return sorted(self.families.values(), key=lambda f: (f.order, f.name))

    def variant(self, family: str, name: str) -> Variant | None:
        fam = self.families.get(family)
        return fam.variants.get(name) if fam else None

    def all_variants(self) -> list[Variant]:
        return [v for f in self.ordered() for v in sorted(f.variants.values(), key=lambda v: v.name)]


def load_library(root: Path) -> Library:
    """Load and check every family and variant under clauses/; all problems at once."""
    problems = Problems()
    families: dict[str, Family] = {}
    clause_dir = root / "clauses"
    for folder in sorted(p for p in clause_dir.iterdir() if p.is_dir()) if clause_dir.is_dir() else []:
        family = _load_family(folder, root, problems)
        if family is None:
            continue
        broken: set[str] = set()  # variants that exist but failed: their own errors say why
        for path in sorted(folder.glob("*.yaml")):
            if path.name != "_family.yaml":
                variant = _load_variant(path, root, family, problems)
                if variant is not None:
                    family.variants[variant.name] = variant
                else:
                    broken.add(path.stem)
        _check_defaults(family, problems, broken)
        families[family.name] = family
    problems.raise_if_errors()
    return Library(root, families)


def _load(path: Path, root: Path, schema: str, problems: Problems) -> Source | None:
    """The file's Source if it loads and passes its schema; otherwise None, problems collected."""
    try:
        source = load_file(path, root)
    except KitError as exc:
        problems.extend(exc.problems)
        return None
    found = validate(source, schema_file(root, schema))
    problems.extend(found)
    return None if found else source


def _load_family(folder: Path, root: Path, problems: Problems) -> Family | None:
    path = folder / "_family.yaml"
    if not path.exists():
        rel = path.relative_to(root)
        problems.add(Problem(str(rel), 1, 1, "", "fichier de famille manquant : chaque dossier de "
                             "clauses doit contenir un _family.yaml", "family-missing"))
        return None
    source = _load(path, root, "family", problems)
    if source is None:
        return None
    data = cast(FamilyFile, source.data)  # it passed schemas/family.yaml
    if data["family"] != folder.name:
        problems.add(source.problem(("family",), f"« {data['family']} » ne correspond pas au dossier "
                                    f"« {folder.name} »", "family-name"))
    for market in data["required"]:
        if market not in data["markets"]:
            problems.add(source.problem(("required",), f"le marché {market} est exigé mais absent de "
                                        "`markets`", "family-markets"))
    return Family(folder.name, data["title"], data["order"], tuple(data["markets"]),
                  tuple(data["required"]), dict(data["default"]), data.get("prominent", False),
                  data["summary"], source)


def _load_variant(path: Path, root: Path, family: Family, problems: Problems) -> Variant | None:
    source = _load(path, root, "clause", problems)
    if source is None:
        return None
    data = cast(ClauseFile, source.data)  # it passed schemas/clause.yaml
    expected = f"{family.name}/{path.stem}"
    if data["id"] != expected:
        problems.add(source.problem(("id",), f"l’identifiant doit être « {expected} » "
                                    "(dossier/nom du fichier)", "clause-id"))
    if data["family"] != family.name:
        problems.add(source.problem(("family",), f"la famille doit être « {family.name} »", "clause-family"))
    for i, market in enumerate(data["markets"]):
        if market not in family.markets:
            problems.add(source.problem(("markets", i), f"le marché {market} n’est pas ouvert pour la "
                                        f"famille {family.name}", "clause-markets"))
    if data.get("valid_to") and data["valid_to"] < data["valid_from"]:
        problems.add(source.problem(("valid_to",), "la date de fin précède la date de début", "clause-dates"))
    parameters = {name: _parameter(source, name, decl, problems)
                  for name, decl in data["parameters"].items()}
    _check_text(source, data["text"], set(parameters), problems, _text_indent(path, source))
    return Variant(
        id=data["id"], family=family.name, name=path.stem, title=data["title"],
        version=data["version"], valid_from=data["valid_from"], valid_to=data.get("valid_to"),
        markets=tuple(data["markets"]),
        legal_basis=tuple((b["article"], b["url"]) for b in data["legal_basis"]),
        parameters=parameters, text=data["text"], guidance=data["guidance"], source=source,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def _parameter(source: Source, name: str, decl: ParameterDeclaration, problems: Problems) -> Parameter:
    where = ("parameters", name)
    kind = decl["type"]
    allowed = decl.get("allowed")
    if kind == "enum" and not allowed:
        problems.add(source.problem(where + ("type",), "un paramètre enum doit lister ses valeurs "
                                    "dans `allowed`", "parameter-declaration"))
    if kind != "enum" and allowed is not None and kind != "string":
        problems.add(source.problem(where + ("allowed",), "`allowed` n’a de sens que pour enum ou string",
                                    "parameter-declaration"))
    for bound in ("min", "max"):
        if bound in decl and kind not in ("integer", "number"):
            problems.add(source.problem(where + (bound,), f"`{bound}` n’a de sens que pour un nombre",
                                        "parameter-declaration"))
    if "min" in decl and "max" in decl and decl["min"] > decl["max"]:
        problems.add(source.problem(where + ("max",), "le maximum est inférieur au minimum",
                                    "parameter-declaration"))
    param = Parameter(name, kind, decl["description"], decl.get("min"), decl.get("max"),
                      tuple(allowed) if allowed else None, decl.get("default"), "default" in decl)
    if param.has_default:
        # The default must itself pass the rule the company's values will face.
        for error in schema_errors({"v": param.cerberus_rule()}, {"v": param.default}):
            problems.add(source.problem(where + ("default",), "valeur par défaut invalide : "
                                        + french_message(error), "parameter-default"))
    return param


def _text_indent(path: Path, source: Source) -> int:
    """Columns before the text on its first line in the file (a block scalar's indentation)."""
    line, column = source.where(("text",))
    lines = path.read_text(encoding="utf-8").splitlines()
    if line < len(lines) and lines[line - 1].rstrip().endswith(("|", ">", "|-", ">-", "|+", ">+")):
        following = lines[line]
        return len(following) - len(following.lstrip(" "))
    return column - 1


def _check_text(source: Source, text: str, params: Set[str], problems: Problems, indent: int = 0) -> None:
    """The text must compile, use only what a clause text may use (see core/templating.py), and
    name only its parameters and the documented globals."""
    line, _ = source.where(("text",))
    first = line + 1 if text.count("\n") > 1 else line
    try:
        tree, forbidden, names = _analysed(text)
    except TemplateSyntaxError as exc:
        problems.add(syntax_problem(source, text, first, exc, indent))
        return
    except (RecursionError, ValueError) as exc:  # nesting too deep, a number too long to read
        why = "expressions imbriquées trop profondément" if isinstance(exc, RecursionError) else \
            "nombre trop long (plus de 4 300 chiffres)"
        problems.add(Problem(source.file, first, 1, "text", typography(f"texte de clause illisible : {why}"),
                             "clause-text-syntax"))
        return
    for lineno, message in forbidden:
        problems.add(Problem(source.file, first + lineno - 1, 1, "text", message, "clause-text-forbidden"))
    problems.extend(name_problems(source, text, first, indent, tree))
    for name in sorted(names - params - TEXT_GLOBALS):
        problems.add(source.problem(("text",), f"le texte utilise « {name} », qui n’est ni un paramètre "
                                    "déclaré ni une donnée de l’entreprise", "clause-text-unknown-name"))


def _check_defaults(family: Family, problems: Problems, broken: Set[str] = frozenset()) -> None:
    for market, name in family.default.items():
        variant = family.variants.get(name)
        if variant is None and name in broken:
            continue  # not a second, false error in the family file
        if variant is None:
            problems.add(family.source.problem(("default", market), f"la variante par défaut « {name} » "
                                               "n’existe pas dans ce dossier", "family-default"))
        elif market not in variant.markets:
            problems.add(family.source.problem(("default", market), f"la variante « {name} » n’est pas "
                                               f"prévue pour le marché {market}", "family-default"))
    for market in family.markets:
        if market not in family.default:
            problems.add(family.source.problem(("default",), f"aucune variante par défaut pour le "
                                               f"marché {market}", "family-default"))


@by_text()
def _analysed(text: str) -> tuple[nodes.Template, tuple[tuple[int, str], ...], frozenset[str]]:
    """A clause text's syntax tree, forbidden constructs and free names, worked out once per text:
    parsing and compiling cost more than the rest of loading a clause, and `serve` reloads the
    library on every edit. A text that does not parse raises (and is not kept)."""
    tree = CLAUSE_ENV.parse(text)
    forbidden = tuple(forbidden_constructs(tree))
    names = frozenset() if forbidden else frozenset(meta.find_undeclared_variables(tree))  # compiles: needs known filters
    return tree, forbidden, names

