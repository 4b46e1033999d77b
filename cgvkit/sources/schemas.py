"""Cerberus validation of YAML sources, with every error mapped back to its line.

Schemas live in schemas/*.yaml so lawyers and reviewers can read them; the same
declarations are exported as JSON Schema for editors (see jsonschema.py).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import cerberus
from cerberus import TypeDefinition
from cerberus.errors import ValidationError

from cgvkit.core.errors import Problem
from cgvkit.core.french import number
from cgvkit.core.memo import by_text
from cgvkit.sources.yamlsource import Path_, Source, load_file, load_text

# A Cerberus schema as read from schemas/*.yaml (or built from a clause's parameters): rules by field name,
# each a mapping of YAML values that Cerberus (no type stubs) and jsonschema.py read by key. No static
# type describes such a tree better.
Schema = dict[str, Any]

TYPE_NAMES = {
    "string": "un texte", "integer": "un nombre entier", "decimal": "un nombre",
    "boolean": "true ou false", "date": "une date AAAA-MM-JJ", "dict": "un bloc de clés",
    "list": "une liste", "number": "un nombre",
}


class KitValidator(cerberus.Validator):  # type: ignore[misc]  # cerberus has no type stubs
    """Validator knowing Decimal (our YAML reads floats as Decimal) and real dates only."""

    types_mapping = dict(cerberus.Validator.types_mapping)
    types_mapping["decimal"] = TypeDefinition("decimal", (Decimal, int), (bool,))
    types_mapping["date"] = TypeDefinition("date", (datetime.date,), (datetime.datetime,))

    def _error(self, *args: object) -> None:
        """Cerberus' bookkeeping of new errors, without its two sorts per error.

        Cerberus sorts its whole error list, and the errors at the schema tree's root (every
        unknown key lands there), after each error: 30 000 unknown keys took hours.
        `schema_errors` sorts once at the end; the trees keep the same errors.
        """
        if len(args) != 1:
            super()._error(*args)
            return None
        for error in cast("list[ValidationError]", args[0]):  # one argument: Cerberus' list of new errors
            self._errors.append(error)
            self.document_error_tree.add(error)
            if error.schema_path:
                self.schema_error_tree.add(error)
            else:
                self.schema_error_tree.errors.append(error)
            self.error_handler.emit(error)
        return None

    def _validate_decimals(self, places: int, field: str, value: object) -> None:
        """{'type': 'integer'}"""
        if isinstance(value, Decimal) and value.is_finite() and int(value.as_tuple().exponent) < -places:  # finite: an int
            self._error(field, DECIMALS, places)


DECIMALS = cerberus.errors.ErrorDefinition(0x4F, "decimals")  # a value error, like min and max (0x4_)


def schema_file(root: Path, name: str) -> Schema:
    """The Cerberus schema `schemas/<name>.yaml` of the project at `root` (shared: never change it)."""
    path = root / "schemas" / f"{name}.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return cast(Schema, load_file(path, root).data)  # raises the located French error
    return schema_from_text(text, f"schemas/{name}.yaml")


@by_text(maxsize=64)
def schema_from_text(text: str, file: str) -> Schema:
    """Each schema text parsed once per process, whichever project folder it is read from."""
    return cast(Schema, load_text(text, file).data)  # the kit's own schema files: each a block of keys



def validate(source: Source, schema: Schema, base: Path_ = (), document: object = None,
             rule_prefix: str = "schema") -> list[Problem]:
    """Validate `document` (default: the whole source) and return located problems."""
    document = source.data if document is None else document
    if not isinstance(document, dict):
        return [source.problem(base, "un bloc de clés est attendu ici", f"{rule_prefix}-type")]
    problems, either = [], set()
    for error in schema_errors(schema, document):
        path = base + tuple(error.document_path)
        message = french_message(error)
        other = _excluded_by(schema, error)
        if other is not None:  # `market` or `markets`: one missing field, said once
            if other in either:
                continue
            either.add(str(error.field))
            message = f"champ obligatoire « {error.field} » (ou « {other} ») manquant"
        problems.append(source.problem(path, message, f"{rule_prefix}-{rule_name(error)}"))
    return problems


def _excluded_by(schema: Schema, error: ValidationError) -> str | None:
    """The field that may stand in for a missing required top-level field (`excludes`), or None."""
    if error.rule != "required" or len(error.document_path) != 1:
        return None
    rule = schema.get(str(error.field))
    other = rule.get("excludes") if isinstance(rule, dict) else None
    return other if isinstance(other, str) else None


def schema_errors(schema: Schema, document: dict[str, object]) -> list[ValidationError]:
    """The leaf Cerberus errors of `document` against `schema` (empty when valid).

    The one place that reads Cerberus' error list: its public `errors` property gives only
    English strings, and we need each error's rule, constraint, value and path.
    """
    _iso_dates(schema, document)
    validator = _validator(schema)
    # No normalisation: the kit reads the document as written (defaults are applied by the code that
    # reads it), and Cerberus' normalisation copies and re-checks the schema at every level.
    if validator.validate(document, normalize=False):
        return []
    return list(_leaves(sorted(validator._errors)))


_VALIDATORS: dict[str, KitValidator] = {}


def _validator(schema: Schema) -> KitValidator:
    """One validator per schema content, reused: building one makes Cerberus check and hash the
    whole schema, which cost more than validating the document. Keyed by content (its repr), so a
    schema edited on disk gets a new validator and the same schema from another folder reuses it."""
    key = repr(schema)
    validator = _VALIDATORS.get(key)
    if validator is None:
        if len(_VALIDATORS) >= 512:  # parameter rules are small and many: bound the memory
            _VALIDATORS.clear()
        validator = _VALIDATORS[key] = KitValidator(schema)
    return validator


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_dates(schema: Schema, document: object) -> None:
    """A quoted ISO date (`effective_date: '2026-03-01'`) is a date: the schema says so.

    Converted in place where the schema expects a date; an impossible one stays text and is
    reported as such.
    """
    if not isinstance(document, dict) or not isinstance(schema, dict):
        return
    for key, rule in schema.items():
        if not isinstance(rule, dict) or key not in document:
            continue
        value = document[key]
        kinds = rule.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "date" in kinds and isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
            try:
                document[key] = datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass
        elif isinstance(value, dict) and isinstance(rule.get("schema"), dict):
            _iso_dates(rule["schema"], value)
        elif isinstance(value, list) and isinstance(rule.get("schema"), dict):
            for item in value:
                _iso_dates(rule["schema"].get("schema", {}), item)


def rule_name(error: ValidationError) -> str:
    if error.code == cerberus.errors.UNKNOWN_FIELD.code:
        return "unknown"
    rule: str | None = error.rule
    return rule or "invalid"


def _leaves(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    for error in errors:
        if error.is_group_error and error.child_errors:
            yield from _leaves(error.child_errors)
        else:
            yield error


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "ce bloc"
    return f"« {value} »"


def _figure(value: object) -> str:
    """A bound as French prose writes it (« 1 000 000 000 000 »), a date or text as is."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return number(value)
    return str(value)


