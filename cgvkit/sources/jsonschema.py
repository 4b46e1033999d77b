"""JSON Schema for editors (yaml-language-server), derived from the Cerberus schemas and the library.

The schemas give completion, inline errors and French help on hover while a lawyer types; the
kit's own validation (with the rules of law) stays the reference. Help comes from each Cerberus
rule's `meta` (`description`, and `values`: a gloss per permitted value), which Cerberus ignores,
and for a company's clause entries from each variant's declared parameters. Values in the help and
in `default` are shown as they are typed in YAML (`true`, `30`, `12.5`, `2026-01-01`), never as Python.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import yaml

from cgvkit.core.french import typography
from cgvkit.sources.schemas import Schema, schema_file

# A JSON Schema (draft 7) as built here: JSON values by key, read back by key (company_schema). No static
# type describes such a tree better.
JsonSchema = dict[str, Any]


# What this module reads of the clause library and the project (model/ builds them; sources/ sees only
# these shapes).
class Parameter(Protocol):
    """A parameter a clause variant declares."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def min(self) -> object: ...
    @property
    def max(self) -> object: ...
    @property
    def allowed(self) -> Sequence[object] | None: ...
    @property
    def default(self) -> object: ...
    @property
    def has_default(self) -> bool: ...
    def cerberus_rule(self) -> Schema: ...


class Variant(Protocol):
    """A clause variant."""

    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def markets(self) -> Sequence[str]: ...
    @property
    def parameters(self) -> Mapping[str, Parameter]: ...


class Family(Protocol):
    """A clause family and its variants by name."""

    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def markets(self) -> Sequence[str]: ...
    @property
    def required(self) -> Sequence[str]: ...
    @property
    def default(self) -> Mapping[str, str]: ...
    @property
    def variants(self) -> Mapping[str, Variant]: ...


class Library(Protocol):
    def ordered(self) -> Iterable[Family]: ...


class Project(Protocol):
    @property
    def root(self) -> Path: ...
    @property
    def library(self) -> Library: ...


_TYPES = {"string": {"type": "string"}, "integer": {"type": "integer"}, "decimal": {"type": "number"},
          "number": {"type": "number"}, "boolean": {"type": "boolean"},
          "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
          "dict": {"type": "object"}, "list": {"type": "array"}}

# What a value of each declared parameter type is, in the help of a company's clause entry.
_PARAMETER_KINDS = {"integer": "nombre entier", "number": "nombre (décimales permises, point décimal)",
                    "string": "texte", "boolean": "`true` ou `false`", "date": "date AAAA-MM-JJ",
                    "enum": "une valeur de la liste"}


