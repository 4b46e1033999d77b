"""`dunning COMPANY.yaml --ledger CSV | --fec FEC [--contacts CSV] [--date YYYY-MM-DD] [-o DIR] [--confirm |
--send-automatic]`: the day's dunning run; `dunning send RUN_DIR`: its e-mails and SMS sent by the kit."""

from __future__ import annotations

import os

from cgvkit.commands.destination import checked_output
from cgvkit.commands.journal import confirm_and_report, journal_file, ledger_source, today, who
from cgvkit.commands.output import Usage, report, shown, user_file
from cgvkit.core.french import typography
from cgvkit.dunning.confirm import load_proposal, runs_lock
from cgvkit.dunning.run import run_dunning, run_folder
from cgvkit.law.rates import stopped_note
from cgvkit.model.project import load_project


def cmd_dunning(args) -> int:
    if args.confirm and args.send_automatic:
        raise Usage("--confirm et --send-automatic s’excluent : les étapes automatiques sont inscrites au journal "
                    "à leur envoi, les autres attendent dunning confirm")
    chosen = args.output and checked_output(args.output, args.root, "dunning")
    company_file = user_file(args.company, args.root)
    ledger = ledger_source(args)
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
    if args.send_automatic:  # after the lock: sending takes it again, and may wait for servers
        return _send(args, company, out, automatic=True)
    return 0


def cmd_send(args) -> int:
    folder = args.run_dir if args.run_dir.is_absolute() or args.run_dir.exists() else args.root / args.run_dir
    if not folder.is_dir():
        raise Usage(f"dossier de relance introuvable : {args.run_dir}")
    slug = load_proposal(folder, args.root).company  # checked: a company id
    project = load_project(args.root, [args.root / "companies" / f"{slug}.yaml"])
    report(project.warnings)
    return _send(args, project.companies[0], folder)


def _send(args, company, folder, automatic: bool = False) -> int:
    from cgvkit.dunning.send import Retry, send_run

    pause = os.environ.get("CGVKIT_SEND_PAUSE", "")  # seconds before a second try (tests: 0.1)
    retry = Retry(pause=float(pause)) if pause.replace(".", "", 1).isdigit() else Retry()
    done = send_run(args.root, folder, company.sending, os.environ, today(args), who(args),
                    tuple(getattr(args, "only", None) or ()), tuple(getattr(args, "resend", None) or ()),
                    getattr(args, "dry_run", False), automatic, getattr(args, "journal", None), retry)
    for message in done.planned:
        print(f"à envoyer : {message.shown()}")
    for message, said in done.sent:
        print(f"envoyé : {message.shown()} — réponse du serveur : {said}")
    for message in done.done:
        print(f"déjà envoyé ou inscrit au journal : {message.shown()}")
    for warning in done.warnings:
        print(typography(f"avertissement : {warning}"))
    for message, said in done.refused:
        print(typography(f"refusé : {message.shown()} — {said} ; non envoyé, vérifiez l’adresse ou le numéro"))
    for message, why in done.failed:
        print(typography(f"non envoyé : {message.shown()} — {why} ; réessayé au prochain envoi"))
    for message in done.unknown:
        print(typography(f"état inconnu : {message.shown()} — l’envoi a été interrompu pendant que le serveur le "
                         "recevait ; vérifiez s’il est parti (copie cachée, boîte d’envoi), puis dunning confirm "
                         f"{shown(folder)} --only {message.debtor_id} s’il est parti, ou dunning send --resend "
                         f"{message.debtor_id} s’il ne l’est pas"))
    if done.stopped:
        print(typography(f"envoi arrêté : {done.stopped}"))
    verb = "à envoyer" if getattr(args, "dry_run", False) else "envoyé(s)"
    count = len(done.planned) if getattr(args, "dry_run", False) else len(done.sent)
    print(typography(f"{count} message(s) {verb}, {len(done.refused)} refusé(s), {len(done.failed)} non envoyé(s), "
                     f"{len(done.unknown)} à l’état inconnu, {len(done.done)} déjà envoyé(s)"))
    return 1 if done.unsent else 0
