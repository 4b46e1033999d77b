"""On-demand documents for one debtor of the ledger: payment plan (schedule given by the user),
debt acknowledgement, court cover note (with the journal's steps).

The debtor's figures come from the same plan as the daily run (overdue invoices, interest,
indemnities on the given date); nothing is written to the journal.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import cast

from num2words import num2words

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.french import NBSP, date_fr, money
from cgvkit.documents.formats import write_rendered
from cgvkit.documents.letters import filled_context
from cgvkit.dunning import journal
from cgvkit.dunning.journal import Event
from cgvkit.dunning.ledger import Ledger
from cgvkit.dunning.payments import claim_extra, statement_extra, with_payments
from cgvkit.dunning.plan import PENALTY_CLAIM, DebtorPlan, History, imputation_orders, interest_until, plan
from cgvkit.dunning.sources import open_ledger
from cgvkit.law.figures import CONSUMER_ACCELERATION_NOTICE_DAYS, SMALL_CLAIM
from cgvkit.law.rates import stopped_note
from cgvkit.model import cgvversions
from cgvkit.model.company import Company, market_view
from cgvkit.model.ladder import CHANNEL_NAMES, Ladder, Stage, ladder_for
from cgvkit.model.letters import REPLY_DAYS, render_stage
from cgvkit.model.project import Project

CENT = Decimal("0.01")
STATEMENT = "statement_of_account"
ALIASES = {"releve": STATEMENT, "relevé": STATEMENT, "relevé_de_compte": STATEMENT, "releve_de_compte": STATEMENT}


def amount_in_words(amount: Decimal) -> str:
    """1234.56 → « mille deux cent trente-quatre euros et cinquante-six centimes » (C. civ. art. 1376:
    the sum in full letters). No « zéro centime », « un million d'euros », « un centime »."""
    cents_total = int(amount.quantize(CENT) * 100)
    if cents_total <= 0:
        raise ValueError(f"montant à écrire en lettres non positif{NBSP}: {amount}")
    euros, cents = divmod(cents_total, 100)
    parts: list[str] = []
    if euros:
        words = num2words(euros, lang="fr")
        unit = "euro" if euros == 1 else "euros"
        # « un million d'euros », « deux milliards d'euros »: the noun takes « de » (but « un million deux cents euros »).
        parts.append(f"{words} d’{unit}" if re.search(r"(millions?|milliards?)$", words) else f"{words} {unit}")
    if cents:
        parts.append(f"{num2words(cents, lang='fr')} {'centime' if cents == 1 else 'centimes'}")
    return " et ".join(parts)


