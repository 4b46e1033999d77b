"""`dunning confirm RUN_DIR`, `dunning history COMPANY [DEBTOR]` (the journal of what was sent) and
`dunning document COMPANY DEBTOR KIND` (a payment plan, debt acknowledgement or court cover note), and
`dunning note COMPANY DEBTOR EVENT` (what happened in the debtor's file), `dunning bundle COMPANY DEBTOR`
(the court bundle, from the journal and the evidence archive)."""

from __future__ import annotations

import getpass
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cgvkit.commands.destination import checked_output
from cgvkit.commands.output import Usage, report, shown, user_file
from cgvkit.core.errors import Problem
from cgvkit.core.french import date_fr, money, typography
from cgvkit.dunning import archive, journal
from cgvkit.dunning.bundle import write_bundle
from cgvkit.dunning.confirm import confirm_run
from cgvkit.dunning.ondemand import write_document
from cgvkit.dunning.sources import LedgerSource
from cgvkit.model.ladder import CHANNEL_NAMES, ladder_for
from cgvkit.model.project import load_project

CENT = Decimal("0.01")


def journal_file(args, slug: str) -> Path:
    return args.journal or journal.default_path(args.root, slug)


def who(args) -> str:
    if getattr(args, "by", None):
        return args.by
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        raise Usage("impossible de connaître l’utilisateur : indiquez --by NOM") from None


def today(args) -> date:
    """The real day of this command (`--date` is the run's date, not today's)."""
    return getattr(args, "today", None) or args.date  # cli.main reads it once


def confirm_and_report(args, folder: Path) -> None:
    """Confirm the run of `folder`, its steps dated `--sent` (`dunning confirm`) or the run date."""
    sent = getattr(args, "sent", None) or args.date
    done = confirm_run(args.root, folder, args.journal, who(args), sent, today(args),
                       tuple(getattr(args, "only", None) or ()), tuple(getattr(args, "skip", None) or ()))
    print(f"relance confirmée : {done.steps} étape(s) inscrite(s) au journal {done.journal}, "
          f"envoi du {date_fr(sent)}")


def cmd_confirm(args) -> int:
    folder = args.run_dir if args.run_dir.is_absolute() or args.run_dir.exists() else args.root / args.run_dir
    if not folder.is_dir():
        raise Usage(f"dossier de relance introuvable : {args.run_dir}")
    if args.sent and args.sent > today(args):
        raise Usage(typography(f"--sent {args.sent.isoformat()} : date postérieure à aujourd’hui "
                               f"({date_fr(today(args))}) ; on ne confirme que des documents envoyés"))
    confirm_and_report(args, folder)
    return 0


def channel_fr(channel: str) -> str:
    return " + ".join(CHANNEL_NAMES.get(c, c) for c in channel.split("+"))


def _amount(text: str | None) -> str | None:
    """« 1 200,50 » or « 1200.50 » → "1200.50"; None when not given."""
    if text is None:
        return None
    plain = "".join(text.split()).replace(",", ".")
    try:
        value = Decimal(plain)
    except InvalidOperation:
        value = Decimal(0)
    if not plain.replace(".", "", 1).isdigit() or not plain.isascii() or value <= 0 or value != value.quantize(CENT):
        raise Usage(f"--amount {text} : montant attendu en euros, positif, deux décimales au plus (1200,50)")
    return str(value.quantize(CENT))


