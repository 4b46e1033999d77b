"""argparse in French: usage lines, section titles, help and error messages (exit 2)."""

from __future__ import annotations

import argparse
import re
import sys

from cgvkit.core.french import typography

_MESSAGES = (
    (re.compile(r"^the following arguments are required: (.+)$"), "argument(s) obligatoire(s) manquant(s) : {0}"),
    (re.compile(r"^one of the arguments (.+) is required$"), "l’un de ces arguments est obligatoire : {0}"),
    (re.compile(r"^unrecognized arguments: (.+)$"), "argument(s) inconnu(s) : {0}"),
    (re.compile(r"^argument (.+?): invalid choice: (.+?) \(choose from (.+)\)$"),
     "argument {0} : choix invalide {1} (choix possibles : {2})"),
    (re.compile(r"^argument (.+?): expected one argument$"), "argument {0} : une valeur est attendue"),
    (re.compile(r"^argument (.+?): expected (.+)$"), "argument {0} : valeurs attendues ({1})"),
    (re.compile(r"^argument (.+?): invalid (?:\S+) value: (.+)$"), "argument {0} : valeur invalide {1}"),
    (re.compile(r"^argument (.+?): not allowed with argument (.+)$"), "argument {0} : incompatible avec {1}"),
    (re.compile(r"^argument (.+?): ignored explicit argument (.+)$"), "argument {0} : valeur inattendue {1}"),
    (re.compile(r"^ambiguous option: (.+?) could match (.+)$"), "option ambiguë {0} : {1} ?"),
    (re.compile(r"^argument (.+?): (.+)$"), "argument {0} : {1}"),
)


def french_error(message: str) -> str:
    for pattern, text in _MESSAGES:
        found = pattern.match(message)
        if found:
            return typography(_quoted(text.format(*found.groups())))
    return typography(_quoted(message))


def _quoted(text: str) -> str:
    """argparse quotes values as Python does ('frob'); French uses « frob »."""
    return re.sub(r"'([^']*)'", "« \\1 »", text)


class FrenchParser(argparse.ArgumentParser):
    """An ArgumentParser whose every line a user reads is French; sub-parsers inherit it."""

    def __init__(self, *args, add_help: bool = True, **kwargs):
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "arguments\u00a0"  # argparse adds the colon: « arguments : »
        self._optionals.title = "options\u00a0"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="affiche cette aide et s’arrête")

    def format_usage(self) -> str:
        return super().format_usage().replace("usage: ", "usage : ", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage: ", "usage : ", 1)

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, typography(f"{self.prog} : erreur : ") + f"{french_error(message)}\n")
