"""What a clause text may name, checked on its syntax tree, and Jinja's messages said in French.

A lawyer who writes `{{ company.nom }}` or `{{ rate|pourcent }}` gets the line and column of the
mistake inside the clause text and the list of names or filters that exist; no message from Jinja
reaches the user in English.
"""

from __future__ import annotations

import re

from jinja2 import TemplateSyntaxError, nodes

from cgvkit.core.errors import Problem
from cgvkit.core.templating import CLAUSE_ENV
from cgvkit.sources.yamlsource import Source

IDENTITY = ("name", "legal_form", "capital", "siren", "rcs", "address", "email", "phone", "vat_number",
            "website", "iban", "bic", "logo")
ADDRESS = ("street", "postal_code", "city")
RATES = ("half_year", "start", "end", "ecb", "legal_individual", "legal_other", "source", "label_fr",
         "half_fr", "year")
ATTRIBUTES = {"company": IDENTITY, "rates": RATES}


def _where(text: str, lineno: int, needle: str, indent: int = 0) -> tuple[int, int]:
    """(line offset, column in the file) of `needle` on line `lineno` of the text."""
    lines = text.splitlines() or [""]
    line = lines[min(max(lineno, 1), len(lines)) - 1]
    column = line.find(needle)
    return lineno - 1, indent + (column + 1 if column >= 0 else 1)


def name_problems(source: Source, text: str, first_line: int, indent: int = 0,
                  tree: nodes.Template | None = None) -> list[Problem]:
    """Unknown attributes of `company`/`rates` and unknown filters, located inside the text
    (`tree`: the text already parsed)."""
    if tree is None:
        try:
            tree = CLAUSE_ENV.parse(text)
        except TemplateSyntaxError:
            return []  # reported as a syntax error by the caller
    problems = []
    for node in tree.find_all(nodes.Getattr):
        owner = node.node
        if isinstance(owner, nodes.Name) and owner.name in ATTRIBUTES and node.attr not in ATTRIBUTES[owner.name]:
            shown = f"{owner.name}.{node.attr}"
            offset, column = _where(text, node.lineno, shown, indent)
            known = ", ".join(ATTRIBUTES[owner.name])
            problems.append(Problem(source.file, first_line + offset, column, "text",
                                    f"nom inconnu `{shown}` : les noms disponibles sont {known}",
                                    "clause-text-unknown-name"))
        elif (isinstance(owner, nodes.Getattr) and isinstance(owner.node, nodes.Name)
              and owner.node.name == "company" and owner.attr == "address" and node.attr not in ADDRESS):
            shown = f"company.address.{node.attr}"
            offset, column = _where(text, node.lineno, shown, indent)
            problems.append(Problem(source.file, first_line + offset, column, "text",
                                    f"nom inconnu `{shown}` : les noms disponibles sont {', '.join(ADDRESS)}",
                                    "clause-text-unknown-name"))
    for filtered in tree.find_all(nodes.Filter):
        if filtered.name not in CLAUSE_ENV.filters:
            offset, column = _where(text, filtered.lineno, filtered.name, indent)
            problems.append(Problem(source.file, first_line + offset, column, "text",
                                    f"filtre inconnu `{filtered.name}` : les filtres disponibles sont "
                                    f"{', '.join(DOCUMENTED_FILTERS)}", "clause-text-unknown-filter"))
    return problems


def syntax_problem(source: Source, text: str, first_line: int, exc: TemplateSyntaxError, indent: int = 0) -> Problem:
    """A text that does not compile, located at the offending token when Jinja names it."""
    message = exc.message or ""
    unknown = re.search(r"No filter named '(.+?)'", message)
    token = re.search(r"'(.+?)'", message)
    offset, column = _where(text, exc.lineno or 1, unknown.group(1) if unknown else token.group(1) if token else "\0",
                            indent)
    if unknown:
        return Problem(source.file, first_line + offset, column, "text", f"filtre inconnu `{unknown.group(1)}` : les "
                       f"filtres disponibles sont {', '.join(DOCUMENTED_FILTERS)}", "clause-text-unknown-filter")
    return Problem(source.file, first_line + offset, column, "text", f"texte de clause invalide : {french(message)}",
                   "clause-text-syntax")


# The filters the README documents for lawyers: exactly those of the clause sandbox.
DOCUMENTED_FILTERS = tuple(sorted(CLAUSE_ENV.filters))

_SYNTAX = (
    (re.compile(r"unexpected '(.+)'"), "caractère inattendu « {0} »"),
    (re.compile(r"Unexpected end of template\. Jinja was looking for the following tags: (.+?)\."),
     "fin du texte atteinte sans fermer le bloc ouvert (attendu : {0})"),
    (re.compile(r"Encountered unknown tag '(.+?)'"), "instruction inconnue « {0} »"),
    (re.compile(r"expected token '(.+?)', got '(.+?)'"), "« {1} » trouvé là où « {0} » était attendu"),
    (re.compile(r"unexpected end of template"), "fin du texte inattendue : une accolade ou un bloc n’est pas fermé"),
    (re.compile(r"unexpected char '(.+?)'"), "caractère inattendu « {0} »"),
    (re.compile(r"No filter named '(.+?)'"), "filtre inconnu `{0}`"),
    (re.compile(r"No test named '(.+?)'"), "test inconnu `{0}`"),
)
_RUNTIME = (
    (re.compile(r"'(\w+)' is undefined"), "nom inconnu `{0}`"),
    (re.compile(r"'.+?' object has no attribute '(\w+)'"), "champ inconnu `{0}`"),
    (re.compile(r"has no attribute '(\w+)'"), "champ inconnu `{0}`"),
    (re.compile(r"unsafe|access to attribute", re.I), "opération interdite dans un texte de clause"),
    (re.compile(r"division by zero|divided by zero"), "division par zéro"),
    (re.compile(r"unsupported operand|can only concatenate|not supported between"),
     "opération impossible entre un nombre et un texte (vérifiez les filtres et les types)"),
)


def french(message: str, runtime: bool = False) -> str:
    """Jinja's English message said in French (never the English text itself)."""
    for pattern, french_text in _RUNTIME if runtime else _SYNTAX:
        found = pattern.search(message)
        if found:
            return french_text.format(*found.groups())
    if re.search(r"[àâçéèêëîïôûùüÿœ’«]", message):
        return message  # already French (the kit's own messages)
    return "syntaxe invalide à cet endroit" if not runtime else "le texte ne peut pas être calculé à cet endroit"
