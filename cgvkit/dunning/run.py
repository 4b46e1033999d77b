"""One dunning run: plan from the ledger, then every output written into one folder.

Plan first (fast, no files), then write every output in a staging folder swapped in at the end:
a bad ledger or a missing rate writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.files import staged_dir
from cgvkit.documents.letterfiles import write_rendered
from cgvkit.documents.letters import filled_context, render_stage
from cgvkit.dunning.ledger import load_ledger
from cgvkit.dunning.plan import interest_until, plan
from cgvkit.law.rates import stopped_note
from cgvkit.model.ladder import ladder_for

CSV_FIELDS = ("debtor_id", "debtor_name", "kind", "action", "stage", "channel", "reason", "invoices",
              "outstanding", "interest", "indemnity", "total", "warnings", "documents")


@dataclass
class Run:
    debtors: list
    warnings: list = field(default_factory=list)  # Problem, severity "warning"
    stopped: date | None = None  # interest stops here: the rate table ends before the run date


def run_dunning(project, company, ledger_path: Path, run_date: date, out: Path) -> Run:
    ladder = ladder_for(company, project.root)
    ledger = load_ledger(ledger_path, project.root, company.market, ladder.ids)
    debtors = plan(company, ladder, ledger, project.table, run_date)
    result = Run(debtors)
    stale = project.table.stale_warning(run_date, f"date de relance {run_date.isoformat()}")
    if stale is not None:
        result.warnings.append(stale)
        result.stopped = interest_until(project.table, run_date)
    rates = _rates(project, ledger, run_date) if any(d.action == "send" for d in debtors) else None
    note = stopped_note(result.stopped) if result.stopped else ""
    with staged_dir(out) as stage:
        names: set = set()
        for debtor in debtors:
            if debtor.action == "send":
                _write_letter(project, company, ledger, debtor, run_date, rates, note, stage, names)
        (stage / "plan.json").write_text(json.dumps(plan_json(company, run_date, debtors, result.stopped),
                                                    ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (stage / "plan.csv").write_text(plan_csv(debtors), encoding="utf-8")
    return result


def _rates(project, ledger, run_date: date):
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


def _write_letter(project, company, ledger, debtor, run_date, rates, note, folder: Path, names: set) -> None:
    stage = debtor.stage
    first = debtor.rows[0]
    where = ledger.problem(first, "debtor_name", "", "")
    outputs = render_stage(project.root, stage,
                           lambda html: filled_context(company, debtor, stage, run_date, rates, html, note), where)
    slug = _unique(_slug(debtor.debtor_id), names)
    _, written = write_rendered(project, outputs, folder / "letters" / f"{slug}-{stage.id}", run_date)
    debtor.documents = [p.relative_to(folder).as_posix() for p in written]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "debiteur"


def _unique(slug: str, names: set) -> str:
    candidate, n = slug, 2
    while candidate.lower() in names:
        candidate, n = f"{slug}-{n}", n + 1
    names.add(candidate.lower())
    return candidate


def _money(value) -> str:
    return f"{value:.2f}"


def plan_json(company, run_date: date, debtors: list, stopped: date | None = None) -> dict:
    """The plan.json contract (README « Relances et recouvrement »): money as "1234.56" strings."""
    return {
        "company": company.slug,
        "date": run_date.isoformat(),
        "interest_stopped": None if stopped is None else {"date": stopped.isoformat(), "note": stopped_note(stopped)},
        "debtors": [debtor_json(d) for d in debtors],
    }


def debtor_json(d) -> dict:
    totals = d.totals()
    return {
        "debtor_id": d.debtor_id, "debtor_name": d.name, "kind": d.kind, "action": d.action,
        "stage": d.stage.id if d.stage else None, "channel": d.stage.channel if d.stage else None,
        "reason": d.reason, "warnings": list(d.warnings), "documents": list(d.documents),
        "invoices": [{
            "number": i.row.invoice_number, "due_date": i.row.due_date.isoformat(), "amount": _money(i.row.amount),
            "outstanding": _money(i.outstanding), "days_late": i.days_late, "interest": _money(i.interest),
            "indemnity": _money(i.indemnity),
            "periods": [{"from": p.start.isoformat(), "to": p.end.isoformat(), "days": p.days,
                         "rate": f"{p.rate:.2f}"} for p in i.periods],
        } for i in d.invoices],
        "totals": {k: _money(v) for k, v in totals.items()},
    }


def plan_csv(debtors: list) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for d in debtors:
        totals = d.totals()
        writer.writerow([d.debtor_id, d.name, d.kind, d.action, d.stage.id if d.stage else "",
                         d.stage.channel if d.stage else "", d.reason,
                         " ".join(i.row.invoice_number for i in d.invoices),
                         _money(totals["outstanding"]), _money(totals["interest"]), _money(totals["indemnity"]),
                         _money(totals["total"]), " | ".join(d.warnings), " ".join(d.documents)])
    return buffer.getvalue()