def _event(args, company, day: date) -> journal.Event:
    """The event the options describe, checked against each other and the company's ladder."""
    base = {"debtor_id": args.debtor, "day": day, "text": args.text, "recorded_by": who(args)}
    extras = {"--amount": args.amount and not args.promise, "--lrar": args.lrar and not args.received,
              "--judgment": args.judgment and not args.procedure, "--bodacc": args.bodacc and not args.procedure,
              "--mandataire": args.mandataire and not args.procedure}
    wrong = [name for name, stray in extras.items() if stray]
    if wrong:
        raise Usage(f"{', '.join(wrong)} ne va pas avec cet événement")
    if args.call:
        return journal.Event(kind="call", detail=args.call, **base)
    if args.promise:
        if args.promise < day:
            raise Usage(f"--promise {args.promise.isoformat()} : la date promise précède le jour de la note")
        return journal.Event(kind="promise", until=args.promise, amount=_amount(args.amount), **base)
    if args.dispute:
        return journal.Event(kind="dispute", **{**base, "text": args.dispute})
    if args.dispute_closed:
        return journal.Event(kind="dispute_closed", **base)
    if args.received:
        return journal.Event(kind="received", detail=args.lrar, **{**base, "day": args.received})
    if not args.text and (args.hold or args.stage):
        raise Usage("--text est obligatoire avec --hold et --stage : dites pourquoi")
    if args.hold:
        if args.hold <= day:
            raise Usage(f"--hold {args.hold.isoformat()} : la date doit suivre le jour de la note")
        return journal.Event(kind="hold", until=args.hold, **base)
    if args.stage:
        ladder = ladder_for(company, args.root)
        ids = tuple(dict.fromkeys(i for market in company.views or (company.market,)
                                  for i in ladder.for_market(market).ids))
        if args.stage not in ids:
            raise Usage(f"--stage {args.stage} : étape inconnue de l’échelle ({', '.join(ids)})")
        return journal.Event(kind="stage", detail=args.stage, **base)
    if not args.judgment:
        raise Usage("--procedure demande --judgment AAAA-MM-JJ, la date du jugement d’ouverture")
    text = f"mandataire : {args.mandataire}" if args.mandataire else args.text
    return journal.Event(kind="procedure", detail=args.procedure, until=args.bodacc,
                         **{**base, "day": args.judgment, "text": text})


def cmd_note(args) -> int:
    """One event in the debtor's file: one transaction in the company's journal."""
    project = load_project(args.root, [user_file(args.company, args.root)])
    company = project.companies[0]
    day = args.date or today(args)
    if day > today(args):
        raise Usage(f"--date {day.isoformat()} : on ne note que ce qui s’est passé")
    event = _event(args, company, day)
    path = journal_file(args, company.slug)
    con = journal.connect(path, company.slug, shown(path))
    try:
        journal.add_event(con, event)
    finally:
        con.close()
    print(typography(f"noté au dossier {args.debtor} : {event_fr(event)} ({shown(path)})"))
    return 0


EVENT_NAMES = {"call": "appel", "promise": "promesse de paiement", "dispute": "contestation",
               "dispute_closed": "contestation réglée", "received": "lettre recommandée reçue",
               "hold": "relances suspendues", "stage": "prochaine étape choisie", "procedure": "procédure collective"}


def event_fr(event: journal.Event) -> str:
    """One line of the file, in French."""
    said = {"call": lambda e: "joint" if e.detail == "reached" else "sans réponse",
            "promise": lambda e: f"au {date_fr(e.until)}" + (f", {money(e.amount)}" if e.amount else ""),
            "received": lambda e: f"le {date_fr(e.day)}" + (f", n° {e.detail}" if e.detail else ""),
            "hold": lambda e: f"jusqu’au {date_fr(e.until)}",
            "stage": lambda e: f"« {e.detail} »",
            "procedure": lambda e: f"{e.detail}, jugement du {date_fr(e.day)}"
                                   + (f", BODACC du {date_fr(e.until)}" if e.until else "")}
    line = EVENT_NAMES[event.kind] + (f" {said[event.kind](event)}" if event.kind in said else "")
    return line + (f" — {event.text}" if event.text else "")