def parse_schedule(items: list[str], total: Decimal) -> list[tuple[date, Decimal]]:
    """["2026-12-15:500", "2027-01-15"] → dated amounts; an item without amount takes the rest.
    Dates must increase and the amounts add up to `total`. Raises ValueError with a French message."""
    found: list[tuple[date, Decimal]] = []
    rest: date | None = None
    for k, item in enumerate(items):
        day_text, _, amount_text = item.partition(":")
        try:
            day = date.fromisoformat(day_text.strip())
        except ValueError:
            raise ValueError(f"échéance «{NBSP}{item}{NBSP}»{NBSP}: date attendue au format AAAA-MM-JJ") from None
        if found and day <= found[-1][0]:
            raise ValueError(f"échéance «{NBSP}{item}{NBSP}»{NBSP}: les dates doivent se suivre")
        if not amount_text.strip():
            if k != len(items) - 1:
                raise ValueError(f"échéance «{NBSP}{item}{NBSP}»{NBSP}: seule la dernière peut omettre son montant")
            rest = day
            continue
        try:
            amount = Decimal(amount_text.strip().replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise ValueError(f"échéance «{NBSP}{item}{NBSP}»{NBSP}: montant illisible") from None
        if amount <= 0 or amount != amount.quantize(CENT):
            raise ValueError(f"échéance «{NBSP}{item}{NBSP}»{NBSP}: montant positif au centime attendu")
        found.append((day, amount))
    paid = sum((a for _, a in found), Decimal(0))
    if rest is not None:
        if paid >= total:
            raise ValueError(f"les échéances données font déjà {money(paid)} sur {money(total)}{NBSP}: "
                             "rien ne reste pour la dernière")
        found.append((rest, total - paid))
    elif paid != total:
        raise ValueError(f"le total des échéances ({money(paid)}) doit égaler la somme due ({money(total)}) ; "
                         "laissez le montant de la dernière vide pour qu’elle prenne le reste")
    return found


def journal_steps(path: Path, slug: str, debtor_id: str) -> list[dict[str, str]]:
    """The debtor's confirmed steps, one line per date and stage (invoices joined)."""
    if not path.exists():
        return []
    con = journal.connect(path, slug)
    try:
        steps = journal.steps(con, debtor_id)
    finally:
        con.close()
    lines: dict[tuple[date, str], dict[str, str]] = {}
    invoices: dict[tuple[date, str], list[str]] = {}
    for step in steps:
        key = (step.day, step.stage)
        if key not in lines:
            lines[key] = {"date": date_fr(step.day), "stage": step.stage, "title": step.stage_title, "invoices": "",
                          "channel": " + ".join(CHANNEL_NAMES.get(c, c) for c in step.channel.split("+")),
                          "by": step.confirmed_by}
            invoices[key] = []
        invoices[key].append(step.invoice_number)
    return [{**line, "invoices": ", ".join(invoices[key])} for key, line in lines.items()]


def file_pieces(noted: list[Event]) -> list[str]:
    """What the recovery file adds to a bordereau: the receipts of registered letters noted (their avis de
    réception), of the debtor's events noted up to the document's date."""
    found = []
    for event in noted:
        if event.kind == "received":
            number = f" n°{NBSP}{event.detail}" if event.detail else ""
            found.append(f"Avis de réception de la lettre recommandée{number}, présentée le {date_fr(event.day)}")
    return found


def write_document(project: Project, company: Company, ledger_path: Path, debtor_id: str, kind: str, run_date: date,
                   out: Path, journal_path: Path, schedule: list[str], payments: Path | None = None) -> list[Path]:
    ladder = ladder_for(company, project.root)
    ledger = with_payments(open_ledger(ledger_path, project.root, company, ladder.ids), payments, project.root,
                           run_date)
    kind = ALIASES.get(kind.lower(), kind)
    stage = next((d for d in ladder.documents if d.id == kind), None)
    if stage is None:
        names = ", ".join(d.id for d in ladder.documents)
        raise KitError([Problem(ledger.file, 1, 1, "", f"document «{NBSP}{kind}{NBSP}» inconnu (documents de "
                                f"l’échelle{NBSP}: {names})", "document-kind")])
    history = journal.history(journal_path, company.slug)
    events = journal.file_events(journal_path, company.slug)  # read once: the plan and the document use them
    noted = [e for e in events.get(debtor_id, ()) if e.day <= run_date]  # this debtor's, up to the document's date
    versions = cgvversions.for_run(company, project.root, ledger.rows, run_date)  # each invoice under its CGV
    # The recovery file too: a receipt noted dates the formal notice consumer interest runs from.
    debtors = plan(company, ladder, ledger, project.table, run_date, history, events, cgv=versions)
    debtor = next((d for d in debtors if d.debtor_id == debtor_id), None)
    if debtor is None:
        raise KitError([Problem(ledger.file, 1, 1, "debtor_id", f"débiteur «{NBSP}{debtor_id}{NBSP}» absent du "
                                "registre", "document-debtor")])
    debtor = replace(debtor, stage=stage)
    company = market_view(company, debtor.kind)  # a company selling to both: the CGV of the debtor's market
    if kind == PENALTY_CLAIM:  # on demand: every invoice paid late that still owes something
        if not debtor.paid_late:
            raise KitError([Problem(ledger.file, 1, 1, "debtor_id", f"débiteur {debtor_id}{NBSP}: aucune facture "
                                    "payée en retard qui doive encore des pénalités ou intérêts", "document-debtor")])
        debtor = replace(debtor, invoices=list(debtor.paid_late))
    if kind != STATEMENT and not debtor.claimed:
        raise KitError([Problem(ledger.file, 1, 1, "debtor_id", f"débiteur {debtor_id}{NBSP}: aucune facture "
                                "échue et impayée à cette date", "document-debtor")])
    table = project.table
    rates = table.last if run_date > table.last.end else table.for_date(run_date)
    until = interest_until(table, run_date)
    note = stopped_note(until) if until < run_date else ""
    total = debtor.totals(debtor.claimed)["total"]
    pay: tuple[Decimal, date | None] | None = None
    if kind == STATEMENT:  # the whole account, paid invoices included; the transfer block asks for the balance
        extra, total = statement_extra(debtor, imputation_orders(company)[debtor.kind],
                                       company.articles.get("payment_imputation"))
        pay = (total, None) if total > 0 else None
    # Every document: the last day of the interest counted, the sum in words (C. civ. 1376).
    extra = {**(extra if kind == STATEMENT else {}), "interest_until": date_fr(until),
             "words": amount_in_words(total) if total > 0 else ""}
    if kind == PENALTY_CLAIM:
        extra.update(claim_extra(debtor.invoices))
    if kind == "payment_plan":
        try:
            items = parse_schedule(schedule, total)
        except ValueError as exc:
            raise KitError([Problem(ledger.file, 1, 1, "", str(exc), "document-schedule")]) from None
        extra["schedule"] = [{"date": date_fr(d), "amount": money(a)} for d, a in items]
        # The transfer block and its QR code ask for the first instalment, not the whole debt.
        pay = (items[0][1], items[0][0])
        reply = cast(int, company.letters.get("reply_days", REPLY_DAYS))  # schemas/company.yaml: an integer
        extra["acceleration_days"] = max(reply, CONSUMER_ACCELERATION_NOTICE_DAYS) if debtor.kind == "b2c" else reply
    if kind in ("injunction_request", "court_cover_note"):
        _no_suit_under_a_procedure(noted, debtor, ledger)
    if kind == "injunction_request":
        extra["steps"] = journal_steps(journal_path, company.slug, debtor_id)
        extra["file_pieces"] = file_pieces(noted)
    if kind == "court_cover_note":
        extra["steps"] = journal_steps(journal_path, company.slug, debtor_id)
        # CPC 750-1 (« somme n'excédant pas 5 000 euros ») and CPCE R125-1 look at the sum claimed.
        extra["small_claim_total"] = total <= SMALL_CLAIM
    if kind in EVENT_DOCUMENTS:
        event_extra, debtor, pay = _from_the_file(project, company, ladder, ledger, debtor, stage, kind, run_date,
                                                  journal_path, history, noted)
        extra.update(event_extra)
    first = debtor.rows[0]
    where = ledger.problem(first, "debtor_name", "", "")
    outputs = render_stage(project.root, stage, lambda html: filled_context(company, debtor, stage, run_date, rates,
                                                                           html, note, extra, pay), where)
    stem = out / f"{_slug(debtor_id)}-{kind}-{run_date.isoformat()}"
    return write_rendered(project, outputs, stem, run_date)[1]


def _no_suit_under_a_procedure(noted: list[Event], debtor: DebtorPlan, ledger: Ledger) -> None:
    """A court document is refused for the debts born before the opening of collective proceedings: the
    judgment stops every creditor's suit for payment of them (C. com. art. L622-21); they are declared."""
    procedures = [e for e in noted if e.kind == "procedure"]
    if not procedures:
        return
    procedure = procedures[-1]
    kind = cast(str, procedure.detail)  # a procedure is always noted with its kind (commands/journal.py)
    before = [i.row for i in debtor.claimed if i.row.invoice_date < procedure.day]
    if before:
        names = ", ".join(row.invoice_number for row in before)
        raise KitError([ledger.problem(before[0], "invoice_number", f"débiteur {debtor.debtor_id}{NBSP}: procédure "
                                       f"collective ({PROCEDURES_FR.get(kind, kind)}) ouverte "
                                       f"le {date_fr(procedure.day)}{NBSP}; les factures antérieures au jugement "
                                       f"({names}) ne peuvent plus être poursuivies en justice (C.{NBSP}com. "
                                       f"art.{NBSP}L622-21){NBSP}: déclarez-les au mandataire (document "
                                       "claim_declaration)", "document-procedure")])


# Documents drawn from the recovery file: each needs an event noted with `dunning note`.
EVENT_DOCUMENTS = {"promise_confirmation": "promise", "dispute_reply": "dispute",
                   "missed_instalment_notice": "promise", "claim_declaration": "procedure"}
PROCEDURES_FR = {"sauvegarde": "sauvegarde", "redressement": "redressement judiciaire",
                 "liquidation": "liquidation judiciaire"}
NOTE_FOR = {"promise": "--promise AAAA-MM-JJ [--amount MONTANT]", "dispute": "--dispute « motif »",
            "procedure": "--procedure … --judgment AAAA-MM-JJ [--bodacc AAAA-MM-JJ] [--mandataire « … »]"}


def _from_the_file(project: Project, company: Company, ladder: Ladder, ledger: Ledger, debtor: DebtorPlan,
                   stage: Stage, kind: str, run_date: date, journal_path: Path, history: History, noted: list[Event]
                   ) -> tuple[dict[str, object], DebtorPlan, tuple[Decimal, date | None] | None]:
    """The event a document is drawn from (the latest of its kind noted on or before `run_date`), and what the
    letter says of it; raises KitError, located in the ledger, when the file has none (or none that fits)."""
    wanted = EVENT_DOCUMENTS[kind]
    event = next((e for e in reversed(noted) if e.kind == wanted), None)
    # A promise is always noted with its date (commands/journal.py)
    if kind == "missed_instalment_notice" and event is not None and cast(date, event.until) >= run_date:
        event = None  # not missed yet
    if kind == "dispute_reply" and event is not None and any(e.kind == "dispute_closed" and e.day >= event.day
                                                              for e in noted):
        event = None  # settled since
    if event is None:
        what = {"missed_instalment_notice": "aucune promesse ni échéance passée impayée",
                "dispute_reply": "aucune contestation en cours",
                "promise_confirmation": "aucune promesse de paiement",
                "claim_declaration": "aucune procédure collective"}[kind]
        raise KitError([Problem(ledger.file, 1, 1, "debtor_id", f"débiteur {debtor.debtor_id}{NBSP}: {what} notée dans "
                                f"son dossier au {date_fr(run_date)} (dunning note … {NOTE_FOR[wanted]})",
                                "document-event")])
    said = {"date": date_fr(event.day), "until": date_fr(event.until) if event.until else "",
            "amount": money(Decimal(event.amount)) if event.amount else "", "text": event.text or ""}
    extra: dict[str, object] = {"event": said}
    pay: tuple[Decimal, date | None] | None = None
    reply = cast(int, company.letters.get("reply_days", REPLY_DAYS))  # schemas/company.yaml: an integer
    if kind == "promise_confirmation" and event.amount:
        pay = (Decimal(event.amount), event.until)
    if kind == "missed_instalment_notice":
        pay = (Decimal(event.amount), None) if event.amount else None  # the instalment missed, not the whole debt
        extra["acceleration_days"] = max(reply, CONSUMER_ACCELERATION_NOTICE_DAYS) if debtor.kind == "b2c" else reply
    if kind == "dispute_reply":
        mediation = company.clause("mediation")
        extra["mediator"] = dict(mediation.params) if mediation else {}
    if kind == "claim_declaration":
        declared, debtor = _declaration(project, company, ladder, ledger, debtor, stage, event, journal_path, history)
        extra.update(declared)
    return extra, debtor, pay


def _declaration(project: Project, company: Company, ladder: Ladder, ledger: Ledger, debtor: DebtorPlan, stage: Stage,
                 event: Event, journal_path: Path, history: History) -> tuple[dict[str, object], DebtorPlan]:
    """The déclaration de créance: the debts born before the judgment, as the plan counts them on the judgment
    date (interest stopped there; no indemnity for an invoice not yet due), the sums to fall due apart; and the
    debtor the letter is about (those debts only)."""
    judgment = event.day
    at = next(d for d in plan(company, ladder, ledger, project.table, judgment, history) if d.debtor_id == debtor.debtor_id)
    born = [i for i in at.invoices if i.row.invoice_date < judgment]
    due = [i for i in born if i.overdue]
    later = [i for i in born if not i.overdue]
    if not born:
        raise KitError([Problem(ledger.file, 1, 1, "debtor_id", f"débiteur {debtor.debtor_id}{NBSP}: aucune facture "
                                f"impayée née avant le jugement du {date_fr(judgment)}", "document-event")])
    mandataire = (event.text or "").removeprefix("mandataire : ").strip()
    retention = company.clause("retention_of_title")
    kind = cast(str, event.detail)  # a procedure is always noted with its kind (commands/journal.py)
    found: dict[str, object] = {
        "procedure": {"kind": kind, "kind_fr": PROCEDURES_FR.get(kind, kind),
                      "judgment": date_fr(judgment), "bodacc": date_fr(event.until) if event.until else "",
                      "mandataire": mandataire},
        "to_fall_due": [{"number": i.row.invoice_number, "invoice_date": date_fr(i.row.invoice_date),
                         "due_date": date_fr(i.row.due_date), "outstanding": money(i.outstanding)} for i in later],
        "later_total": money(sum((i.outstanding for i in later), Decimal(0))),
        "retention": (company.articles.get("retention_of_title") or "") if retention else "",
        "steps": journal_steps(journal_path, company.slug, debtor.debtor_id),
        "interest_until": date_fr(judgment),
    }
    total = sum((i.outstanding + i.interest + i.indemnity for i in due), Decimal(0))
    if total > 0:
        found["words"] = amount_in_words(total)
    else:
        found["words"] = ""
    return found, replace(at, invoices=due, stage=stage)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "debiteur"
