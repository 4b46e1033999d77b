"""French identity checks a lawyer expects; each returns None when valid, else a French message."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^(?:\+33\s?|0)[1-9](?:[\s.]?\d{2}){4}$")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
IBAN_LENGTHS = {"FR": 27, "MC": 27, "DE": 22, "BE": 16, "ES": 24, "IT": 27, "LU": 20, "CH": 21, "NL": 18}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _luhn_number(value: str, digits: int, label: str) -> str | None:
    number = str(value).replace(" ", "")
    if not re.fullmatch(rf"\d{{{digits}}}", number):
        return f"le {label} « {value} » doit compter exactement {digits} chiffres"
    if not luhn_ok(number):
        return f"le {label} {number} est invalide (clé de contrôle de Luhn incorrecte)"
    return None


def check_siren(value: str) -> str | None:
    return _luhn_number(value, 9, "SIREN")


def vat_key(siren: str) -> str:
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def check_vat_fr(value: str, siren: str | None = None) -> str | None:
    vat = str(value).replace(" ", "").upper()
    match = re.fullmatch(r"FR([0-9A-Z]{2})(\d{9})", vat)
    if not match:
        return f"le numéro de TVA « {value} » doit avoir la forme FR + 2 caractères de clé + 9 chiffres du SIREN"
    key, number = match.groups()
    if siren is not None and number != str(siren).replace(" ", ""):
        return f"le numéro de TVA {vat} ne reprend pas le SIREN {siren}"
    if key.isdigit() and key != vat_key(number):
        return f"la clé du numéro de TVA {vat} est fausse (clé attendue : {vat_key(number)})"
    return None


def check_iban(value: str) -> str | None:
    iban = str(value).replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return f"l’IBAN « {value} » n’a pas la forme attendue (pays, clé, numéro de compte)"
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected and len(iban) != expected:
        return f"l’IBAN {iban[:2]} doit compter {expected} caractères (il en compte {len(iban)})"
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        return f"l’IBAN « {value} » est invalide (clé de contrôle incorrecte)"
    return None


def check_bic(value: str) -> str | None:
    if not _BIC.fullmatch(str(value).replace(" ", "").upper()):
        return f"le BIC « {value} » doit compter 8 ou 11 caractères (banque, pays, lieu, agence)"
    return None


def check_postal_code_fr(value: str) -> str | None:
    code = str(value)
    if not re.fullmatch(r"\d{5}", code) or not ("01000" <= code <= "98999"):
        return f"le code postal « {value} » doit compter 5 chiffres (entre 01000 et 98999)"
    return None


def check_email(value: str) -> str | None:
    if not _EMAIL.fullmatch(str(value)):
        return f"l’adresse électronique « {value} » est invalide"
    return None


def check_phone_fr(value: str) -> str | None:
    if not _PHONE.fullmatch(str(value).strip()):
        return f"le numéro de téléphone « {value} » doit être un numéro français (+33 ou 0 suivi de 9 chiffres)"
    return None
