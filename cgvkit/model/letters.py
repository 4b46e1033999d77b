"""Letters of the ladder: what a letter may say (from the company's own CGV), rendered and checked.

Here, below documents/, so that loading a project resolves everything printing a letter could refuse
(`letter_problems`: the blank letters of each company rendered and checked, nothing written);
documents/ writes them (letterfiles.py) and fills them for a debtor (letters.py).

Every figure a letter quotes comes from the resolved clauses (`company.clause(...)`,
`rate_rule`, `indemnity_amount`, `company.articles`), so a letter cannot contradict its CGV.
A template marks each element the ladder requires with `{% call has("element") %}`; after
rendering, an element the stage `contains` but the template did not mark is an error.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any, Protocol

from jinja2 import TemplateError
from markupsafe import Markup

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.french import date_fr, money, percent, typography
from cgvkit.core.sms import outside_alphabet, plain, too_long
from cgvkit.core.templating import render
from cgvkit.law.figures import PAYMENT_TERM_EOM_MAX_DAYS, STATUTORY_ECB_MARGIN
from cgvkit.law.figures import half_year_fr as _half_year_fr
from cgvkit.law.interest import CONVENTION_FR, Period, RateRule, floor_rate
from cgvkit.law.penalties import indemnity_amount, rate_rule
from cgvkit.law.rates import HalfYearRates, half_year_of
from cgvkit.law.subjects import Clause
from cgvkit.model.company import Company, logo_path
from cgvkit.model.ladder import Stage, ladder_for
from cgvkit.sources.yamlsource import Source

ZERO = Decimal("0.00")
LEGAL = RateRule("legal", Decimal(0))
REPLY_DAYS = 8


class Cgv(Protocol):
    """The CGV a letter quotes: a company's current ones, or a version recorded in data/cgv/."""

    @property
    def market(self) -> str: ...
    @property
    def articles(self) -> Mapping[str, int]: ...
    def clause(self, family: str) -> Clause | None: ...


# A half-year where the CGV's rate gives way to 3 × the legal rate: (the half-year in French,
# stipulated rate, legal rate, floor)
Floor = tuple[str, Decimal, Decimal, Decimal]


@dataclass(frozen=True)
class Rendered:
    suffix: str  # "" or "-email"
    kind: str  # "html" or "txt"
    text: str
    channel: str


class Placeholders:
    """Visible blanks for debtor data: highlighted in HTML, bracketed in text."""

    def __init__(self, html: bool):
        self.html = html

    def __call__(self, label: str) -> str:
        if self.html:
            return Markup('<span class="placeholder">[{}]</span>').format(label)
        return f"[{label}]"


def half_year_fr(rates: HalfYearRates) -> str:
    return _half_year_fr(rates.start)


def payment_term_text(company: Cgv) -> str:
    """The CGV's payment term as a letter quotes it (« prévoient un paiement … »), from the
    company's resolved clause: its variant and its values."""
    clause = company.clause("payment_term")
    if clause is None:
        return "à la date d’échéance indiquée sur la facture"
    params, name = clause.params, clause.variant.name
    if params.get("when") in ("commande", "livraison"):
        return f"à la {params['when']}"
    if name == "legal_default":
        return "au plus tard trente jours après la réception des marchandises ou l’exécution de la prestation"
    days, eom = params.get("days"), bool(params.get("end_of_month"))
    if name == "end_of_month_45":
        days, eom = PAYMENT_TERM_EOM_MAX_DAYS, True
    if days is None:
        return "à la date d’échéance indiquée sur la facture"
    if eom:
        return f"à {days} jours fin de mois" if days else "le dernier jour du mois d’émission de la facture"
    return f"à {days} jours à compter de la date d’émission de la facture" if days else "comptant, à réception de la facture"


def span_fr(start: date, end: date) -> str:
    """« du 12 avril au 30 juin 2026 » (the first year only when it differs)."""
    first = date_fr(start)
    return f"du {first.rsplit(' ', 1)[0] if start.year == end.year else first} au {date_fr(end)}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} et {items[-1]}"


