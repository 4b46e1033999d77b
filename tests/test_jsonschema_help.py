"""Editor help in the JSON Schemas: French descriptions everywhere, enum values listed, defaults as YAML."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import copy_project, run_main

NBSP = "\u00a0"
FRENCH_WORDS = {"le", "la", "les", "de", "des", "du", "un", "une", "et", "ou", "pour", "par", "en", "au",
                "valeur", "nombre", "nombres", "exemple", "seulement", "jours", "texte"}
PYTHON_REPR = re.compile(r"Decimal\(|datetime|\bTrue\b|\bFalse\b|\bNone\b")
ANNOTATIONS = {"$schema", "title", "description", "markdownDescription", "enumDescriptions", "default"}
KEYWORDS = ANNOTATIONS | {"type", "properties", "additionalProperties", "required", "items", "enum",
                          "minimum", "maximum", "pattern", "minLength", "maxLength", "minItems", "maxItems", "anyOf", "oneOf",
                          "propertyNames"}
JSON_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def generate(project: Path) -> dict:
    result = run_main(project, "schema", "-o", "out")
    assert result.returncode == 0, result.stderr
    return {path.name.split(".")[0]: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((project / "out").glob("*.schema.json"))}


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    """One project copy for the tests that only read: the schemas are generated once."""
    return copy_project(tmp_path_factory.mktemp("schema") / "project")


@pytest.fixture(scope="module")
def schemas(shared) -> dict:
    return generate(shared)


def nodes(schema, where="#"):
    """Every sub-schema with its JSON pointer-like location."""
    yield where, schema
    for key, sub in schema.get("properties", {}).items():
        yield from nodes(sub, f"{where}/properties/{key}")
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(schema.get(key), dict):
            yield from nodes(schema[key], f"{where}/{key}")
    for i, sub in enumerate(schema.get("anyOf", [])):
        yield from nodes(sub, f"{where}/anyOf/{i}")


def properties(schema):
    for where, node in nodes(schema):
        for key, sub in node.get("properties", {}).items():
            yield f"{where}/{key}", sub


def is_french(text: str) -> bool:
    """Accents, French typography (a no-break space before a colon) or two French words."""
    return bool(re.search(r"[àâçéèêëîïôûùüÿœ«»’]|\u00a0[:;!?»]", text, re.IGNORECASE)) or len(
        FRENCH_WORDS & set(re.findall(r"\w+", text.lower()))) >= 2


def test_the_five_schemas_are_written(schemas):
    assert set(schemas) == {"clause", "family", "company", "ladder", "rates"}


def test_every_property_has_a_french_description(schemas):
    seen = 0
    for name, schema in schemas.items():
        assert is_french(schema["description"]), name
        for where, prop in properties(schema):
            seen += 1
            text = prop.get("description", "")
            assert text.strip(), f"{name}{where}: no description"
            assert is_french(text), f"{name}{where}: not French: {text!r}"
            assert prop.get("markdownDescription") == text, f"{name}{where}"
    assert seen > 120  # company, clause, family, ladder, rates fields and every clause parameter


def test_the_french_test_tells_english_from_french():
    assert not is_french("Payment term in days")
    assert is_french("Délai de paiement")
    assert is_french("Nom de la famille")


def test_enum_values_are_listed_in_the_help(schemas):
    checked = 0
    for name, schema in schemas.items():
        for where, node in nodes(schema):
            if "enum" not in node:
                continue
            # Property names are listed in the help of the object they name.
            text = (node if not where.endswith("/propertyNames") else
                    dict(nodes(schema))[where.rsplit("/", 1)[0]])["description"]
            for value in node["enum"]:
                assert f"`{value}`" in text, f"{name}{where}: {value} not listed"
            checked += 1
    assert checked > 20
    # A list of enum values lists them at the list too, where the editor shows its hover.
    markets = schemas["clause"]["properties"]["markets"]
    assert "`b2b`" in markets["description"] and "`b2c`" in markets["description"]
    channel = schemas["ladder"]["properties"]["stages"]["items"]["properties"]["channel"]
    assert channel["enum"] == ["sms", "email", "phone", "letter", "registered_letter"]
    assert len(channel["enumDescriptions"]) == 5 and all(channel["enumDescriptions"])
    assert "recommandée" in channel["enumDescriptions"][4]


def test_no_python_repr_in_defaults_or_help(schemas):
    for name, schema in schemas.items():
        for where, node in nodes(schema):
            for key in ("description", "markdownDescription"):
                assert not PYTHON_REPR.search(node.get(key, "")), f"{name}{where}: {node[key]!r}"
            if "default" in node:
                assert not PYTHON_REPR.search(json.dumps(node["default"])), f"{name}{where}"


def family(schemas, name):
    return schemas["company"]["properties"]["clauses"]["properties"][name]


def test_a_parameter_shows_its_default_bounds_and_variants(schemas):
    days = family(schemas, "payment_term")["properties"]["days"]
    assert days["default"] == 30 and type(days["default"]) is int
    assert f"Par défaut{NBSP}: `30`" in days["description"]
    assert "Entre `0` et `120`" in days["description"]
    assert (days["minimum"], days["maximum"]) == (0, 120)  # transport's 30 days is the law's rule, with its article
    assert "Délai de paiement en jours" in days["description"]
    assert "`standard`" in days["description"] and "`transport`" in days["description"]
    end_of_month = family(schemas, "payment_term")["properties"]["end_of_month"]
    assert end_of_month["default"] is False
    assert "Par défaut\u00a0: `false`" in end_of_month["description"]
    method = family(schemas, "payment_term")["properties"]["eom_method"]
    assert method["enum"] == ["fin_de_mois_apres", "apres_fin_de_mois"]
    assert "Valeurs possibles" in method["description"]
    court = family(schemas, "jurisdiction")["properties"]["court"]
    assert "default" not in court and "Obligatoire" in court["description"]
    # A text default that YAML would read otherwise is shown quoted, as it must be typed.
    address = family(schemas, "mediation")["properties"]["address"]
    assert address["default"] == " " and 'Par défaut\u00a0: `" "`' in address["description"]


def test_variant_key_lists_the_variants_with_their_titles(schemas):
    variant = family(schemas, "late_penalties")["properties"]["variant"]
    assert variant["enum"] == ["consumer", "ecb_plus_10", "fixed_rate", "three_times_legal"]
    assert "`fixed_rate`" in variant["description"]
    assert "Pénalités à taux fixe et indemnité forfaitaire" in variant["description"]
    assert "`ecb_plus_10` en b2b, `consumer` en b2c" in variant["description"]
    assert len(variant["enumDescriptions"]) == 4
    penalties = family(schemas, "late_penalties")
    assert "Retard de paiement" in penalties["description"]
    assert "L441-10" in penalties["properties"]["rate"]["description"]


def test_company_top_level_keys_and_ladder_have_help(schemas):
    company = schemas["company"]
    for key in ("company", "market", "effective_date", "clauses", "letters"):
        assert is_french(company["properties"][key]["description"]), key
    assert "`b2b`" in company["properties"]["market"]["description"]
    ladder = company["properties"]["letters"]["properties"]["ladder"]
    assert ladder["required"] == ["stages"]  # a company's ladder may leave `documents` to the project's
    assert "offset_days" in ladder["properties"]["stages"]["items"]["properties"]
    assert family(schemas, "payment_term")["properties"]["variant"]["description"]


def write_variant(project: Path) -> None:
    (project / "clauses" / "force_majeure" / "typed.yaml").write_text("""\
