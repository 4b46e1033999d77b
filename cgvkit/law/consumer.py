"""Rules of law for consumer CGV (B2C) that need more than a word search: the online withdrawal
function, the end of the Bloctel list, in-store sales kept apart from distance selling.

`textrules.TEXT_RULES` and `rules.RULES` list them with their articles and dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from cgvkit.law.subjects import Company

IN_STORE = "in_store"  # the orders and delivery variants of a sale concluded in the shop
NO_WITHDRAWAL = "not_applicable"  # the withdrawal variant of a sale concluded in the shop


def plain(text: str) -> str:
    """The text for matching words: one ordinary space for any run of spaces (no-break ones too),
    straight apostrophes, lower case."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text.replace("’", "'")).lower()


def online_withdrawal(texts: Mapping[str, str], figures: Mapping[str, Mapping[str, object]]) -> Iterable[tuple[str, str]]:
    """Distance-sale CGV concluded through an online interface describe the withdrawal function
    (« renoncer au contrat ici ») and the acknowledgement on a durable medium. CGV of sales in the
    shop (`not_applicable`) and distance sales without an online interface are exempt."""
    withdrawal = figures.get("withdrawal") or {}
    if not withdrawal or withdrawal.get("variant") == NO_WITHDRAWAL or withdrawal.get("online_interface") is False:
        return
    text = plain(texts.get("withdrawal", ""))
    missing = []
    if "renoncer au contrat ici" not in text and "fonctionnalité de rétractation" not in text:
        missing.append("la fonctionnalité de rétractation en ligne (« renoncer au contrat ici ») et l’endroit "
                       "où elle se trouve")
    if "accusé de réception" not in text or "support durable" not in text:
        missing.append("l’accusé de réception de la rétractation sur un support durable")
    if missing:
        yield "withdrawal", ("le texte des CGV d’une vente à distance conclue en ligne ne décrit pas "
                             + " ni ".join(missing))


def bloctel(texts: Mapping[str, str], figures: Mapping[str, Mapping[str, object]]) -> Iterable[tuple[str, str]]:
    """Any article that still sends the reader to the Bloctel opposition list."""
    for family, text in texts.items():
        words = plain(text)
        if "bloctel" in words or "liste d'opposition au démarchage téléphonique" in words:
            yield family, ("le texte des CGV renvoie à la liste d’opposition au démarchage téléphonique "
                           "(Bloctel) : depuis le 11 août 2026, aucun démarchage téléphonique sans le "
                           "consentement préalable du consommateur ; remplacez ce renvoi par cette règle")


def in_store_coherence(company: Company) -> Iterable[tuple[tuple[str, ...], str]]:
    """A sale concluded in the shop (no legal withdrawal right) cannot come with the online order
    and home delivery clauses of a distance sale, nor the in-store clauses with a distance sale.

    The problem is placed at the withdrawal clause's `variant`, the choice the others must follow:
    not at a parameter, so that `validate` never blames a variant's default values for a
    combination of clauses."""
    if company.market != "b2c":
        return
    withdrawal = company.clause("withdrawal")
    if withdrawal is None:
        return
    in_store_sale = withdrawal.variant.name == NO_WITHDRAWAL
    for name in ("orders", "delivery"):
        clause = company.clause(name)
        if clause is None or (clause.variant.name == IN_STORE) == in_store_sale:
            continue
        title = clause.family.title.lower()
        if in_store_sale:
            yield ("clauses", "withdrawal", "variant"), (
                f"vente conclue en magasin (rétractation « {NO_WITHDRAWAL} ») alors que l’article « {title} » "
                f"est la variante « {clause.variant.name} », qui décrit une vente à distance : choisissez "
                f"{name}: {{variant: {IN_STORE}}}")
        else:
            yield ("clauses", "withdrawal", "variant"), (
                f"l’article « {title} » est la variante « {IN_STORE} » d’une vente en magasin, alors que la "
                f"clause de rétractation est celle d’une vente à distance (« {withdrawal.variant.name} ») : "
                f"choisissez withdrawal: {{variant: {NO_WITHDRAWAL}}} ou une autre variante pour {name}")
