"""JSON Schema for editors (yaml-language-server), derived from the Cerberus schemas and the library.

The schemas give completion and inline errors while a lawyer types; the kit's own validation
(with the rules of law) stays the reference.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from cgvkit.sources.schemas import schema_file

_TYPES = {"string": {"type": "string"}, "integer": {"type": "integer"}, "decimal": {"type": "number"},
          "number": {"type": "number"}, "boolean": {"type": "boolean"},
          "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
          "dict": {"type": "object"}, "list": {"type": "array"}}


def _plain(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def field_schema(rule: dict) -> dict:
    """One Cerberus field rule as JSON Schema."""
    kinds = rule.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    options = [dict(_TYPES[k]) for k in kinds if k in _TYPES]
    out: dict = options[0] if len(options) == 1 else ({"anyOf": options} if options else {})
    if "allowed" in rule:
        out["enum"] = [_plain(v) for v in rule["allowed"]]
    if "min" in rule:
        out["minimum"] = _plain(rule["min"])
    if "max" in rule:
        out["maximum"] = _plain(rule["max"])
    if "regex" in rule:
        out["pattern"] = rule["regex"]
    if rule.get("empty") is False:
        out["minLength"] = 1
    if "minlength" in rule:
        out["minItems" if "array" in json.dumps(out) else "minLength"] = rule["minlength"]
    if "schema" in rule:
        inner = rule["schema"]
        if "type" in inner and isinstance(inner.get("type"), (str, list)) and not isinstance(inner.get("type"), dict):
            out["items"] = field_schema(inner)
        else:
            out.update(object_schema(inner))
    if "keysrules" in rule and "regex" in rule["keysrules"]:
        out["propertyNames"] = {"pattern": rule["keysrules"]["regex"]}
    if "valuesrules" in rule:
        out["additionalProperties"] = field_schema(rule["valuesrules"])
    return out


def object_schema(schema: dict) -> dict:
    return {"type": "object", "additionalProperties": False,
            "properties": {key: field_schema(rule) for key, rule in schema.items()},
            "required": sorted(k for k, r in schema.items() if r.get("required"))}


def company_schema(project) -> dict:
    """The company schema, with each family's variants and parameters spelled out."""
    schema = object_schema(schema_file(project.root, "company"))
    families = {}
    for family in project.library.ordered():
        props = {"variant": {"enum": sorted(family.variants),
                             "description": f"Variante de la clause (défaut : {family.default})"}}
        for variant in family.variants.values():
            for param in variant.parameters.values():
                entry = field_schema(param.cerberus_rule())
                entry["description"] = f"{param.description} ({variant.id})"
                props.setdefault(param.name, entry)
        if family.name == "late_penalties":
            props["rate"] = {"description": "Raccourci : ecb+10, 3x-legal ou un taux en % l’an",
                             "anyOf": [{"type": "string"}, {"type": "number"}]}
        families[family.name] = {"type": ["object", "null"], "description": f"{family.title} — {family.summary}",
                                 "properties": props, "additionalProperties": False}
    schema["properties"]["clauses"] = {"type": "object", "properties": families, "additionalProperties": False}
    return schema


def write_schemas(project, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    schemas = {
        "clause": object_schema(schema_file(project.root, "clause")),
        "family": object_schema(schema_file(project.root, "family")),
        "company": company_schema(project),
        "rates": object_schema(schema_file(project.root, "rates")),
    }
    written = []
    for name, body in schemas.items():
        body = {"$schema": "https://json-schema.org/draft-07/schema#", "title": name, **body}
        path = folder / f"{name}.schema.json"
        path.write_text(json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