def floor_sentence(found: dict[str, Floor]) -> dict[str, str] | None:
    """The half-years where the CGV's rate gives way to 3 × the legal rate (label → (half-year in
    French, stipulated rate, legal rate, floor)), joined for the letters' one sentence."""
    rows = [found[label] for label in sorted(found)]
    if not rows:
        return None
    return {"half_years": _and([f"le {half}" for half, *_ in rows]),
            "stipulated": _and([percent(stipulated) for _, stipulated, _, _ in rows]),
            "floors": _and([f"3 × {percent(legal)} = {percent(floor)}" for *_, legal, floor in rows])}


def terms(company: Cgv, kind: str, rates: HalfYearRates, spans: Iterable[Period] = ()) -> dict[str, Any]:
    """The CGV figures a letter may quote, for a debtor of `kind`, at the rates of one half-year.

    `spans`: the half-years the letter computes (interest.half_year_spans). A rate the CGV stipulate
    below 3 × the legal rate of one of them, or of `rates`, gives way to that floor (C. com. L441-10 II):
    `floor` names them, once each (None when there are none).
    """
    articles = company.articles
    contestation = company.clause("contestation_period")
    stipulated = rate_rule(company) if kind == "b2b" else None
    rule = (stipulated or RateRule("ecb_plus", STATUTORY_ECB_MARGIN)) if kind == "b2b" else LEGAL
    rate, floors = rule.annual_rate(rates), {}
    for span in spans:
        if span.stipulated is not None:
            floors[half_year_of(span.start)] = (_half_year_fr(span.start), span.stipulated, span.legal_rate, span.rate)
    if stipulated is not None and rate < floor_rate(rates):
        floors.setdefault(rates.half_year, (half_year_fr(rates), rate, rates.legal_other, floor_rate(rates)))
        rate = floor_rate(rates)
    return {
        "kind": kind,
        "payment_term": payment_term_text(company),
        "payment_article": articles.get("payment_term"),
        # A consumer debtor of a B2B company: that company's penalties clause is about professionals.
        "penalty_article": articles.get("late_penalties") if kind == company.market else None,
        "penalty_rule": rule.describe(),
        "penalty_rate": percent(rate),
        "half_year": half_year_fr(rates),
        "floor": floor_sentence(floors),
        "indemnity": money(indemnity_amount(company)) if kind == "b2b" else "",
        "contestation_days": contestation.params.get("days") if contestation else None,
        "contestation_article": articles.get("contestation_period"),
        "convention": CONVENTION_FR,
        "cgv_in_force": "",  # « en vigueur au … » in a debtor's letter (cgvversions.letter_terms); blank letters: none
    }


def sender(company: Company) -> dict[str, Any]:
    ident: dict[str, Any] = company.identity
    return {**ident, "capital": money(ident["capital"]), "city": ident["address"]["city"]}


def address_lines(text: str) -> list[str]:
    parts = re.split(r"\s*(?:\n|;|\s/\s)\s*", text.strip())
    if len(parts) == 1:
        parts = [p.strip() for p in text.split(",")]
    return [p for p in parts if p]


def payment(company: Company, amount: str, reference: str, qr: str | None, due: str = "") -> dict[str, Any]:
    """The transfer block: `amount` (and the date `due` when the letter asks for it by a given day)."""
    ident: dict[str, Any] = company.identity
    return {"iban": _grouped(ident.get("iban", "")), "bic": ident.get("bic", ""), "reference": reference,
            "amount": amount, "due": due, "qr": qr, "payee": ident["name"]}


