"""plan.csv as a French clerk's spreadsheet opens it: UTF-8 with BOM, `;`, decimal comma, French
headers and labels, one line per debtor and a totals line.

Ids of digits (« 00123 ») are written so that Excel keeps them as text, leading zeros included.
Text cells that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage
return) are neutralised with a leading apostrophe: a debtor named `=HYPERLINK(...)` stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from cgvkit.model.ladder import CHANNEL_NAMES, Stage

if TYPE_CHECKING:
    from cgvkit.dunning.plan import DebtorPlan

HEADERS = ("Référence débiteur", "Débiteur", "Type", "Action", "Étape", "Canal", "Motif", "Factures",
           "Principal restant dû (€)", "Intérêts (€)", "Indemnités (€)", "Total (€)", "Avertissements",
           "Documents")
KINDS = {"b2b": "professionnel", "b2c": "consommateur"}
ACTIONS = {"send": "à envoyer", "suspended": "suspendu", "none": "aucune"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MONEY_KEYS = ("outstanding", "interest", "indemnity", "total")


def safe(text: str) -> str:
    """A text cell no spreadsheet evaluates."""
    return "'" + text if text.startswith(FORMULA_START) else text


def as_text(text: str) -> str:
    """An id of digits that Excel would read as a number, losing its leading zeros (« 00123 » → 123)
    or its digits beyond the fifteenth: written as the constant text formula ="00123", which Excel
    shows as 00123. Only ASCII digits go inside it; anything else goes through `safe`."""
    if text.isascii() and text.isdigit() and (text.startswith("0") or len(text) > 15):
        return f'="{text}"'
    return safe(text)


def decimal_fr(value: Decimal) -> str:
    """1560.4 → « 1560,40 »: a number French Excel reads as a number (no thousands separator)."""
    return f"{value:.2f}".replace(".", ",")


def channel_label(stage: Stage) -> str:
    names = [CHANNEL_NAMES.get(stage.channel, stage.channel)]
    if stage.companion:
        names.append(CHANNEL_NAMES.get(stage.companion, stage.companion))
    return " + ".join(names)


def plan_csv(debtors: Sequence[DebtorPlan]) -> str:
    """The text of plan.csv, BOM included (write it with encoding="utf-8")."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    sums = dict.fromkeys(MONEY_KEYS, Decimal("0.00"))
    for d in debtors:
        totals = d.totals()
        stage = d.stage
        for key in MONEY_KEYS:
            sums[key] += totals[key]
        text = [d.debtor_id, d.name, KINDS.get(d.kind, d.kind), ACTIONS.get(d.action, d.action),
                stage.title if stage else "", channel_label(stage) if stage else "", d.reason,
                " ".join(i.row.invoice_number for i in d.invoices)]
        writer.writerow([as_text(text[0])] + [safe(t) for t in text[1:7]] + [as_text(text[7])]
                        + [decimal_fr(totals[k]) for k in MONEY_KEYS]
                        + [safe(" | ".join(d.warnings)), safe(" ".join(d.documents))])
    sends = sum(d.action == "send" for d in debtors)
    writer.writerow(["Total", f"{len(debtors)} débiteur(s)", "", f"{sends} à envoyer", "", "", "", ""]
                    + [decimal_fr(sums[k]) for k in MONEY_KEYS] + ["", ""])
    return "\ufeff" + buffer.getvalue()