def cmd_history(args) -> int:
    project = load_project(args.root, [user_file(args.company, args.root)])
    company = project.companies[0]
    path = journal_file(args, company.slug)
    if not path.exists():
        print(f"Journal de relance de {company.identity['name']} : aucune étape confirmée ({shown(path)} "
              "n’existe pas encore).")
        return 0
    con = journal.connect(path, company.slug, shown(path))
    try:
        steps, notes = journal.steps(con, args.debtor), journal.events(con, args.debtor)
    finally:
        con.close()
    scope = f", débiteur {args.debtor}" if args.debtor else ""
    print(f"Journal de relance de {company.identity['name']}{scope} ({shown(path)}) : {len(steps)} étape(s), "
          f"{len(notes)} note(s)")
    names = {s.debtor_id: s.debtor_name for s in steps}
    for debtor_id in dict.fromkeys([*(s.debtor_id for s in steps), *(e.debtor_id for e in notes)]):
        print(f"\n{debtor_id}" + (f" — {names[debtor_id]}" if debtor_id in names else ""))
        lines = [(s.day, 0, s) for s in steps if s.debtor_id == debtor_id]
        lines += [(e.day, 1, e) for e in notes if e.debtor_id == debtor_id]
        for _, _, item in sorted(lines, key=lambda line: line[:2]):
            if isinstance(item, journal.Event):
                print(typography(f"  {date_fr(item.day)} : note — {event_fr(item)}, par {item.recorded_by}"))
                continue
            print(f"  {date_fr(item.day)} : {item.stage_title} ({channel_fr(item.channel)}), facture "
                  f"{item.invoice_number}, {money(item.amount_claimed)} réclamés, confirmé par {item.confirmed_by}")
            proposed = dict(item.edited)
            for path_, sha in item.documents:
                print(f"      {path_}  SHA-256 {sha}")
                if path_ in proposed:
                    print(typography(f"      modifié après la proposition : envoyé {sha[:12]}…, proposé "
                                     f"{proposed[path_][:12]}…"))
    return _archive_report(path, steps)


ARCHIVE_STATES = {"missing": "absent de l’archive des preuves", "altered": "altéré dans l’archive des preuves "
                  "(son contenu ne correspond plus à l’empreinte du journal)"}


def _archive_report(path: Path, steps: list) -> int:
    """The evidence archive checked against the journal's hashes: one warning per document missing or
    altered, and exit status 1 then (a proof is lost: restore the archive from a backup)."""
    checks = archive.check(archive.home(path), steps)
    lost = [c for c in checks if c.state != "ok"]
    report([Problem(shown(c.archived), 1, 1, "", typography(f"{c.path} (SHA-256 {c.sha256[:12]}…) : "
                    f"{ARCHIVE_STATES[c.state]}"), f"archive-{c.state}", "warning") for c in lost])
    if checks:
        print(f"\nArchive des preuves ({shown(archive.home(path))}) : {len(checks) - len(lost)} document(s) "
              f"intact(s) sur {len(checks)}" + (" ; restaurez les autres depuis une sauvegarde" if lost else ""))
    return 1 if lost else 0


def ledger_source(args) -> LedgerSource:
    """--ledger CSV, or --fec FILE [--contacts CSV]."""
    if args.contacts and not args.fec:
        raise Usage("--contacts accompagne --fec (le registre CSV porte lui-même les contacts)")
    if args.fec:
        contacts = user_file(args.contacts, args.root) if args.contacts else None
        return LedgerSource(user_file(args.fec, args.root), fec=True, contacts=contacts)
    return LedgerSource(user_file(args.ledger, args.root))


def cmd_document(args) -> int:
    project = load_project(args.root, [user_file(args.company, args.root)])
    company = project.companies[0]
    out = args.output or args.root / "dist" / "relances" / company.slug / "documents"
    written = write_document(project, company, ledger_source(args), args.debtor, args.kind, args.date,
                             out, journal_file(args, company.slug), args.schedule, getattr(args, "payments", None)
                             and user_file(args.payments, args.root))
    for path in written:
        print(f"document écrit : {shown(path)}")
    return 0


def cmd_bundle(args) -> int:
    """The court bundle of one debtor, from the journal and the evidence archive alone."""
    chosen = args.output and checked_output(args.output, args.root, "bundle")
    project = load_project(args.root, [user_file(args.company, args.root)])
    company = project.companies[0]
    path = journal_file(args, company.slug)
    out = chosen or args.root / "dist" / "dossiers" / company.slug / _folder_name(args.debtor)
    done = write_bundle(args.root, company, path, shown(path), args.debtor, out, args.date, event_fr)
    print(f"dossier de preuve écrit : {shown(done.pdf)} ({done.pieces} pièce(s), {done.pages} page(s)), avec les "
          f"originaux et leur index dans {shown(done.folder)}")
    return 0


def _folder_name(debtor: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", debtor).strip("-") or "debiteur"