def _grouped(iban: str) -> str:
    compact = iban.replace(" ", "")
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def blank_context(company: Company, stage: Stage, html: bool, next_stage: Stage | None = None) -> dict[str, Any]:
    """The context of a pack's blank template: company figures filled in, debtor data as placeholders.
    `next_stage`: the stage that follows in the company's ladder (None: court comes next)."""
    ph = Placeholders(html)
    row = {"number": ph("numéro de facture"), "invoice_date": ph("date"), "due_date": ph("échéance"),
           "amount": ph("montant TTC"), "outstanding": ph("restant dû"), "days_late": ph("jours"),
           "interest": ph("intérêts"), "indemnity": money(indemnity_amount(company)) if company.market == "b2b" else "",
           "periods": []}
    totals = {"outstanding": ph("montant principal"), "interest": ph("total des intérêts"),
              "indemnity": ph("total des indemnités"), "total": ph("total réclamé")}
    return {
        "blank": True, "stage": stage, "sender": sender(company), "_company": company, "signatory": company.letters["signatory"],
        "profile": getattr(getattr(company, "source", None), "file", "companies/…"),
        "when": ph("date d'envoi"), "deadline": ph("date limite de paiement"),
        "reply_days": company.letters.get("reply_days", REPLY_DAYS),
        "debtor": {"id": ph("référence client"), "name": ph("Nom du débiteur"),
                   "address": [ph("Adresse du débiteur"), ph("Code postal et ville")],
                   "email": ph("courriel du débiteur"), "phone": ph("téléphone du débiteur")},
        "invoices": [row], "totals": totals, "count": ph("nombre"), "first_due": ph("échéance"),
        "plural": True, "small_claim": True,
        "notice_date": ph("date de la mise en demeure"),
        "interest_note": "", "interest_computed": True, "rates_applied": [], "next_stage": next_stage,
        "catch_up": False,
        "schedule": [], "steps": [],
        "terms": terms(company, company.market, _rates(company)),
        "payment": payment(company, ph("montant"), ph("références des factures"), None),
    }


def _rates(company: Company) -> HalfYearRates:
    assert company.rates is not None  # else load_company said rates-missing, and no letter is printed
    return company.rates


def logo_uri(value: str | None, root: Path | str) -> str | None:
    """The company logo inlined as a data URI (the HTML stands alone, the PDF engine fetches nothing)."""
    if not value:
        return None
    path = logo_path(value, Path(root))
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render_stage(root: Path, stage: Stage, make: Callable[[bool], dict[str, Any]], where: Problem | None = None,
                 long_sms: bool = False) -> list[Rendered]:
    """Render a stage (and its companion document) and check its contents; raises KitError.

    `make(html)` builds the context (placeholders differ between HTML and text); `where` locates
    problems that depend on debtor data (a too-long SMS) in the ledger rather than in the ladder.
    `long_sms`: the caller deals with an SMS too long because of debtor data (the daily run makes it
    that debtor's warning); one made too long by a company field is still an error at that field.
    """
    seen: set[str] = set()

    def has(element: str, caller: Callable[[], str] | None = None) -> str:
        seen.add(element)
        return caller() if caller else ""

    outputs, context, company = [], None, None
    channels = [(stage.channel, "")] + ([(stage.companion, "-email")] if stage.companion else [])
    for channel, suffix in channels:
        printed = channel in ("letter", "registered_letter")
        name = f"letters/{stage.id}{'.email' if suffix else ''}.{'html' if printed else 'txt'}"
        context = make(printed)
        company = context.pop("_company", company)  # for locating problems; templates do not see it
        context.setdefault("logo", logo_uri(context["sender"].get("logo"), root) if printed else None)
        try:
            text = render(root, name, **context, has=has, channel=channel)
        except TemplateError as exc:  # TemplateNotFound, UndefinedError: a template or ladder mistake
            raise KitError([stage.problem("id", f"gabarit « templates/{name} » inutilisable pour l'étape "
                                          f"« {stage.id} » : {exc}", "letter-template")]) from None
        outputs.append(Rendered(suffix, "html" if printed else "txt", _finish(text, channel), channel))
    assert context is not None  # a stage has a channel
    _check(stage, context["terms"], seen, outputs, where, company, long_sms)
    return outputs


def _finish(text: str, channel: str) -> str:
    if channel == "sms":
        return plain(" ".join(text.split()))
    if channel in ("letter", "registered_letter"):
        return html_typography(text)
    return typography(re.sub(r"\n{3,}", "\n\n", text).strip() + "\n")


_TAG = re.compile(r"(<[^>]*>)")
_RAW = re.compile(r"<(/?)(style|script)\b", re.IGNORECASE)


