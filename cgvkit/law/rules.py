"""The rules of French law the kit enforces, each with its id, severity and article.

Rules run on a resolved company (for its effective date) or on the clause library.
The README and the site list them from RULES, so the list cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Generic, TypeGuard, TypeVar

from cgvkit.core.errors import Problem
from cgvkit.core.french import date_fr, money, percent
from cgvkit.law import consumer, dated, textrules
from cgvkit.law.figures import INDEMNITY, PAYMENT_TERM_EOM_MAX_DAYS, PAYMENT_TERM_MAX_DAYS, TRANSPORT_MAX_DAYS
from cgvkit.law.interest import RateRule, floor_rate
from cgvkit.law.penalties import indemnity_amount, rate_rule
from cgvkit.law.rates import HalfYearRates, RateTable, half_year_of
from cgvkit.law.subjects import Clause, Company, Library, Sourced
from cgvkit.sources.yamlsource import Path_, strings

ODR_MARKERS = ("ec.europa.eu/consumers/odr", "webgate.ec.europa.eu/odr")


Finding = tuple[Path_, str]  # (key path in the file, French message)
S = TypeVar("S", contravariant=True)  # what a rule judges: a Company, or a library variant (Sourced)


@dataclass(frozen=True)
class Rule(Generic[S]):
    id: str
    severity: str  # "error" or "warning"
    article: str
    summary: str  # French: what the rule checks, for the README and the site
    check: Callable[[S], Iterable[Finding]]  # (company or variant) -> (key path, French message)
    scope: str = "company"  # "company" or "library"
    since: date | None = None  # the day the rule takes effect (None: before any CGV the kit prints)
    until: date | None = None  # the last day it applies (None: still in force)


def _payment_term(company: Company) -> tuple[Clause | None, int]:
    """The payment-term clause and its days (every variant declares them an integer); (None, 0) without."""
    clause = company.clause("payment_term")
    days = clause.params.get("days") if clause is not None else None
    if clause is None or not isinstance(days, int):
        return None, 0
    return clause, days


def check_term_max(company: Company) -> Iterable[Finding]:
    clause, days = _payment_term(company)
    if clause and not clause.params.get("end_of_month") and days > PAYMENT_TERM_MAX_DAYS:
        yield ("clauses", "payment_term", "days"), f"{days} jours dépasse le plafond de {PAYMENT_TERM_MAX_DAYS} jours à compter de la date de facture"


def check_term_eom(company: Company) -> Iterable[Finding]:
    clause, days = _payment_term(company)
    if clause and clause.params.get("end_of_month") and days > PAYMENT_TERM_EOM_MAX_DAYS:
        yield ("clauses", "payment_term", "days"), f"{days} jours fin de mois dépasse le plafond de {PAYMENT_TERM_EOM_MAX_DAYS} jours fin de mois"


def check_transport_cap(company: Company) -> Iterable[Finding]:
    clause, days = _payment_term(company)
    if clause and clause.variant.name == "transport" and days > TRANSPORT_MAX_DAYS:
        yield ("clauses", "payment_term", "days"), (f"{days} jours dépasse le plafond de {TRANSPORT_MAX_DAYS} jours à compter de la date d’émission de la "
                                                    "facture, d’ordre public pour le transport, la location de véhicules et la commission de "
                                                    "transport")


def _penalty_rate(company: Company) -> tuple[RateRule, Decimal, Decimal, HalfYearRates] | None:
    """(rule, rate, floor, the half-year's rates) of B2B late penalties, or None."""
    rule = rate_rule(company)
    if company.market != "b2b" or rule is None or company.rates is None:
        return None
    return rule, rule.annual_rate(company.rates), floor_rate(company.rates), company.rates


def _is_legal_default(rule: RateRule) -> bool:
    return rule.kind == "ecb_plus" and rule.value == 10


def check_rate_floor(company: Company) -> Iterable[Finding]:
    found = _penalty_rate(company)
    if found is None:
        return
    rule, rate, floor, rates = found
    if rate < floor and not _is_legal_default(rule):
        yield ("clauses", "late_penalties"), (
            f"le taux de pénalités ({rule.describe()}, soit {percent(rate)} en {rates.half_year}) "
            f"est inférieur au minimum de 3 fois le taux d’intérêt légal ({percent(floor)})")


def check_ecb10_floor(company: Company) -> Iterable[Finding]:
    found = _penalty_rate(company)
    if found is None:
        return
    rule, rate, floor, rates = found
    if rate < floor and _is_legal_default(rule):
        yield ("clauses", "late_penalties"), (
            f"en {rates.half_year}, BCE + 10 points ({percent(rate)}) est inférieur à 3 fois le taux "
            f"d’intérêt légal ({percent(floor)}) : stipulez au moins ce minimum pour ce semestre")


def check_b2b_indemnity(company: Company) -> Iterable[Finding]:
    if company.market != "b2b" or rate_rule(company) is None:
        return
    amount = indemnity_amount(company)
    if amount == 0:
        yield ("clauses", "late_penalties"), "les CGV entre professionnels doivent prévoir l’indemnité forfaitaire de 40 € par facture payée en retard"
    elif amount != INDEMNITY:
        yield ("clauses", "late_penalties", "indemnity"), (
            f"l’indemnité forfaitaire pour frais de recouvrement est fixée à 40 € par le décret, ni plus ni moins "
            f"({money(amount)} stipulés) ; des frais supérieurs se réclament, sur justification, au titre d’une "
            "indemnité complémentaire")


def _written(company: Company) -> Mapping[str, object]:
    """The profile's `clauses` block of the company's market, as written."""
    return company.written_clauses()


def check_b2c_jurisdiction(company: Company) -> Iterable[Finding]:
    if company.market == "b2c" and "jurisdiction" in _written(company):
        yield ("clauses", "jurisdiction"), "une clause attributive de juridiction est réputée non écrite face à un consommateur : retirez-la"


def check_b2c_mediation(company: Company) -> Iterable[Finding]:
    if company.market != "b2c":
        return
    entry = _written(company).get("mediation") or {}
    if not isinstance(entry, dict):  # a block or nothing (schema)
        entry = {}
    for key, what in (("name", "le nom"), ("url", "le site internet")):
        if not str(entry.get(key) or "").strip():
            yield ("clauses", "mediation", key), f"{what} du médiateur de la consommation doit figurer dans les CGV"


def check_odr(item: Sourced) -> Iterable[Finding]:
    """Any string of a company profile or a clause file that links to the closed platform."""
    for path, text in strings(item.source.data):
        if any(marker in text for marker in ODR_MARKERS):
            yield path, "lien vers la plateforme européenne de règlement en ligne des litiges, fermée le 20 juillet 2025 : retirez-le"


def check_l441_6(variant: Sourced) -> Iterable[Finding]:
    for path, text in strings(variant.source.data):
        if textrules.cites_l441_6_for_penalties(text):
            yield path, "l’article L441-6 est cité pour les pénalités de retard : depuis le 26 avril 2019, elles relèvent des articles L441-10, L441-9 et L441-16"


# Loi n° 2023-1059 du 20 novembre 2023, art. 26, and arrêté du 5 juillet 2024: from 1 January 2025 these
# twelve commercial courts are « tribunaux des activités économiques ».
TAE_SINCE = date(2025, 1, 1)
TAE_CITIES = ("Avignon", "Auxerre", "Le Havre", "Le Mans", "Limoges", "Lyon", "Marseille", "Nancy", "Nanterre",
              "Paris", "Saint-Brieuc", "Versailles")


def _folded(text: str) -> str:
    """Case, accents, hyphens and spaces folded: « saint brieuc » and « Saint-Brieuc » are one city."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[\s\-’'.]+", " ", plain).strip().casefold()


def _of(city: str) -> str:
    """« de Lyon », « du Havre »."""
    return f"du {city[3:]}" if city.startswith("Le ") else f"de {city}"


_OLD_COURTS = {_folded(f"tribunal de commerce {_of(city)}"): city for city in TAE_CITIES}


def check_tae_court(company: Company) -> Iterable[Finding]:
    clause = company.clause("jurisdiction")
    city = _OLD_COURTS.get(_folded(str(clause.params.get("court") or ""))) if clause else None
    if city:
        yield ("clauses", "jurisdiction", "court"), (
            f"depuis le {date_fr(TAE_SINCE)}, le tribunal de commerce {_of(city)} est le « Tribunal des activités "
            f"économiques {_of(city)} » : désignez-le sous ce nom")


# The shortest contestation or claim period the kit accepts: a few days after an invoice or a delivery leave
# a buyer no real chance to check, which a court may hold a significant imbalance.
MIN_CLAIM_DAYS = 8
_PERIODS = (("contestation_period", "days", "le délai de contestation des factures"),
            ("warranties", "claim_days", "le délai de réclamation pour les manquants et vices apparents"))


def check_min_periods(company: Company) -> Iterable[Finding]:
    if company.market != "b2b":
        return
    for family, key, what in _PERIODS:
        clause = company.clause(family)
        days = clause.params.get(key) if clause else None
        if isinstance(days, int) and days < MIN_CLAIM_DAYS:
            yield ("clauses", family, key), (f"{what} est de {days} jour(s) : au moins {MIN_CLAIM_DAYS} jours, faute "
                                              "de quoi l’acheteur n’a pas le temps de vérifier")


def check_retention_acceptance(company: Company) -> Iterable[Finding]:
    if company.clause("retention_of_title") is None:
        return
    orders = company.clause("orders")
    if orders is None or not orders.params.get("accepted_before_delivery"):
        yield ("clauses", "retention_of_title"), (
            "la clause de réserve de propriété affirme un accord écrit que la clause des commandes n’organise pas : "
            "elle n’est opposable que si les CGV sont acceptées par écrit au plus tard à la livraison ; faites-les "
            "accepter à la commande (orders: {accepted_before_delivery: true}) ou retirez la réserve de propriété")


RULES: tuple[Rule[Company] | Rule[Sourced], ...] = (
    Rule("payment-term-max", "error", "Code de commerce, art. L441-10 I",
         "Délai de paiement de plus de 60 jours à compter de la date de facture.", check_term_max),
    Rule("payment-term-eom-max", "error", "Code de commerce, art. L441-10 I",
         "Délai « fin de mois » de plus de 45 jours fin de mois.", check_term_eom),
    Rule("payment-term-sector-cap", "error", "Code de commerce, art. L441-11 II",
         "Délai de plus de 30 jours pour le transport routier, la location de véhicules ou la commission de "
         "transport : plafond d’ordre public.", check_transport_cap),
    Rule("penalty-rate-floor", "error", "Code de commerce, art. L441-10 II",
         "Taux de pénalités stipulé inférieur à 3 fois le taux d’intérêt légal du semestre de la date d’effet "
         "ou du jour de la vérification.",
         check_rate_floor),
    Rule("penalty-ecb10-below-floor", "warning", "Code de commerce, art. L441-10 II",
         "« BCE + 10 points » inférieur à 3 fois le taux d’intérêt légal pour le semestre de la date d’effet (cas de 2024).",
         check_ecb10_floor),
    Rule("b2b-indemnity", "error", "Code de commerce, art. L441-10 II et D441-5",
         "CGV entre professionnels sans l’indemnité forfaitaire de 40 € pour frais de recouvrement, ou avec un autre "
         "montant : le décret la fixe à 40 €.",
         check_b2b_indemnity),
    Rule("b2c-jurisdiction", "error", "Code de procédure civile, art. 48",
         "Clause attributive de juridiction dans des CGV destinées aux consommateurs.", check_b2c_jurisdiction),
    Rule("b2c-mediation", "error", "Code de la consommation, art. L612-1, L616-1 et R616-1",
         "CGV consommateurs sans le nom et le site internet du médiateur de la consommation.", check_b2c_mediation),
    *(Rule("odr-link", "error", "Règlement (UE) 2024/3228 (fin de la plateforme RLL le 20 juillet 2025)",
           "Lien vers la plateforme européenne de règlement en ligne des litiges, fermée.", check_odr, scope)
      for scope in ("company", "library")),
    Rule("outdated-l441-6", "warning", "Code de commerce, art. L441-10 (ancien L441-6)",
         "Clause qui cite l’article L441-6, abrogé pour les pénalités depuis le 26 avril 2019.", check_l441_6, "library"),
    Rule("jurisdiction-tae", "error", "Loi n° 2023-1059 du 20 novembre 2023, art. 26 ; arrêté du 5 juillet 2024",
         "Clause attributive qui désigne sous son ancien nom l’un des douze tribunaux de commerce devenus "
         "tribunaux des activités économiques le 1er janvier 2025.", check_tae_court, since=TAE_SINCE),
    Rule("claim-period-min", "error", "Code de commerce, art. L442-1 I 2°",
         f"Délai de contestation des factures ou de réclamation à la livraison de moins de {MIN_CLAIM_DAYS} jours "
         "(seuil du kit : plus court, il risque d’être jugé créer un déséquilibre significatif).",
         check_min_periods),
    Rule("retention-acceptance", "error", "Code de commerce, art. L624-16 ; Code civil, art. 2368",
         "Réserve de propriété alors que les CGV ne disent pas être acceptées par écrit au plus tard à la livraison.",
         check_retention_acceptance),
    Rule("b2c-in-store-coherence", "error", "Code de la consommation, art. L221-1 et L221-18",
         "Vente en magasin (sans droit de rétractation) avec une clause de commande en ligne ou de livraison à "
         "distance, ou clause de vente en magasin dans des CGV de vente à distance.", consumer.in_store_coherence),
)

# Rules enforced elsewhere but listed with the others (README, site).
DOCUMENTED: tuple[tuple[str, str, str, str], ...] = (
    ("rates-missing", "error", "Code de commerce, art. L441-10 II ; Code monétaire et financier, art. L313-2",
     "Date d’effet dans un semestre absent de data/rates.yaml : le message dit quelle ligne ajouter."),
    ("identity-siren", "error", "Code de commerce, art. R123-237", "SIREN de 9 chiffres à clé de Luhn valide."),
    ("identity-vat", "error", "Code général des impôts, art. 242 nonies A", "Numéro de TVA intracommunautaire FR cohérent avec le SIREN."),
    ("identity-iban", "error", "Norme ISO 13616", "IBAN à clé de contrôle valide."),
    # model/cgvversions.py: the profile against the CGV versions recorded in data/cgv/.
    ("cgv-retroactive", "error", "Code civil, art. 1103 et 1119",
     "CGV modifiées sans nouvelle date d’effet postérieure à la version enregistrée dans data/cgv/ : erreur une fois "
     "cette date passée (avertissement avant), avec ce qui change et, dans la relance, les factures concernées."),
    ("cgv-backdated", "warning", "Code civil, art. 1103 et 1119",
     "Nouvelle version des CGV dont la date d’effet est déjà passée : les ventes conclues avant restent sous la "
     "version en vigueur lorsqu’elles ont été faites."),
)


def listing() -> list[tuple[str, str, str, str, str]]:
    """(id, severity, article, summary, when it applies in French) of every rule, each id once."""
    seen, rows = set(), []
    for rule in RULES:
        if rule.id not in seen:
            seen.add(rule.id)
            rows.append((rule.id, rule.severity, rule.article, rule.summary, dated.period_fr(rule)))
    return rows + textrules.listing() + [(*row, "") for row in DOCUMENTED]


def _judges_companies(rule: Rule[Company] | Rule[Sourced]) -> TypeGuard[Rule[Company]]:
    return rule.scope == "company"


def _judges_variants(rule: Rule[Company] | Rule[Sourced]) -> TypeGuard[Rule[Sourced]]:
    return rule.scope == "library"


def check_company(company: Company, today: date | None = None, table: RateTable | None = None) -> list[Problem]:
    """The company's rules of law, on the CGV's effective date and, given `today` (the run date), on
    that day too: a rule that came into force since the CGV took effect is an error now, and its
    message says since when. `table` gives the rates of `today`'s half-year (the 3× floor moves)."""
    views: list[tuple[date, Company]] = [(company.effective_date, company)]
    if today is not None and today != company.effective_date:
        views.append((today, _as_of(company, today, table)))
    problems: list[Problem] = []
    seen: set[tuple[str, Path_, str]] = set()
    for rule in RULES:
        if not _judges_companies(rule):
            continue
        for day, view in views:
            if not dated.in_force(rule, day):
                continue
            for path, message in rule.check(view):
                if path[:1] == ("clauses",):  # a profile with two markets: that market's block
                    path = company.clause_path + path[1:]
                if (rule.id, path, message) in seen:  # the same breach on both days: said once
                    continue
                seen.add((rule.id, path, message))
                note = dated.since_note(rule, company.effective_date, day)
                problems.append(company.source.problem(path, f"{message} ({rule.article}{note})", rule.id,
                                                       rule.severity))
    return problems


def _as_of(company: Company, day: date, table: RateTable | None) -> Company:
    """The company as the law sees it on `day`: the rates of that half-year (None when the table
    does not have them yet: the stale-table warning says so, and no rate is guessed)."""
    rates = table.get(half_year_of(day)) if table is not None else None
    return dataclasses.replace(company, rates=rates)


def check_library(library: Library, today: date | None = None) -> list[Problem]:
    problems = []
    for variant in library.all_variants():
        for rule in RULES:
            if _judges_variants(rule) and (today is None or dated.in_force(rule, today)):
                for path, message in rule.check(variant):
                    problems.append(variant.source.problem(path, f"{message} ({rule.article})", rule.id, rule.severity))
    return problems