id: force_majeure/typed
family: force_majeure
title: Variante d’essai aux paramètres typés
version: 1.0.0
valid_from: 2016-10-01
markets: [b2b, b2c]
legal_basis:
  - article: Code civil, art. 1218
    url: https://www.legifrance.gouv.fr/codes/texte_lc/LEGITEXT000006070721/
parameters:
  rate:
    type: number
    min: 0.5
    max: 99.5
    default: 12.5
    description: Taux d’essai en pour cent.
  start:
    type: date
    default: 2026-01-01
    description: Date d’essai.
  notice:
    type: boolean
    default: true
    description: Avis préalable exigé.
  label:
    type: string
    default: "30"
    description: Un texte qui ressemble à un nombre.
text: |
  Le taux est de {{ rate }} % à partir du {{ start }}{% if notice %}, après avis{% endif %} ({{ label }}).
guidance: |
  Variante d’essai.
""", encoding="utf-8")


def test_decimal_date_boolean_and_numeric_text_defaults_are_shown_as_yaml(project):
    write_variant(project)
    props = family(generate(project), "force_majeure")["properties"]
    assert props["rate"]["default"] == 12.5 and f"Par défaut{NBSP}: `12.5`" in props["rate"]["description"]
    assert "Entre `0.5` et `99.5`" in props["rate"]["description"]
    assert props["start"]["default"] == "2026-01-01"
    assert f"Par défaut{NBSP}: `2026-01-01`" in props["start"]["description"]
    assert props["notice"]["default"] is True and f"Par défaut{NBSP}: `true`" in props["notice"]["description"]
    assert props["label"]["default"] == "30" and f'Par défaut{NBSP}: `"30"`' in props["label"]["description"]
    for prop in props.values():
        assert not PYTHON_REPR.search(json.dumps(prop, ensure_ascii=False))


# A structural check of the output as JSON Schema (draft 07), and a small validator for the
# keywords the kit emits: no JSON Schema package is a dependency of the kit.

def check_structure(schema: dict, where: str) -> None:
    assert isinstance(schema, dict), where
    assert set(schema) <= KEYWORDS, f"{where}: {set(schema) - KEYWORDS}"
    kinds = schema.get("type", [])
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        assert kind in JSON_TYPES, where
    if "required" in schema:
        assert set(schema["required"]) <= set(schema.get("properties", {})), where
    if "enum" in schema:
        assert schema["enum"] and len(schema["enum"]) == len({json.dumps(v) for v in schema["enum"]}), where
    if "enumDescriptions" in schema:
        assert len(schema["enumDescriptions"]) == len(schema["enum"]), where
    if "pattern" in schema:
        re.compile(schema["pattern"])
    if "minimum" in schema and "maximum" in schema:
        assert schema["minimum"] <= schema["maximum"], where
    if "default" in schema:
        assert not errors(schema["default"], schema), f"{where}: default {schema['default']!r} fails its schema"


def errors(value, schema: dict) -> list[str]:
    """Why `value` fails `schema` (the keywords above only)."""
    if "anyOf" in schema and all(errors(value, sub) for sub in schema["anyOf"]):
        return [f"{value!r} matches no option"]
    if "oneOf" in schema and sum(not errors(value, sub) for sub in schema["oneOf"]) != 1:
        return [f"{value!r} matches not exactly one option"]
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        checks = {"object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
                  "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
                  "null": lambda v: v is None,
                  "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
                  "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)}
        if not any(checks[k](value) for k in kinds):
            return [f"{value!r} is not {kinds}"]
    found = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{value!r} not in {schema['enum']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            found.append(f"{value!r} out of bounds")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{value!r} does not match {schema['pattern']}")
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            found.append("too short or too long")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            found.append("too few or too many items")
        found += [e for item in value for e in errors(item, schema.get("items", {}))]
    if isinstance(value, dict):
        props = schema.get("properties", {})
        found += [f"missing {key}" for key in schema.get("required", []) if key not in value]
        for key, item in value.items():
            if "propertyNames" in schema:
                found += errors(key, {"type": "string", **schema["propertyNames"]})
            if key in props:
                found += [f"{key}: {e}" for e in errors(item, props[key])]
            elif schema.get("additionalProperties") is False:
                found.append(f"unknown {key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                found += [f"{key}: {e}" for e in errors(item, schema["additionalProperties"])]
    return found


def as_editor_sees(value):
    """YAML as the editor reads it (YAML 1.2: a date is a string)."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): as_editor_sees(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editor_sees(v) for v in value]
    return value