def html_typography(html: str) -> str:
    """French typography on the text between tags (attributes, CSS and scripts are left alone).

    Typography runs on the text a reader sees, not on its escaped form: each run of text is
    unescaped, set, and escaped again, so « Martin &amp; Fils » never becomes « &amp ; ».
    """
    out, raw = [], False
    for part in _TAG.split(html):
        if part.startswith("<"):
            found = _RAW.match(part)
            if found:
                raw = not found.group(1)
            out.append(part)
        else:
            out.append(part if raw else _text(typography(unescape(part))))
    return "".join(out)


def _text(text: str) -> str:
    """Text escaped for an HTML text node (quotes need no escape there)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _check(stage: Stage, terms_: dict[str, Any], seen: set[str], outputs: list[Rendered], where: Problem | None,
           company: Company | None = None, long_sms: bool = False) -> None:
    skip = set()
    if terms_["kind"] != "b2b":
        skip.add("indemnity")  # never claimed from a consumer (C. conso. L111-8)
    if terms_["contestation_days"] is None:
        skip.add("contestation")  # the CGV have no contestation clause
    missing = [e for e in stage.contains if e not in seen and e not in skip]
    problems = [stage.problem("contains", f"le gabarit de l'étape « {stage.id} » ne contient pas l'élément "
                              f"« {e} » exigé par l'échelle", "ladder-contains") for e in missing]
    for out in outputs:
        message = too_long(out.text) if out.channel == "sms" else None
        if message is not None:
            cause = _sms_alphabet(company, stage, out.text, message)
            if cause or not long_sms:
                problems.append(cause or _with(where or stage.problem("channel", "", ""), message, "sms-length"))
        subject = out.text.split("\n", 1)[0]
        if out.channel == "email" and not (subject.startswith("Objet") and subject.partition(":")[2].strip()):
            problems.append(stage.problem("channel", "le courriel doit commencer par « Objet : » suivi "
                                          "de son objet", "email-subject"))
    if problems:
        raise KitError(problems)


def _sms_alphabet(company: Company | None, stage: Stage, text: str, message: str) -> Problem | None:
    """A too-long SMS that would fit but for a company field outside the GSM alphabet (« Façades »):
    located at that field of the company file, where the user can see the cause."""
    extra = outside_alphabet(text)
    source: Source | None = getattr(company, "source", None)  # a stand-in company has none
    if company is None or not extra or source is None or too_long(text.translate({ord(c): "?" for c in extra})):
        return None
    for key, value in company.identity.items():
        found = outside_alphabet(plain(value)) if isinstance(value, str) else ""
        if found and set(found) <= set(extra):
            shown = ", ".join(f"« {c} »" for c in found)
            return source.problem(("company", key), f"{shown} hors de l’alphabet des SMS (GSM 03.38) : le SMS de "
                                  f"l’étape « {stage.id} », qui reprend ce champ, passe en UCS-2 et devient trop "
                                  f"long — {message}", "sms-alphabet")
    return None


def _with(problem: Problem, message: str, rule: str) -> Problem:
    return Problem(problem.file, problem.line, problem.column, problem.path, message, rule)


def blank_stages(root: Path, company: Company) -> list[tuple[Stage, Callable[[bool], dict[str, Any]]]]:
    """(stage, context maker) of every stage and document of the company's ladder, placeholders for
    debtor data; the ladder's own errors raise KitError."""
    ladder = ladder_for(company, root).for_market(company.market)
    following = {s.id: n for s, n in zip(ladder.stages, ladder.stages[1:], strict=False)}  # the last stage: court comes next

    def maker(stage: Stage) -> Callable[[bool], dict[str, Any]]:
        return lambda html: blank_context(company, stage, html, following.get(stage.id))

    return [(stage, maker(stage)) for stage in ladder.stages + ladder.documents]


def letter_problems(root: Path, company: Company) -> list[Problem]:
    """What printing the company's letters would refuse, found by rendering them without writing:
    `validate` says what `pack` would say. The ladder, the templates and their `contains` marks were
    already resolved as the project loaded (model/letterchecks.py); this dry render finds what only the
    rendered text tells (an SMS made too long by a company field, a name the context lacks)."""
    try:
        stages = blank_stages(root, company)
    except KitError as exc:
        return list(exc.problems)
    problems = []
    for stage, make in stages:
        try:
            render_stage(root, stage, make)
        except KitError as exc:
            problems.extend(exc.problems)
    return problems
