"""French identity checks: each returns None when the value is valid, else a French message.

The checks catch typing mistakes (check digits, lengths); they do not prove that a company exists.
"""

from __future__ import annotations

import re
import unicodedata

from cgvkit.core.french import NBSP, NNBSP

_EMAIL = re.compile(r"(?!\.)(?!.*\.\.)[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+(?<!\.)"
                    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_PHONE = re.compile(r"(?:\+33|0033|0)[1-9]\d{8}", re.ASCII)
_BIC = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", re.ASCII)  # 15 to 34 characters in all
# Lengths of the IBANs a French company most often meets (ISO 13616 registry).
IBAN_LENGTHS = {"FR": 27, "MC": 27, "DE": 22, "BE": 16, "ES": 24, "IT": 27, "LU": 20, "CH": 21, "NL": 18,
                "PT": 25, "GB": 22, "IE": 22, "AT": 20}
LA_POSTE_SIREN = "356000000"  # La Poste's SIRET may use a digit sum divisible by 5 instead of Luhn


def _quoted(value: object) -> str:
    return f"«{NBSP}{value}{NBSP}»"


def _compact(value: object) -> str:
    return "".join(str(value).split())  # spaces of any kind (no-break, thin, tab) are only layout


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _digits_message(value: object, digits: int, label: str) -> str | None:
    if not re.fullmatch(rf"\d{{{digits}}}", _compact(value), re.ASCII):
        return f"le {label} {_quoted(value)} doit compter exactement {digits} chiffres"
    return None


def check_siren(value: object) -> str | None:
    siren = _compact(value)
    message = _digits_message(value, 9, "SIREN")
    if message is None and not luhn_ok(siren):
        message = f"le SIREN {siren} est invalide (clé de contrôle de Luhn incorrecte)"
    return message


def check_siret(value: object) -> str | None:
    siret = _compact(value)
    message = _digits_message(value, 14, "SIRET")
    if message is not None:
        return message
    valid = luhn_ok(siret) or (siret.startswith(LA_POSTE_SIREN) and sum(int(c) for c in siret) % 5 == 0)
    return None if valid else f"le SIRET {siret} est invalide (clé de contrôle incorrecte)"


def vat_key(siren: str | int) -> str:
    """The numeric key of a French VAT number: (12 + 3 × (SIREN mod 97)) mod 97, on 2 digits."""
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def check_vat_fr(value: object, siren: object = None) -> str | None:
    vat = _compact(value).upper()
    match = re.fullmatch(r"FR([0-9A-Z]{2})(\d{9})", vat, re.ASCII)
    if not match:
        return (f"le numéro de TVA {_quoted(value)} doit avoir la forme FR + 2 caractères de clé "
                "+ 9 chiffres du SIREN")
    key, number = match.groups()
    if siren is not None and number != _compact(siren):
        return f"le numéro de TVA {vat} ne reprend pas le SIREN {_compact(siren)}"
    if key.isdigit() and key != vat_key(number):
        return f"la clé du numéro de TVA {vat} est fausse (clé attendue{NBSP}: {vat_key(number)})"
    if siren is None and not luhn_ok(number):  # with a SIREN given, its own check reports it
        return f"le numéro de TVA {vat} contient un SIREN invalide ({number})"
    return None


def check_iban(value: object) -> str | None:
    iban = _compact(value).upper()
    if not _IBAN.fullmatch(iban):
        return (f"l’IBAN {_quoted(value)} n’a pas la forme attendue (code pays, 2 chiffres de clé, "
                f"numéro de compte{NNBSP}; 15 à 34 caractères)")
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected and len(iban) != expected:
        return f"un IBAN {iban[:2]} compte {expected} caractères (celui-ci en compte {len(iban)})"
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        return f"l’IBAN {_quoted(value)} est invalide (clé de contrôle incorrecte)"
    return None


def check_bic(value: object) -> str | None:
    if not _BIC.fullmatch(_compact(value).upper()):
        return (f"le BIC {_quoted(value)} n’a pas la forme attendue (8 ou 11 caractères{NBSP}: banque, "
                "pays, lieu, agence facultative)")
    return None


def check_postal_code_fr(value: object) -> str | None:
    code = str(value).strip()
    if not re.fullmatch(r"\d{5}", code, re.ASCII) or not "01000" <= code <= "98999":
        return f"le code postal {_quoted(value)} doit compter 5 chiffres, entre 01000 et 98999"
    return None


def check_email(value: object) -> str | None:
    if not _EMAIL.fullmatch(str(value).strip()):
        return f"l’adresse électronique {_quoted(value)} est invalide (forme attendue{NBSP}: nom@domaine.fr)"
    return None


def check_phone_fr(value: object) -> str | None:
    number = re.sub(r"[\s.\-]", "", str(value))  # spaces (of any kind), dots and dashes are only layout
    if not _PHONE.fullmatch(number):
        return (f"le numéro de téléphone {_quoted(value)} doit être un numéro français "
                "(+33 ou 0 suivi de 9 chiffres)")
    return None


# Control characters (CR, LF, C1…), format characters (bidi overrides, zero-width) and line or paragraph
# separators: invisible in a letter, and a way to rewrite an e-mail header or a payment code.
_HIDDEN = ("Cc", "Cf", "Zl", "Zp")


def hidden_characters(text: str) -> list[str]:
    """The control and invisible characters of `text`, as U+XXXX codes (each once, in order)."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in _HIDDEN))


def check_one_line(value: object, what: str) -> str | None:
    found = hidden_characters(str(value))
    if found:
        return (f"{what} contient des caractères invisibles ou de contrôle ({', '.join(found)}) : saut de ligne, "
                "retour chariot, inversion de sens ou espace de largeur nulle sont refusés")
    return None
