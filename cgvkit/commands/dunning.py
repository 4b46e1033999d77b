"""`dunning COMPANY.yaml --ledger CSV [--date YYYY-MM-DD] [-o DIR] [--confirm]`: the day's dunning run."""

from __future__ import annotations

from cgvkit.commands.destination import checked_output
from cgvkit.commands.journal import confirm_and_report, journal_file
from cgvkit.commands.output import report, shown, user_file
from cgvkit.dunning.confirm import runs_lock
from cgvkit.dunning.run import run_dunning, run_folder
from cgvkit.law.rates import stopped_note
from cgvkit.model.project import load_project


def cmd_dunning(args) -> int:
    chosen = args.output and checked_output(args.output, args.root, "dunning")
    company_file = user_file(args.company, args.root)
    ledger = user_file(args.ledger, args.root)
    project = load_project(args.root, [company_file])
    report(project.warnings)
    company = project.companies[0]
    # Runs and confirmations of one company wait for each other: the folder is chosen, written and
    # confirmed while no confirmation of this company is under way (a confirmed folder is never replaced).
    with runs_lock(args.root, company.slug):
        # Kept apart from the pack folder, which a pack rebuild replaces as a whole.
        out = chosen or run_folder(args.root, company.slug, args.date)
        journal = journal_file(args, company.slug)
        payments = args.payments and user_file(args.payments, args.root)
        run = run_dunning(project, company, ledger, args.date, out, journal, args.jobs, payments)
        report(run.warnings)
        debtors = run.debtors
        counts = {a: sum(d.action == a for d in debtors) for a in ("send", "suspended", "none")}
        warned = sum(bool(d.warnings) for d in debtors)
        print(f"{len(debtors)} débiteur(s) : {counts['send']} relance(s), {counts['suspended']} suspendu(s), "
              f"{counts['none']} sans action, {warned} avec avertissement(s) ; plan écrit : {shown(out)}")
        claims = sum(bool(d.claim_documents) for d in debtors)
        if claims:
            print(f"{claims} réclamation(s) des pénalités de retard de factures payées en retard (voir report.html).")
        if run.stopped:
            print(f"Taux manquants : {stopped_note(run.stopped)} (voir l’avertissement ci-dessus).")
        if args.confirm:
            confirm_and_report(args, out)
        else:
            print(f"Proposition à confirmer après envoi : python build.py dunning confirm {shown(out)}")
    return 0