def _plain(value: object) -> object:
    """A value as JSON holds it: Decimal as a number, a date as its ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def as_yaml(value: object) -> str:
    """A value as a person types it in a YAML file (`true`, `30`, `12.5`, `2026-01-01`, `Lyon`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(as_yaml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {as_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        try:
            plain = value == value.strip() and "\n" not in value and yaml.safe_load(value) == value
        except yaml.YAMLError:
            plain = False
        return value if plain and value else json.dumps(value, ensure_ascii=False)
    return str(value)


def _code(value: object) -> str:
    return f"`{as_yaml(value)}`"


def _french(text: str) -> str:
    """French typography outside `code` spans (code is what the user types, left as is)."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(part if part.startswith("`") else typography(part) for part in parts)


def _values_listing(allowed: Iterable[object], glosses: Mapping[object, object] | None = None) -> str:
    glosses = glosses or {}
    lines = [f"- {_code(v)}" + (f" : {glosses[v]}" if v in glosses else "") for v in allowed]
    return "Valeurs possibles :\n" + "\n".join(lines)


def _bounds(low: object, high: object) -> str:
    if low is not None and high is not None:
        return f"Entre {_code(low)} et {_code(high)}."
    if low is not None:
        return f"Au moins {_code(low)}."
    return f"Au plus {_code(high)}." if high is not None else ""


def _describe(out: JsonSchema, text: str) -> JsonSchema:
    text = _french(text.strip())
    out["description"] = text
    out["markdownDescription"] = text
    return out


def _rule_help(rule: Schema) -> str:
    """The French help of one Cerberus rule: its meta description, values, bounds and default."""
    meta = rule.get("meta") or {}
    parts = [meta.get("description", "")]
    valued = rule if "allowed" in rule else rule.get("schema") if rule.get("type") == "list" else None
    if isinstance(valued, dict) and "allowed" in valued:
        glosses = (valued.get("meta") or {}).get("values")
        parts.append(_values_listing(valued["allowed"], glosses))
    parts.append(_bounds(rule.get("min"), rule.get("max")))
    if "default" in rule:
        parts.append(f"Par défaut : {_code(rule['default'])}.")
    return "\n\n".join(p for p in parts if p)


def field_schema(rule: Schema) -> JsonSchema:
    """One Cerberus field rule as JSON Schema, with its French help."""
    kinds = rule.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    options = [dict(_TYPES[k]) for k in kinds if k in _TYPES]
    if {"type": "number"} in options:  # a JSON number includes the integers
        options = [o for o in options if o != {"type": "integer"}]
    out: JsonSchema = options[0] if len(options) == 1 else ({"anyOf": options} if options else {})
    if "allowed" in rule:
        out["enum"] = [_plain(v) for v in rule["allowed"]]
        glosses = (rule.get("meta") or {}).get("values")
        if glosses:
            out["enumDescriptions"] = [_french(str(glosses.get(v, ""))) for v in rule["allowed"]]
    if "min" in rule:
        out["minimum"] = _plain(rule["min"])
    if "max" in rule:
        out["maximum"] = _plain(rule["max"])
    if "default" in rule:
        out["default"] = _plain(rule["default"])
    if "regex" in rule:
        out["pattern"] = rule["regex"]
    if rule.get("empty") is False:
        out["minLength"] = 1
    if "minlength" in rule:
        out["minItems" if "array" in json.dumps(out) else "minLength"] = rule["minlength"]
    if "maxlength" in rule:
        out["maxItems" if "array" in json.dumps(out) else "maxLength"] = rule["maxlength"]
    if "schema" in rule:
        inner = rule["schema"]
        if "type" in inner and isinstance(inner.get("type"), (str, list)) and not isinstance(inner.get("type"), dict):
            out["items"] = field_schema(inner)
        else:
            out.update(object_schema(inner))
    if "keysrules" in rule and "regex" in rule["keysrules"]:
        out["propertyNames"] = {"pattern": rule["keysrules"]["regex"]}
    if "keysrules" in rule and "allowed" in rule["keysrules"]:
        out["propertyNames"] = {"enum": [_plain(v) for v in rule["keysrules"]["allowed"]]}
    if "valuesrules" in rule:
        out["additionalProperties"] = field_schema(rule["valuesrules"])
    help_text = _rule_help(rule)
    keys = rule.get("keysrules") or {}
    if "allowed" in keys:
        listing = _values_listing(keys["allowed"], (keys.get("meta") or {}).get("values"))
        help_text += "\n\n" + listing.replace("Valeurs possibles", "Clés possibles", 1)
    elif (keys.get("meta") or {}).get("description"):
        help_text += "\n\n" + keys["meta"]["description"]
    return _describe(out, help_text) if help_text else out


def object_schema(schema: Schema) -> JsonSchema:
    out: JsonSchema = {"type": "object", "additionalProperties": False,
                       "properties": {key: field_schema(rule) for key, rule in schema.items()},
                       "required": sorted(k for k, r in schema.items() if r.get("required") and "excludes" not in r)}
    # `required` with `excludes` (Cerberus): exactly one of the two fields (`market` or `markets`)
    either = sorted(k for k, r in schema.items() if r.get("required") and isinstance(r.get("excludes"), str))
    if either:
        out["oneOf"] = [{"required": [k]} for k in either]
    return out


def _parameter_details(param: Parameter) -> str:
    """What a staff member needs besides the description: kind, values, bounds, default."""
    line = " ".join(p for p in (f"Type : {_PARAMETER_KINDS.get(param.type, param.type)}.",
                                _bounds(param.min, param.max),
                                f"Par défaut : {_code(param.default)}." if param.has_default
                                else "Obligatoire : pas de valeur par défaut.") if p)
    return f"{line}\n\n{_values_listing(param.allowed)}" if param.allowed else line


def _parameter_schema(uses: list[tuple[Variant, Parameter]]) -> JsonSchema:
    """The schema of one parameter name of a family, declared by one or more of its variants."""
    rules = []
    for _, param in uses:
        rule = {k: v for k, v in param.cerberus_rule().items() if k != "required"}
        if rule not in rules:
            rules.append(rule)
    shapes = [{k: v for k, v in field_schema(rule).items() if not k.endswith("escription")} for rule in rules]
    out: JsonSchema = shapes[0] if len(shapes) == 1 else {"anyOf": shapes}
    names = [variant.name for variant, _ in uses]
    texts = {variant.name: param.description for variant, param in uses}
    details = {variant.name: _parameter_details(param) for variant, param in uses}
    if len(set(texts.values())) == 1 and len(set(details.values())) == 1:
        listed = ", ".join(f"`{n}`" for n in names)
        text = f"{texts[names[0]]}\n\n{details[names[0]]}\n\nVariante{'s' if len(names) > 1 else ''} : {listed}."
    elif len(set(details.values())) == 1:
        text = ("Selon la variante :\n" + "\n".join(f"- `{n}` : {texts[n]}" for n in names)
                + f"\n\n{details[names[0]]}")
    else:
        text = "Selon la variante :\n\n" + "\n\n".join(f"**`{n}`** : {texts[n]}\n\n{details[n]}" for n in names)
    defaults = {json.dumps(_plain(p.default)) for _, p in uses if p.has_default}
    if len(defaults) == 1 and all(p.has_default for _, p in uses):
        out["default"] = _plain(uses[0][1].default)
    return _describe(out, text)


def _variant_schema(family: Family) -> JsonSchema:
    names = sorted(family.variants)
    out = {"type": "string", "enum": names,
           "enumDescriptions": [_french(f"{family.variants[n].title} ({', '.join(family.variants[n].markets)})")
                                for n in names]}
    listing = "\n".join(f"- `{n}` : {family.variants[n].title} ({', '.join(family.variants[n].markets)})"
                        for n in names)
    chosen = sorted(family.default.items())
    defaults = (f"`{chosen[0][1]}`" if len({v for _, v in chosen}) == 1
                else ", ".join(f"`{v}` en {m}" for m, v in chosen))
    text = (f"Variante de la clause « {family.title} ».\n\nVariantes :\n{listing}\n\n"
            f"Par défaut : {defaults}.")
    return _describe(out, text)


def _family_schema(family: Family) -> JsonSchema:
    uses: dict[str, list[tuple[Variant, Parameter]]] = {}
    for name in sorted(family.variants):
        variant = family.variants[name]
        for param in variant.parameters.values():
            uses.setdefault(param.name, []).append((variant, param))
    props = {"variant": _variant_schema(family)}
    props.update({name: _parameter_schema(found) for name, found in uses.items()})
    if family.name == "late_penalties":
        props["rate"] = _describe({"anyOf": [{"type": "string"}, {"type": "number"}]}, (
            "Raccourci du taux des pénalités, à la place de `variant` : `ecb+10` (taux BCE + 10 points, "
            "variante `ecb_plus_10`), `3x-legal` (trois fois le taux d’intérêt légal, variante "
            "`three_times_legal`) ou un taux fixe en % l’an comme `12.5` (variante `fixed_rate`). "
            "Code de commerce, art. L441-10 II."))
    markets = ", ".join(family.markets)
    required = (f"Toujours présente en {', '.join(family.required)}, même sans entrée ici."
                if family.required else "Facultative : présente seulement si elle est nommée ici.")
    text = (f"« {family.title} » — {family.summary}\n\nMarchés : {markets}. {required} "
            "Écrire `{}` (ou rien) pour la variante par défaut et ses valeurs par défaut.")
    return _describe({"type": ["object", "null"], "properties": props, "additionalProperties": False}, text)


def company_schema(project: Project) -> JsonSchema:
    """The company schema, with each family's variants and parameters spelled out."""
    rules = schema_file(project.root, "company")
    schema = object_schema(rules)
    families = {family.name: _family_schema(family) for family in project.library.ordered()}
    clauses = {"type": "object", "properties": families, "additionalProperties": False}
    # With `markets: [b2b, b2c]`, one block of families per market (the family names never clash with them).
    glosses = rules["market"]["meta"]["values"]
    blocks = {market: _describe(dict(clauses), f"Avec « markets » : les clauses des CGV {glosses[market]}.")
              for market in rules["markets"]["schema"]["allowed"]}
    clauses = {**clauses, "properties": {**families, **blocks}}
    schema["properties"]["clauses"] = _describe(clauses, _rule_help(rules["clauses"]))
    letters = schema["properties"]["letters"]["properties"]
    ladder = object_schema(schema_file(project.root, "ladder"))
    ladder["required"] = [k for k in ladder["required"] if k != "documents"]  # the project's by default
    letters["ladder"] = {**letters["ladder"], **ladder}
    return schema


_FILES = {
    "clause": "Une variante de clause : clauses/<famille>/<variante>.yaml.",
    "family": "Une famille de clauses : clauses/<famille>/_family.yaml (titre de l’article, rang, "
              "marchés, variante par défaut).",
    "company": "Le profil d’une entreprise : companies/<nom>.yaml (identité, marché, clauses choisies, "
               "lettres de relance).",
    "ladder": "L’échéancier de relance : ladder/default.yaml (étapes et lettres à la demande).",
    "rates": "La table des taux semestriels : data/rates.yaml (taux BCE et taux de l’intérêt légal).",
}


def write_schemas(project: Project, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    schemas = {
        "clause": object_schema(schema_file(project.root, "clause")),
        "family": object_schema(schema_file(project.root, "family")),
        "company": company_schema(project),
        "ladder": object_schema(schema_file(project.root, "ladder")),
        "rates": object_schema(schema_file(project.root, "rates")),
    }
    written = []
    for name, body in schemas.items():
        body = _describe({"$schema": "https://json-schema.org/draft-07/schema#", "title": name, **body},
                         _FILES[name])
        path = folder / f"{name}.schema.json"
        path.write_text(json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
