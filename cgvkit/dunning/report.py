"""report.html of a run, « À faire aujourd'hui »: what to send, to whom and how, what changed since
the last confirmed run, suspended files, an ageing chart (SVG, no JavaScript), total outstanding and DSO.

The page stands alone (inline style and chart, links relative to the run folder) so it opens from
a file share.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from markupsafe import Markup, escape

from cgvkit.core.french import date_fr, money
from cgvkit.core.templating import render
from cgvkit.dunning.spreadsheet import channel_label
from cgvkit.model.ladder import CHANNEL_NAMES, Stage

if TYPE_CHECKING:
    from cgvkit.dunning.plan import DebtorPlan
    from cgvkit.model.company import Company

ZERO = Decimal("0.00")
BUCKETS = (("0–30 j", 0, 30), ("31–60 j", 31, 60), ("61–90 j", 61, 90), ("> 90 j", 91, None))


def ageing(debtors: Sequence[DebtorPlan]) -> list[tuple[str, Decimal]]:
    """Outstanding amounts of overdue invoices by days late."""
    sums = [ZERO] * len(BUCKETS)
    for d in debtors:
        for item in d.invoices:
            if not item.overdue:
                continue
            for k, (_, low, high) in enumerate(BUCKETS):
                if item.days_late >= low and (high is None or item.days_late <= high):
                    sums[k] += item.outstanding
                    break
    return [(label, total) for (label, _, _), total in zip(BUCKETS, sums, strict=True)]


def dso(debtors: Sequence[DebtorPlan], run_date: date) -> int | None:
    """Days sales outstanding, estimated as the amount-weighted age of open invoices (run date −
    invoice date): the ledger holds open invoices only, not the period's sales."""
    weight = total = ZERO
    for d in debtors:
        for item in d.invoices:
            weight += item.outstanding * (run_date - item.row.invoice_date).days
            total += item.outstanding
    return None if not total else int((weight / total).to_integral_value())


def chart(buckets: list[tuple[str, Decimal]]) -> Markup:
    """A bar chart as inline SVG: one bar per bucket, amount above, label below."""
    width, height, bar, gap, top, bottom = 440, 200, 70, 30, 24, 28
    peak = max((v for _, v in buckets), default=ZERO) or Decimal(1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ageing" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Balance âgée des retards">']
    usable = height - top - bottom
    for k, (label, value) in enumerate(buckets):
        x = gap + k * (bar + gap)
        h = int(usable * value / peak) if value else 0
        y = top + usable - h
        parts.append(f'<rect x="{x}" y="{y}" width="{bar}" height="{max(h, 1)}" fill="#9b2226"/>')
        parts.append(f'<text x="{x + bar // 2}" y="{y - 6}" text-anchor="middle" font-size="11">'
                     f'{escape(money(value))}</text>')
        parts.append(f'<text x="{x + bar // 2}" y="{height - 10}" text-anchor="middle" font-size="12">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


# A debtor of a previous plan.json, as json.loads gives it (untyped JSON: debtor_id, totals, action…).
PlannedDebtor = dict[str, Any]


def _previous(last_run: tuple[str, str] | None, root: Path) -> tuple[str, dict[str, PlannedDebtor]] | None:
    """(date, debtors by id) of the last confirmed run's plan, when its folder is still there."""
    if last_run is None:
        return None
    day, folder = last_run
    path = Path(folder) if Path(folder).is_absolute() else root / folder
    try:
        data = json.loads((path / "plan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return day, {d["debtor_id"]: d for d in data.get("debtors", [])}


def changes(debtors: Sequence[DebtorPlan], previous: Mapping[str, PlannedDebtor]) -> list[str]:
    """What changed per debtor since the previous plan, in French."""
    found, now = [], {d.debtor_id: d for d in debtors}
    for d in debtors:
        before = previous.get(d.debtor_id)
        outstanding = d.totals()["outstanding"]
        if before is None:
            found.append(f"{d.debtor_id} {d.name} : nouveau dossier ({money(outstanding)} restant dû)")
            continue
        was = Decimal(before["totals"]["outstanding"])
        if was != outstanding:
            verb = "paiement reçu" if outstanding < was else "nouvelle(s) facture(s)"
            found.append(f"{d.debtor_id} {d.name} : {verb}, restant dû {money(was)} → {money(outstanding)}")
        if before["action"] != "suspended" and d.action == "suspended":
            found.append(f"{d.debtor_id} {d.name} : suspendu ({d.reason})")
        elif before["action"] == "suspended" and d.action != "suspended":
            found.append(f"{d.debtor_id} {d.name} : n’est plus suspendu")
    for debtor_id, before in previous.items():
        if debtor_id not in now:
            found.append(f"{debtor_id} {before['debtor_name']} : absent du registre (soldé ?)")
    return found


def _stage(d: DebtorPlan) -> Stage:
    """The stage of a debtor to send to (DebtorPlan.stage is declared `object`: plan.py is not typed)."""
    return cast(Stage, d.stage)


def _recipient(d: DebtorPlan) -> str:
    first = d.rows[0]
    channel = _stage(d).channel
    if channel == "sms" or channel == "phone":
        return first.debtor_phone or "numéro manquant"
    if channel == "email":
        return first.debtor_email or "adresse électronique manquante"
    return first.debtor_address or "adresse postale manquante"


def write_report(root: Path, company: Company, run_date: date, debtors: Sequence[DebtorPlan], folder: Path,
                 stopped: date | None, last_run: tuple[str, str] | None, outbox: Mapping[str, object],
                 final_folder: str) -> Path:
    buckets = ageing(debtors)
    outstanding = sum((d.totals()["outstanding"] for d in debtors), ZERO)
    overdue = sum((v for _, v in buckets), ZERO)
    previous = _previous(last_run, root)
    sends = [{"id": d.debtor_id, "name": d.name, "stage": _stage(d).title, "channel": channel_label(_stage(d)),
              "to": _recipient(d), "total": money(d.totals(d.claimed)["total"]), "documents": d.documents,
              "warnings": d.warnings} for d in debtors if d.action == "send"]
    # The penalty claims of invoices paid late (plan._paid_late), sent by post like any letter.
    sends += [{"id": d.debtor_id, "name": d.name, "stage": "Réclamation des pénalités de retard",
               "channel": CHANNEL_NAMES["letter"], "to": d.rows[0].debtor_address or "adresse postale manquante",
               "total": money(sum((i.interest + i.indemnity for i in d.penalty_claims), ZERO)),
               "documents": d.claim_documents, "warnings": []} for d in debtors if d.claim_documents]
    html = render(root, "dunning/report.html", company=company.identity["name"], day=date_fr(run_date),
                  stopped=date_fr(stopped) if stopped else "", sends=sends,
                  suspended=[d for d in debtors if d.action == "suspended"],
                  idle=[d for d in debtors if d.action == "none"],
                  outstanding=money(outstanding), overdue=money(overdue), not_due=money(outstanding - overdue),
                  dso=dso(debtors, run_date), chart=chart(buckets), buckets=[(k, money(v)) for k, v in buckets],
                  previous=date_fr(date.fromisoformat(previous[0])) if previous else None,
                  changes=changes(debtors, previous[1]) if previous else [],
                  outbox=outbox, folder=final_folder)
    target = folder / "report.html"
    target.write_text(html, encoding="utf-8")
    return target
