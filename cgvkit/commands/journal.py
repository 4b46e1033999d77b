"""`dunning confirm RUN_DIR`, `dunning history COMPANY [DEBTOR]` (the journal of what was sent) and
`dunning document COMPANY DEBTOR KIND` (a payment plan, debt acknowledgement or court cover note)."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path

from cgvkit.commands.output import Usage, shown, user_file
from cgvkit.core.french import date_fr, money, typography
from cgvkit.dunning import journal
from cgvkit.dunning.confirm import confirm_run
from cgvkit.dunning.ondemand import write_document
from cgvkit.model.ladder import CHANNEL_NAMES
from cgvkit.model.project import load_project


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
    return getattr(args, "today", None) or date.today()


def confirm_and_report(args, folder: Path) -> None:
    """Confirm the run of `folder`, its steps dated `--sent` (`dunning confirm`) or the run date."""
    sent = getattr(args, "sent", None) or args.date
    done = confirm_run(args.root, folder, args.journal, who(args), sent, today(args))
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
        steps = journal.steps(con, args.debtor)
    finally:
        con.close()
    scope = f", débiteur {args.debtor}" if args.debtor else ""
    print(f"Journal de relance de {company.identity['name']}{scope} ({shown(path)}) : {len(steps)} étape(s)")
    for debtor_id in dict.fromkeys(s.debtor_id for s in steps):
        mine = [s for s in steps if s.debtor_id == debtor_id]
        print(f"\n{debtor_id} — {mine[0].debtor_name}")
        for step in mine:
            print(f"  {date_fr(step.day)} : {step.stage_title} ({channel_fr(step.channel)}), facture "
                  f"{step.invoice_number}, {money(step.amount_claimed)} réclamés, confirmé par {step.confirmed_by}")
            for path_, sha in step.documents:
                print(f"      {path_}  SHA-256 {sha}")
    return 0


def cmd_document(args) -> int:
    project = load_project(args.root, [user_file(args.company, args.root)])
    company = project.companies[0]
    out = args.output or args.root / "dist" / "relances" / company.slug / "documents"
    written = write_document(project, company, user_file(args.ledger, args.root), args.debtor, args.kind, args.date,
                             out, journal_file(args, company.slug), args.schedule)
    for path in written:
        print(f"document écrit : {shown(path)}")
    return 0
