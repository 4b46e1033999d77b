"""Rules of law checked on the CGV text as a customer reads it, not on parameters.

Each rule reads the rendered text of every article (family name → text) and names the family
whose clause must carry the mention, so the error lands in that variant's file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from cgvkit.law import consumer, dated
from cgvkit.law.figures import B2B, B2C, INDEMNITY

_SPACES = r"[\s\u00a0\u202f]*"
_EUROS = re.compile(rf"\b{int(INDEMNITY)}(?:,00)?{_SPACES}(?:€|euros)")
_RATE = re.compile(rf"\d+(?:,\d+)?{_SPACES}%|taux d[’']intérêt légal|Banque centrale européenne|taux BCE", re.I)
_L441_6 = re.compile(r"\bL\.?\s?441-6\b")
_PENALTY_WORDS = re.compile(r"pénalit|retard|indemnit|intérêts?\b|frais de recouvrement", re.IGNORECASE)


def cites_l441_6_for_penalties(text: str) -> bool:
    """L441-6 cited in a sentence about late payment: penalties, interest or the indemnity moved to
    L441-10 on 26 April 2019; the number itself (renumbered) is not an error elsewhere."""
    for sentence in re.split(r"(?<=[.;!?])\s+|\n+", text):
        if _L441_6.search(sentence) and _PENALTY_WORDS.search(sentence):
            return True
    return False
_ODR = ("ec.europa.eu/consumers/odr", "webgate.ec.europa.eu/odr")

Texts = Mapping[str, str]  # family name → the article's rendered text
Figures = Mapping[str, Mapping[str, object]]  # family name → parameters a rule compares with the text
TextCheck = Callable[[Texts, Figures], Iterable[tuple[str, str]]]  # → (family, French message)


@dataclass(frozen=True)
class TextRule:
    id: str
    market: str | None  # None: every CGV
    family: str | None  # the family whose text must carry the mention (None: whichever cites it)
    article: str
    summary: str
    check: TextCheck  # (texts, figures) → (family, message)
    since: date | None = None  # the day the rule takes effect (None: before any CGV the kit prints)
    until: date | None = None  # the last day it applies (None: still in force)


def _must_say(family: str, found: Callable[[str], bool], message: str) -> TextCheck:
    def check(texts: Texts, figures: Figures) -> Iterable[tuple[str, str]]:
        if not found(texts.get(family, "")):
            yield family, message
    return check


def _mediator(texts: Texts, figures: Figures) -> Iterable[tuple[str, str]]:
    text = texts.get("mediation", "")
    for key, what in (("name", "le nom"), ("url", "le site internet")):
        value = str(figures.get("mediation", {}).get(key) or "").strip()
        if not value or value not in text:
            yield "mediation", f"le texte des CGV ne donne pas {what} du médiateur de la consommation"


def _withdrawal(text: str) -> bool:
    said = "rétractation" in text
    return said and ("formulaire" in text or "ne s’applique" in text or "ne s'applique" in text)


def _nowhere(pattern: Callable[[str], bool], message: str) -> TextCheck:
    def check(texts: Texts, figures: Figures) -> Iterable[tuple[str, str]]:
        for family, text in texts.items():
            if pattern(text):
                yield family, message
    return check


TEXT_RULES: tuple[TextRule, ...] = (
    TextRule("cgv-indemnity-text", B2B, "late_penalties", "Code de commerce, art. L441-10 II et D441-5",
             "Le texte des CGV entre professionnels mentionne l’indemnité forfaitaire de 40 €.",
             _must_say("late_penalties", lambda t: bool(_EUROS.search(t)) and "indemnité forfaitaire" in t,
                       "le texte des CGV ne mentionne pas l’indemnité forfaitaire de 40 € pour frais de "
                       "recouvrement")),
    TextRule("cgv-penalty-rate-text", B2B, "late_penalties", "Code de commerce, art. L441-10 II",
             "Le texte des CGV entre professionnels indique le taux des pénalités de retard.",
             _must_say("late_penalties", lambda t: bool(_RATE.search(t)),
                       "le texte des CGV n’indique pas le taux des pénalités de retard")),
    TextRule("cgv-mediator-text", B2C, "mediation", "Code de la consommation, art. L616-1 et R616-1",
             "Le texte des CGV consommateurs donne le nom et le site internet du médiateur.", _mediator),
    TextRule("cgv-conformity-text", B2C, "warranties", "Code de la consommation, art. L211-2 et L217-3",
             "Le texte des CGV consommateurs mentionne la garantie légale de conformité.",
             _must_say("warranties", lambda t: "garantie légale de conformité" in t,
                       "le texte des CGV ne mentionne pas la garantie légale de conformité")),
    TextRule("cgv-withdrawal-text", B2C, "withdrawal", "Code de la consommation, art. L221-5 et L221-18",
             "Le texte des CGV consommateurs traite du droit de rétractation et de son formulaire.",
             _must_say("withdrawal", _withdrawal, "le texte des CGV ne décrit pas le droit de rétractation et "
                       "son formulaire (ou ne dit pas qu’il ne s’applique pas)")),
    TextRule("cgv-l441-6-text", None, None, "Code de commerce, art. L441-10 (ancien L441-6)",
             "Le texte des CGV ne cite pas l’article L441-6 pour les pénalités de retard (article L441-10 depuis le 26 avril 2019).",
             _nowhere(cites_l441_6_for_penalties, "le texte des CGV cite l’article L441-6 pour les pénalités de "
                      "retard, qu’il ne régit plus depuis le 26 avril 2019 : citez l’article L441-10")),
    TextRule("cgv-odr-text", None, None, "Règlement (UE) 2024/3228",
             "Le texte des CGV ne renvoie pas à la plateforme européenne de règlement en ligne des litiges, fermée.",
             _nowhere(lambda t: any(m in t for m in _ODR), "le texte des CGV renvoie à la plateforme européenne "
                      "de règlement en ligne des litiges, fermée le 20 juillet 2025 : retirez ce lien")),
    TextRule("cgv-withdrawal-online-text", B2C, "withdrawal", "Code de la consommation, art. L221-21 et D221-5",
             "Le texte des CGV d’une vente à distance conclue en ligne décrit la fonctionnalité « renoncer au "
             "contrat ici » et l’accusé de réception sur support durable.",
             consumer.online_withdrawal, since=date(2026, 6, 19)),
    # Every market, like `cgv-odr-text`: the list closes with the consent rule, no CGV sends anyone to it.
    TextRule("cgv-bloctel-text", None, None, "Code de la consommation, art. L223-1 (loi n° 2025-594 du 30 juin 2025)",
             "Le texte des CGV ne renvoie plus à la liste d’opposition Bloctel : le démarchage téléphonique exige "
             "le consentement préalable du consommateur.", consumer.bloctel, since=date(2026, 8, 11)),
)


def check_texts(market: str, texts: Texts, figures: Figures, days: tuple[date, ...] = (),
                effective: date | None = None) -> list[tuple[TextRule, str, str]]:
    """(rule, family, French message with its article) for every rule the rendered CGV break.

    Only the rules in force on one of `days` (the CGV's effective date, the run date) apply; none
    given: every rule. A rule that came into force after `effective` says since when."""
    found = []
    for rule in TEXT_RULES:
        if rule.market not in (None, market) or (days and not dated.in_force_on_any(rule, days)):
            continue
        note = max((dated.since_note(rule, effective, day) for day in days), default="")
        for family, message in rule.check(texts, figures):
            found.append((rule, family, f"{message} ({rule.article}{note})"))
    return found


def listing() -> list[tuple[str, str, str, str, str]]:
    return [(r.id, "error", r.article, r.summary, dated.period_fr(r)) for r in TEXT_RULES]
