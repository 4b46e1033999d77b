"""One dunning run: plan from the ledger, then every output written into one folder.

Plan first (fast, no files), then write every output in a staging folder swapped in at the end:
a bad ledger or a missing rate writes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import cast

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.files import sha256_file, staged_dir
from cgvkit.core.phone import e164, mobile, usable_phone
from cgvkit.core.sms import too_long
from cgvkit.documents.formats import PrintLater, write_rendered
from cgvkit.documents.letters import filled_context
from cgvkit.dunning import journal
from cgvkit.dunning.ledger import Ledger
from cgvkit.dunning.outbox import MAIL_ROOM, SMS_LIST, merge_pdfs, sms_list, write_email
from cgvkit.dunning.payments import claim_extra, json_amount, payments_json, with_payments
from cgvkit.dunning.plan import PENALTY_CLAIM, DebtorPlan, interest_until, plan
from cgvkit.dunning.printing import Printer
from cgvkit.dunning.report import write_report
from cgvkit.dunning.sources import open_ledger
from cgvkit.dunning.spreadsheet import plan_csv
from cgvkit.law.rates import HalfYearRates, stopped_note
from cgvkit.model import cgvversions
from cgvkit.model.company import Company
from cgvkit.model.ladder import Stage, ladder_for
from cgvkit.model.letters import Rendered, render_stage
from cgvkit.model.project import Project

Message = Callable[[str, str, str], None]  # (channel, to, path): a message `dunning send` may send itself


@dataclass
class Run:
    debtors: list[DebtorPlan]
    warnings: list[Problem] = field(default_factory=list)  # severity "warning"
    stopped: date | None = None  # interest stops here: the rate table ends before the run date


CONFIRMED = "confirmed.json"  # written into a run folder once its steps are in the journal


def run_folder(root: Path, slug: str, run_date: date) -> Path:
    """`dist/relances/<slug>/<date>/`, or `<date>-2`, `-3`... when that day's run was confirmed:
    a confirmed run's documents are the journal's proof and are never replaced."""
    base = root / "dist" / "relances" / slug
    folder, n = base / run_date.isoformat(), 2
    while (folder / CONFIRMED).exists():
        folder, n = base / f"{run_date.isoformat()}-{n}", n + 1
    return folder


def shown_path(path: Path, root: Path) -> str:
    """A path as stored in plan.json and the journal: relative to the project when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def run_dunning(project: Project, company: Company, ledger_path: Path, run_date: date, out: Path, journal_path: Path,
                jobs: int | None = None, payments: Path | None = None) -> Run:
    """Plan, then write every output of the run into `out` (atomically); letters are printed in
    `jobs` processes (default: the core count). `payments`: the dated payments file (dunning/payments.py)."""
    if (out / CONFIRMED).exists():
        raise KitError([Problem(shown_path(out, project.root), 1, 1, "", "ce dossier contient une relance déjà "
                                "confirmée : ses documents sont la preuve du journal, choisissez un autre dossier",
                                "journal-confirmed")])
    ladder = ladder_for(company, project.root)
    ledger = with_payments(open_ledger(ledger_path, project.root, company, ladder.ids), payments, project.root,
                           run_date)
    seen = journal.mark(journal_path, company.slug, shown_path(journal_path, project.root))  # before reading: a later confirm makes this proposal stale
    past = journal.history(journal_path, company.slug, shown_path(journal_path, project.root))
    noted = journal.file_events(journal_path, company.slug, shown_path(journal_path, project.root))
    versions = cgvversions.for_run(company, project.root, ledger.rows, run_date)
    debtors = plan(company, ladder, ledger, project.table, run_date, past, noted, versions)
    result = Run(debtors, list(ledger.warnings))  # a debtor's unusable e-mail address, located in the ledger
    result.warnings += [p for p in (*versions.said, cgvversions.fallback_problem(versions, ledger)) if p is not None]
    stale = project.table.stale_warning(run_date, f"date de relance {run_date.isoformat()}")
    if stale is not None:
        result.warnings.append(stale)
        result.stopped = interest_until(project.table, run_date)
        result.warnings += _wait_for_rates(debtors, ledger, result.stopped)
    claim = next((d for d in ladder.documents if d.id == PENALTY_CLAIM), None)
    claims = [d for d in debtors if d.penalty_claims] if claim is not None else []
    rates = _rates(project, ledger, run_date) if any(d.action == "send" for d in debtors) or claims else None
    note = stopped_note(result.stopped) if result.stopped else ""
    with staged_dir(out) as stage:
        names: set[str] = set()
        sms: list[tuple[str, str, str]] = []
        emails: list[str] = []
        rendered: list[tuple[DebtorPlan, str, list[Rendered], list[Path]]] = []
        messages: list[dict[str, object]] = []
        expected = sum(d.action == "send" and d.stage is not None and d.stage.printed for d in debtors) + len(claims)
        with Printer(project.root, run_date, jobs, expected) as printer:
            for debtor in debtors:
                if debtor.action == "send":
                    rendered.append((debtor, *_write_letter(project, company, ledger, debtor, run_date, rates, note,
                                                            stage, names, printer.submit)))
            for debtor in claims:  # what invoices paid late still owe: one claim per debtor
                assert claim is not None  # else `claims` is empty
                _write_claim(project, company, ledger, debtor, claim, run_date, rates, note, stage, names, printer.submit)
            mail_room = MAIL_ROOM if printer.targets else None
            if mail_room:  # every printed letter, in plan order
                merge_pdfs(printer.printed(), stage / mail_room)
        for debtor, slug, outputs, written in rendered:
            pdfs = [p for p in written if p.suffix == ".pdf"]
            emails += _send_outputs(company, debtor, slug, outputs, pdfs, run_date, stage, sms, messages)
        data = plan_json(company, run_date, debtors, result.stopped)
        # `messages`: what `dunning send` may send itself (stages sent by e-mail or SMS, not a companion)
        outbox: dict[str, object] = {"emails": emails, "sms": None, "mail_room": mail_room, "messages": messages}
        data["outbox"] = outbox
        if sms:
            (stage / SMS_LIST).write_text(sms_list(sms), encoding="utf-8")
            outbox["sms"] = SMS_LIST
        write_report(project.root, company, run_date, debtors, stage, result.stopped,
                     journal.last_run(journal_path, company.slug, shown_path(journal_path, project.root)), outbox, shown_path(out, project.root))
        data["report"] = "report.html"
        data["journal"] = {"path": shown_path(journal_path, project.root), "mark": seen}
        data["steps"] = steps_json(debtors, stage)
        (stage / "plan.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (stage / "plan.csv").write_text(plan_csv(debtors), encoding="utf-8")
    return result


# What a court or a formal notice relies on: its amount should wait for the missing half-year's rates.
AMOUNT_MATTERS = ("formal_notice", "court")


def _wait_for_rates(debtors: list[DebtorPlan], ledger: Ledger, stopped: date) -> list[Problem]:
    """A formal notice or a court document printed while the rate table stops before the run date says
    « à parfaire »; the run also advises waiting for the table before sending it."""
    names = [d.name for d in debtors if d.action == "send" and d.stage is not None and d.stage.printed
             and (d.stage.channel == "registered_letter" or any(k in c for c in d.stage.contains for k in AMOUNT_MATTERS))]
    if not names:
        return []
    shown = ", ".join(names[:10]) + (f" et {len(names) - 10} autre(s)" if len(names) > 10 else "")
    return [Problem(ledger.file, 1, 1, "", f"mise en demeure ou document pour le tribunal ({shown}) : les intérêts y sont "
                    f"arrêtés au {stopped.isoformat()}, « à parfaire » ; le montant compte, attendez si possible la "
                    "table des taux du semestre (python build.py rates add) avant de l’envoyer", "rates-stale-document",
                    "warning")]


def _rates(project: Project, ledger: Ledger, run_date: date) -> HalfYearRates:
    """The rates the letters quote: the run date's half-year, or the table's last one when the
    table stops before the run date (the letters then say the interest is « à parfaire »)."""
    table = project.table
    if run_date > table.last.end:
        return table.last
    where = Problem(ledger.file, 1, 1, "", "", "rates-missing")
    try:
        return table.for_date(run_date, where=where)
    except KitError as exc:
        raise KitError([Problem(p.file, p.line, p.column, p.path, f"date de relance {run_date.isoformat()} : "
                                f"{p.message}", p.rule) for p in exc.problems]) from None


def _write_letter(project: Project, company: Company, ledger: Ledger, debtor: DebtorPlan, run_date: date,
                  rates: HalfYearRates | None, note: str, folder: Path, names: set[str], print_later: PrintLater
                  ) -> tuple[str, list[Rendered], list[Path]]:
    stage = debtor.stage
    assert stage is not None  # a debtor the run sends to has its stage
    first = debtor.rows[0]
    where = ledger.problem(first, "debtor_name", "", "")
    outputs = render_stage(project.root, stage,
                           lambda html: filled_context(company, debtor, stage, run_date, rates, html, note,
                                                       {"call": debtor.call}), where,
                           long_sms=True)
    slug = _unique(_slug(debtor.debtor_id), names)
    _, written = write_rendered(project, outputs, folder / "letters" / f"{slug}-{stage.id}", run_date, print_later)
    debtor.documents = [p.relative_to(folder).as_posix() for p in written]
    return slug, outputs, written


def _write_claim(project: Project, company: Company, ledger: Ledger, debtor: DebtorPlan, claim: Stage, run_date: date,
                 rates: HalfYearRates | None, note: str, folder: Path, names: set[str], print_later: PrintLater) -> None:
    """The « réclamation des pénalités de retard » of a debtor's invoices paid late (plan._paid_late)."""
    view = replace(debtor, stage=claim, invoices=list(debtor.penalty_claims))
    where = ledger.problem(debtor.rows[0], "debtor_name", "", "")
    outputs = render_stage(project.root, claim, lambda html: filled_context(
        company, view, claim, run_date, rates, html, note, claim_extra(view.invoices)), where)
    slug = _unique(f"{_slug(debtor.debtor_id)}-{claim.id}", names)
    _, written = write_rendered(project, outputs, folder / "letters" / slug, run_date, print_later)
    debtor.claim_documents = [p.relative_to(folder).as_posix() for p in written]


def _send_outputs(company: Company, debtor: DebtorPlan, slug: str, outputs: list[Rendered], pdfs: list[Path],
                  run_date: date, folder: Path, sms: list[tuple[str, str, str]], messages: list[dict[str, object]]
                  ) -> list[str]:
    """A ready-to-send .eml for each e-mail (with the stage's PDF attached), an SMS line with its
    number in E.164 form; a missing address or number, or a landline, is a warning on the debtor.
    Returns the .eml paths; what `dunning send` may send is added to `messages`."""
    first = debtor.rows[0]
    emails: list[str] = []
    stage = debtor.stage
    assert stage is not None  # a debtor the run sends to has its stage
    sendable = stage.channel in ("email", "sms")  # a companion e-mail goes with its call or letter

    def message(channel: str, to: str, path: str) -> None:
        if sendable:
            messages.append({"debtor_id": debtor.debtor_id, "stage": stage.id, "channel": channel, "to": to,
                             "path": path, "automatic": stage.automatic})

    for out in outputs:
        if out.channel == "email":
            if not first.debtor_email:
                debtor.warn("pas d’adresse électronique dans le registre : courriel à envoyer à la main")
                continue
            try:
                path = write_email(folder, f"{slug}-{stage.id}{out.suffix}", company.identity,
                                   first.debtor_email, out.text, run_date, pdfs)
            except ValueError:  # not exactly one address: this debtor's warning, the run goes on
                shown = "".join(c if c.isprintable() else " " for c in first.debtor_email)
                debtor.warn(f"adresse électronique « {shown} » inutilisable (une seule adresse "
                                       "nom@domaine est attendue) : courriel à envoyer à la main")
                continue
            emails.append(path.relative_to(folder).as_posix())
            message("email", first.debtor_email.strip(), emails[-1])
        elif out.channel == "sms":
            long = too_long(out.text)  # made too long by this debtor's data (an invoice number…)
            if long:
                emails += _long_sms(company, debtor, f"{slug}-{stage.id}{out.suffix}", out.text, run_date,
                                    folder, long, message)
                continue
            if not first.debtor_phone:
                debtor.warn("pas de numéro de téléphone dans le registre : SMS à envoyer à la main")
                continue
            if not usable_phone(first.debtor_phone):
                debtor.warn("numéro de téléphone illisible dans le registre : SMS à envoyer à la main")
                continue
            number = e164(first.debtor_phone)
            if number is None:
                debtor.warn(f"numéro « {first.debtor_phone} » illisible au format international (+33…) : "
                                       "SMS à envoyer à la main")
                continue
            if not mobile(number):
                emails += _long_sms(company, debtor, f"{slug}-{stage.id}{out.suffix}", out.text, run_date,
                                    folder, f"numéro {number} fixe : un SMS ne l’atteint pas", message,
                                    "appeler le débiteur à la place")
                continue
            sms.append((number, debtor.name, out.text))
            message("sms", number, f"letters/{slug}-{stage.id}{out.suffix}.txt")
    debtor.documents = [*debtor.documents, *emails]
    return emails


def _long_sms(company: Company, debtor: DebtorPlan, stem: str, text: str, run_date: date, folder: Path, why: str,
              message: Message | None = None, otherwise: str = "à raccourcir et envoyer à la main") -> list[str]:
    """An SMS too long for this debtor, or for a landline: sent by e-mail instead when the debtor has an
    address, else left to staff; that debtor's warning either way, and the rest of the run goes on."""
    to = debtor.rows[0].debtor_email
    stage = debtor.stage
    assert stage is not None  # a debtor the run sends to has its stage
    try:
        path = write_email(folder, stem, company.identity, to, f"Objet : {stage.title}\n\n{text}\n", run_date,
                           []) if to else None
    except ValueError:  # not exactly one address (the ledger already warned)
        path = None
    if path:
        shown = path.relative_to(folder).as_posix()
        debtor.warn(f"{why} ; envoyé par courriel à la place ({shown}), absent de {SMS_LIST}")
        if message:
            message("email", to.strip(), shown)
        return [shown]
    debtor.warn(f"{why} ; absent de {SMS_LIST} et pas d’adresse électronique utilisable : {otherwise}")
    return []


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "debiteur"


def _unique(slug: str, names: set[str]) -> str:
    candidate, n = slug, 2
    while candidate.lower() in names:
        candidate, n = f"{slug}-{n}", n + 1
    names.add(candidate.lower())
    return candidate


def plan_json(company: Company, run_date: date, debtors: list[DebtorPlan], stopped: date | None = None
              ) -> dict[str, object]:
    """The plan.json contract (docs/manuels/technique.md, « Les sorties et leurs contrats »): money as "1234.56" strings."""
    return {
        "company": company.slug,
        "date": run_date.isoformat(),
        "interest_stopped": None if stopped is None else {"date": stopped.isoformat(), "note": stopped_note(stopped)},
        "debtors": [debtor_json(d) for d in debtors],
    }


def debtor_json(d: DebtorPlan) -> dict[str, object]:
    totals = d.totals()
    return {
        "debtor_id": d.debtor_id, "debtor_name": d.name, "kind": d.kind, "action": d.action,
        "stage": d.stage.id if d.stage else None, "channel": d.stage.channel if d.stage else None,
        "reason": d.reason, "warnings": list(d.warnings), "documents": list(d.documents),
        "invoices": [{
            "number": i.row.invoice_number, "due_date": i.row.due_date.isoformat(), "amount": json_amount(i.row.amount),
            "outstanding": json_amount(i.outstanding), "days_late": i.days_late, "interest": json_amount(i.interest),
            "indemnity": json_amount(i.indemnity), **payments_json(i),
            "periods": [{"from": p.start.isoformat(), "to": p.end.isoformat(), "days": p.days,
                         "rate": f"{p.rate:.2f}"} for p in i.periods],
        } for i in d.invoices],
        "totals": {k: json_amount(v) for k, v in totals.items()},
        "paid_late": [{"number": i.row.invoice_number, "due_date": i.row.due_date.isoformat(),
                       "paid_on": cast(date, i.paid_on).isoformat(),  # paid in full: it has its date
                       "days_late": i.days_late, "interest": json_amount(i.interest),
                       "indemnity": json_amount(i.indemnity), "claimed_now": any(i is c for c in d.penalty_claims),
                       **payments_json(i)} for i in d.paid_late],
        "claim_documents": list(d.claim_documents),
    }


def steps_json(debtors: list[DebtorPlan], folder: Path) -> list[dict[str, object]]:
    """What `dunning confirm` records: one step per debtor and claimed invoice, with the documents'
    SHA-256 (checked again at confirmation)."""
    found: list[dict[str, object]] = []
    for d in debtors:
        if d.claim_documents:  # the penalty claim: one step per invoice, never proposed again once confirmed
            documents = [{"path": doc, "sha256": sha256_file(folder / doc)} for doc in d.claim_documents]
            found += [{"debtor_id": d.debtor_id, "debtor_name": d.name, "invoice_number": i.row.invoice_number,
                       "stage": PENALTY_CLAIM, "stage_title": "Réclamation des pénalités de retard", "channel": "letter",
                       "amount_claimed": json_amount(i.interest + i.indemnity), "documents": documents}
                      for i in d.penalty_claims]
        if d.action != "send":
            continue
        stage = d.stage
        assert stage is not None  # a debtor the run sends to has its stage
        documents = [{"path": doc, "sha256": sha256_file(folder / doc)} for doc in d.documents]
        channel = stage.channel + (f"+{stage.companion}" if stage.companion else "")
        for i in d.claimed:
            found.append({"debtor_id": d.debtor_id, "debtor_name": d.name, "invoice_number": i.row.invoice_number,
                          "stage": stage.id, "stage_title": stage.title, "channel": channel,
                          "amount_claimed": json_amount(i.outstanding + i.interest + i.indemnity),
                          "documents": documents})
    return found