def test_output_is_structurally_valid_json_schema(schemas):
    for name, schema in schemas.items():
        assert schema["$schema"] == "https://json-schema.org/draft-07/schema#"
        for where, node in nodes(schema):
            check_structure(node, f"{name}{where}")


@pytest.mark.parametrize("kind, pattern", [
    ("company", "companies/*.yaml"), ("clause", "clauses/*/[!_]*.yaml"), ("family", "clauses/*/_family.yaml"),
    ("ladder", "ladder/*.yaml"), ("rates", "data/rates.yaml")])
def test_the_project_files_pass_their_editor_schema(shared, schemas, kind, pattern):
    files = sorted(shared.glob(pattern))
    assert files
    for path in files:
        data = as_editor_sees(yaml.safe_load(path.read_text(encoding="utf-8")))
        assert errors(data, schemas[kind]) == [], path.relative_to(shared)


def test_the_validator_above_can_fail(schemas):
    company = as_editor_sees(yaml.safe_load((Path(__file__).parent.parent / "companies" /
                                             "atelier-lyonnais.yaml").read_text(encoding="utf-8")))
    company["clauses"]["payment_term"]["days"] = 500
    company["market"] = "b2x"
    found = errors(company, schemas["company"])
    assert any("days" in e for e in found) and any("b2x" in e for e in found)
