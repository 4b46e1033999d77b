"""`rates add HALF-YEAR --ecb … --legal-consumer … --legal-other … --source URL`, and the
warning `validate` and `all` give when today's half-year is missing from the table."""

from __future__ import annotations

from datetime import date

from cgvkit.commands.output import report, shown
from cgvkit.law.ratefile import add_row


def cmd_rates_add(args) -> int:
    path = args.root / "data" / "rates.yaml"
    figures = {"ecb": args.ecb, "legal_individual": args.legal_consumer, "legal_other": args.legal_other}
    table = add_row(path, args.root, args.half_year, figures, args.source, args.date)
    row = table.last
    print(f"semestre {row.half_year} ajouté à {shown(path)} : BCE {row.ecb} %, intérêt légal "
          f"{row.legal_individual} % (particuliers) et {row.legal_other} % (autres cas)")
    return 0


def warn_stale_table(project, today: date) -> None:
    """One warning when the run date's half-year (or an earlier one) is missing from the table."""
    problem = project.table.stale_warning(today, f"aujourd’hui ({today.isoformat()})")
    if problem is not None:
        report([problem])