def french_message(error: ValidationError) -> str:
    """A sentence a lawyer understands for one Cerberus error."""
    rule, constraint, value = error.rule, error.constraint, error.value
    field = error.field
    if error.code == cerberus.errors.UNKNOWN_FIELD.code:
        return f"champ inconnu « {field} » (vérifiez l’orthographe ou supprimez-le)"
    if rule == "required":
        return f"champ obligatoire « {field} » manquant"
    if rule == "type":
        kinds: list[str] = constraint if isinstance(constraint, list) else [constraint]
        wanted = " ou ".join(dict.fromkeys(TYPE_NAMES.get(k, k) for k in kinds))
        return f"{shown(value)} n’est pas {wanted}"
    if rule == "min":
        return f"{shown(value)} est inférieur au minimum {_figure(constraint)}"
    if rule == "max":
        return f"{shown(value)} dépasse le maximum {_figure(constraint)}"
    if rule == "decimals":
        return f"{shown(value)} a trop de décimales ({constraint} au plus)"
    if rule == "allowed":
        options = ", ".join(str(c) for c in constraint)
        return f"{shown(value)} n’est pas une valeur permise (valeurs possibles : {options})"
    if rule == "regex":
        return f"{shown(value)} n’a pas la forme attendue"
    if rule == "empty":
        return "ce champ ne peut pas être vide"
    if rule == "minlength":
        return f"il faut au moins {constraint} élément(s)"
    if rule == "maxlength":
        return f"trop long : {constraint} caractères ou éléments au plus"
    if rule == "nullable":
        return "une valeur est attendue ici"
    if rule == "excludes":
        return f"« {field} » et « {constraint} » s’excluent : gardez-en un seul"
    return f"valeur refusée ({rule})"
