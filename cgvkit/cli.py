"""Command line: `python build.py COMMAND ...` or `python -m cgvkit` or `cgvkit`.

Parses arguments, finds the project folder and calls one command of `cgvkit/commands/`.
The only place that picks exit codes: 0 success; 1 the input is wrong (every problem
printed); 2 wrong usage.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from datetime import date
from pathlib import Path

from cgvkit.commands.arguments import FrenchParser
from cgvkit.commands.output import Usage, report, shown
from cgvkit.core.errors import KitError, os_reason
from cgvkit.core.french import typography

# A folder holding these is a project: clauses and companies are what a law firm keeps.
PROJECT_MARKERS = ("clauses", "companies")
PAYMENTS_HELP = ("règlements datés (CSV UTF-8 : invoice_number, date, amount), plusieurs par facture ; leur somme "
                 "remplace un paid_amount vide ou doit l’égaler")


def run(default_root: Path | None = None) -> None:
    """The command line as a process of its own (build.py, `python -m cgvkit`, the `cgvkit` script):
    `main`, then exit with its code."""
    # WeasyPrint makes objects by the hundred thousand: no collection while one document is laid out
    # (one every 200,000 new objects still bounds what `all` and `serve` hold), and none at exit over
    # what is left. About 0.15 s of a 1.5 s CGV preview.
    gc.set_threshold(200_000, 20, 20)
    code = main(default_root=default_root)
    gc.freeze()
    sys.exit(code)


def main(argv: list[str] | None = None, default_root: Path | None = None) -> int:
    """Run one command; `default_root` is the project used when neither --root nor the
    current folder is one (build.py passes its own folder)."""
    today = date.today()  # the run date, read once: every command is given it (or --date)
    parser = _parser(today)
    args = parser.parse_args(_sub_commands(list(sys.argv[1:] if argv is None else argv)))
    if getattr(args, "date", None) is None:
        args.date = today
    args.today = today  # the real day, whatever --date says (a confirmation is never dated after it)
    try:
        args.root = project_root(getattr(args, "root", None), default_root)
        return args.run(args)
    except KitError as exc:
        report(exc.problems)
        errors = sum(p.severity == "error" for p in exc.problems)
        print(f"\n{errors} erreur(s) : ce qui est en erreur n’a pas été écrit, les sorties précédentes "
              "restent intactes.", file=sys.stderr)
        return 1
    except Usage as exc:
        print(f"usage : {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a read-only or full output folder: say so, in French, exit 1
        where = f"{shown(Path(exc.filename))} : " if exc.filename else ""
        print(f"{where}écriture ou lecture impossible ({os_reason(exc)}) : ce qui devait être écrit ne l’a "
              "pas été, les sorties précédentes restent intactes.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(typography("\ninterrompu : ce qui était en cours n’a pas été écrit, les sorties précédentes "
                         "restent intactes"), file=sys.stderr)
        return 130


def _command(module: str, name: str):
    """`name` from `cgvkit.commands.<module>`, imported when it runs: each command loads only what it
    uses (WeasyPrint, MkDocs, pypdf and rich take most of a second to import)."""
    def run(args):
        return getattr(importlib.import_module(f"cgvkit.commands.{module}"), name)(args)
    run.__name__ = name
    return run


def _sub_commands(argv: list[str]) -> list[str]:
    """`dunning confirm …` and `dunning history …` → the `dunning-confirm` / `dunning-history` parsers
    (`dunning` itself takes the company file as its first positional argument)."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] == "--root" else 1
    if i + 1 < len(argv) and argv[i] == "dunning" and argv[i + 1] in ("confirm", "history", "document", "note", "bundle", "send"):
        return argv[:i] + [f"dunning-{argv[i + 1]}"] + argv[i + 2:]
    return argv


def project_root(given: Path | None, default: Path | None) -> Path:
    """--root if given; else the current folder if it is a project; else `default`."""
    if given is not None:
        if not all((given / name).is_dir() for name in PROJECT_MARKERS):
            raise Usage(f"--root {given} : ce dossier n’est pas un projet (il lui faut clauses/ et companies/)")
        return given.resolve()
    here = Path.cwd()
    if default is None or all((here / name).is_dir() for name in PROJECT_MARKERS):
        return here.resolve()
    return default.resolve()


def _ledger_arguments(p) -> None:
    """--ledger CSV or --fec FILE (one of them), and --contacts with a FEC."""
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--ledger", type=Path, help="registre des factures (CSV, en-têtes anglais ou français)")
    source.add_argument("--fec", type=Path, help="fichier des écritures comptables (FEC) de l’exercice")
    p.add_argument("--contacts", type=Path, help="avec --fec : courriel, téléphone, adresse et type de chaque débiteur (CSV)")
    p.add_argument("--payments", type=Path, help=PAYMENTS_HELP)


def _parser(today: date) -> FrenchParser:
    root = FrenchParser(add_help=False)
    root.add_argument("--root", type=Path, default=argparse.SUPPRESS,
                      help="dossier du projet (défaut : le dossier courant, ou celui de build.py)")
    parser = FrenchParser(prog="build.py", description="Kit CGV et recouvrement.", parents=[root])
    sub = parser.add_subparsers(dest="command")
    parser.set_defaults(run=_command("batch", "cmd_all"), jobs=None, shard=None, force=False, no_site=False, date=today)
    # validate, pack and all check the CGV against the law in force on this day as well as on their effective date.
    law_day = FrenchParser(add_help=False)
    law_day.add_argument("--date", type=_day, default=today,
                         help="jour auquel la loi est appliquée, AAAA-MM-JJ (défaut : aujourd’hui)")

    p = sub.add_parser("validate", parents=[root, law_day], help="valide clauses, entreprises, taux et gabarits")
    p.add_argument("paths", nargs="*", type=Path)
    p.set_defaults(run=_command("project", "cmd_validate"))

    p = sub.add_parser("pack", parents=[root, law_day], help="construit le pack d’une entreprise")
    p.add_argument("company", type=Path)
    p.add_argument("-o", "--output", type=Path)
    p.add_argument("--only", choices=["cgv"], default=None,
                   help="n’imprime que les CGV, dans dist/apercu/<entreprise>/ par défaut (aperçu rapide)")
    p.set_defaults(run=_command("project", "cmd_pack"))

    p = sub.add_parser("schema", parents=[root], help="écrit les JSON Schema pour les éditeurs")
    p.add_argument("-o", "--output", type=Path, help="dossier de sortie (défaut : schemas/json/)")
    p.set_defaults(run=_command("project", "cmd_schema"))

    p = sub.add_parser("all", parents=[root, law_day], help="valide, construit tous les packs et le site")
    p.add_argument("--jobs", type=_positive, default=None, help="processus en parallèle (défaut : nombre de cœurs)")
    p.add_argument("--shard", type=_shard, default=None, metavar="I/N", help="ne construit que le lot I sur N")
    p.add_argument("--force", action="store_true", help="reconstruit même les packs à jour")
    p.add_argument("--no-site", action="store_true", help="ne construit pas le site")
    p.set_defaults(run=_command("batch", "cmd_all"))

    p = sub.add_parser("merge", parents=[root], help="fusionne les index des lots de dist/ en dist/index.json")
    p.add_argument("dist", type=Path, nargs="?", default=None)
    p.set_defaults(run=_command("batch", "cmd_merge"))

    p = sub.add_parser("dunning", parents=[root],
                       help="relances du jour : plan et lettres remplies à partir d’un registre CSV ou du FEC",
                       epilog="Aussi : dunning confirm DOSSIER (inscrit au journal une relance envoyée), "
                              "dunning send DOSSIER (envoie ses courriels et SMS), "
                              "dunning history ENTREPRISE [DÉBITEUR] (le journal), dunning document ENTREPRISE "
                              "DÉBITEUR DOCUMENT (échéancier, reconnaissance de dette, note de saisine).")
    p.add_argument("company", type=Path)
    _ledger_arguments(p)
    p.add_argument("--date", type=_day, default=today, help="date de la relance, AAAA-MM-JJ (défaut : aujourd’hui)")
    p.add_argument("-o", "--output", type=Path, help="dossier de sortie (défaut : dist/relances/<entreprise>/<date>/)")
    p.add_argument("--journal", type=Path, help="journal SQLite (défaut : data/journal/<entreprise>.sqlite)")
    p.add_argument("--confirm", action="store_true", help="inscrit aussitôt la relance au journal")
    p.add_argument("--send-automatic", action="store_true",
                   help="envoie aussitôt les courriels et SMS des étapes automatiques (sending du profil)")
    p.add_argument("--by", type=_who, help="qui confirme (défaut : l’utilisateur du système)")
    p.add_argument("--jobs", type=_positive, default=None, help="lettres imprimées en parallèle (défaut : nombre de cœurs)")
    p.set_defaults(run=_command("dunning", "cmd_dunning"))

    p = sub.add_parser("diff", parents=[root],
                       help="ce qui a changé dans les clauses depuis une version git : comparaisons en français")
    p.add_argument("ref", nargs="?", default=None,
                   help="référence git (défaut : le commit d’avant la dernière modification de clauses/)")
    p.add_argument("-o", "--output", type=Path, help="dossier de sortie (défaut : dist/modifications/<commit>/)")
    p.set_defaults(run=_command("diff", "cmd_diff"))

    p = sub.add_parser("dunning-confirm", parents=[root], prog="build.py dunning confirm",
                       help="dunning confirm DOSSIER : inscrit au journal une relance envoyée")
    p.add_argument("run_dir", type=Path, metavar="DOSSIER", help="dossier de la relance (celui de plan.json)")
    p.add_argument("--journal", type=Path, help="journal SQLite (défaut : celui de plan.json)")
    p.add_argument("--by", type=_who, help="qui confirme (défaut : l’utilisateur du système)")
    p.add_argument("--sent", type=_day, default=None, metavar="AAAA-MM-JJ",
                   help="jour où les documents ont été envoyés (défaut : aujourd’hui)")
    chosen = p.add_mutually_exclusive_group()
    chosen.add_argument("--only", action="append", type=_debtor, metavar="DÉBITEUR",
                        help="ne confirme que ce débiteur (répétable)")
    chosen.add_argument("--skip", action="append", type=_debtor, metavar="DÉBITEUR",
                        help="confirme tout sauf ce débiteur, proposé de nouveau à la relance suivante (répétable)")
    p.set_defaults(run=_command("journal", "cmd_confirm"))

    p = sub.add_parser("dunning-send", parents=[root], prog="build.py dunning send",
                       help="dunning send DOSSIER : envoie les courriels et SMS d’une relance et les inscrit au journal")
    p.add_argument("run_dir", type=Path, metavar="DOSSIER", help="dossier de la relance (celui de plan.json)")
    p.add_argument("--journal", type=Path, help="journal SQLite (défaut : celui de plan.json)")
    p.add_argument("--by", type=_who, help="qui envoie (défaut : l’utilisateur du système)")
    p.add_argument("--only", action="append", type=_debtor, metavar="DÉBITEUR",
                   help="n’envoie que les messages de ce débiteur (répétable)")
    p.add_argument("--resend", action="append", type=_debtor, metavar="DÉBITEUR",
                   help="renvoie les messages « état inconnu » de ce débiteur, après vérification qu’ils ne sont "
                        "pas partis (répétable)")
    p.add_argument("--dry-run", action="store_true", help="dit ce qui partirait, sans rien envoyer ni écrire")
    p.set_defaults(run=_command("dunning", "cmd_send"))

    p = sub.add_parser("dunning-note", parents=[root], prog="build.py dunning note",
                       help="dunning note ENTREPRISE DÉBITEUR ÉVÉNEMENT : note au dossier du débiteur (appel, "
                            "promesse, contestation, réception, suspension, étape, procédure collective)")
    p.add_argument("company", type=Path)
    p.add_argument("debtor", type=_debtor, metavar="DÉBITEUR", help="identifiant du débiteur dans le registre")
    p.add_argument("--date", type=_day, default=None, help="jour de l’événement, AAAA-MM-JJ (défaut : aujourd’hui)")
    p.add_argument("--by", type=_who, help="qui note (défaut : l’utilisateur du système)")
    p.add_argument("--journal", type=Path, help="journal SQLite (défaut : data/journal/<entreprise>.sqlite)")
    event = p.add_mutually_exclusive_group(required=True)
    event.add_argument("--call", choices=["reached", "no_answer"], help="issue d’un appel : joint ou sans réponse")
    event.add_argument("--promise", type=_day, metavar="AAAA-MM-JJ", help="promesse de paiement à cette date")
    event.add_argument("--dispute", type=_line, metavar="MOTIF", help="contestation : suspend les relances")
    event.add_argument("--dispute-closed", action="store_true", help="contestation réglée : les relances reprennent")
    event.add_argument("--received", type=_day, metavar="AAAA-MM-JJ",
                       help="réception (première présentation) de la dernière lettre recommandée")
    event.add_argument("--hold", type=_day, metavar="AAAA-MM-JJ", help="aucune relance avant cette date")
    event.add_argument("--stage", metavar="ÉTAPE", help="prochaine étape à proposer (un id de l’échelle)")
    event.add_argument("--procedure", choices=["sauvegarde", "redressement", "liquidation"],
                       help="procédure collective ouverte (avec --judgment)")
    p.add_argument("--text", type=_line, help="ce qui a été dit ou convenu (obligatoire avec --hold et --stage)")
    p.add_argument("--amount", help="montant promis (avec --promise), par exemple 1200,50")
    p.add_argument("--lrar", type=_line, metavar="NUMÉRO", help="numéro de la lettre recommandée (avec --received)")
    p.add_argument("--judgment", type=_day, metavar="AAAA-MM-JJ", help="date du jugement d’ouverture")
    p.add_argument("--bodacc", type=_day, metavar="AAAA-MM-JJ", help="date de publication du jugement au BODACC")
    p.add_argument("--mandataire", type=_line, help="mandataire ou liquidateur judiciaire")
    p.set_defaults(run=_command("journal", "cmd_note"))

    p = sub.add_parser("dunning-history", parents=[root], prog="build.py dunning history",
                       help="dunning history ENTREPRISE [DÉBITEUR] : le journal des relances")
    p.add_argument("company", type=Path)
    p.add_argument("debtor", nargs="?", default=None, metavar="DÉBITEUR", help="identifiant du débiteur")
    p.add_argument("--journal", type=Path, help="journal SQLite (défaut : data/journal/<entreprise>.sqlite)")
    p.set_defaults(run=_command("journal", "cmd_history"))

    p = sub.add_parser("dunning-bundle", parents=[root], prog="build.py dunning bundle",
                       help="dunning bundle ENTREPRISE DÉBITEUR : le dossier de preuve pour le tribunal (un PDF, "
                            "les originaux et leur index), tiré du journal et de l’archive des preuves")
    p.add_argument("company", type=Path)
    p.add_argument("debtor", type=_debtor, metavar="DÉBITEUR", help="identifiant du débiteur")
    p.add_argument("--journal", type=Path, help="journal SQLite (défaut : data/journal/<entreprise>.sqlite)")
    p.add_argument("--date", type=_day, default=today, help="date du dossier, AAAA-MM-JJ (défaut : aujourd’hui)")
    p.add_argument("-o", "--output", type=Path,
                   help="dossier de sortie (défaut : dist/dossiers/<entreprise>/<débiteur>/)")
    p.set_defaults(run=_command("journal", "cmd_bundle"))

    p = sub.add_parser("dunning-document", parents=[root], prog="build.py dunning document",
                       help="dunning document ENTREPRISE DÉBITEUR DOCUMENT : échéancier, reconnaissance de dette "
                            "ou note de saisine remplis pour un débiteur")
    p.add_argument("company", type=Path)
    p.add_argument("debtor", metavar="DÉBITEUR", help="identifiant du débiteur dans le registre")
    p.add_argument("kind", metavar="DOCUMENT", help="un document de l’échelle (rubrique documents), par exemple "
                   "payment_plan, promise_confirmation, dispute_reply, penalty_claim, statement_of_account (relevé de "
                   "compte ; « releve » aussi), claim_declaration ou injunction_request")
    _ledger_arguments(p)
    p.add_argument("--date", type=_day, default=today, help="date du document (défaut : aujourd’hui)")
    p.add_argument("--schedule", action="append", default=[], metavar="AAAA-MM-JJ:MONTANT",
                   help="une échéance de l’échéancier (répétable ; la dernière sans montant prend le reste)")
    p.add_argument("--journal", type=Path, help="journal SQLite (défaut : data/journal/<entreprise>.sqlite)")
    p.add_argument("-o", "--output", type=Path, help="dossier de sortie (défaut : dist/relances/<entreprise>/documents/)")
    p.set_defaults(run=_command("journal", "cmd_document"))

    p = sub.add_parser("rates", parents=[root], help="table des taux (data/rates.yaml)")
    rates = p.add_subparsers(dest="rates_command", required=True)
    p = rates.add_parser("add", parents=[root, law_day], help="ajoute le semestre suivant, avec ses sources")
    p.add_argument("half_year", metavar="SEMESTRE", help="le semestre à ajouter, par exemple 2026-H2")
    p.add_argument("--ecb", required=True, help="taux de refinancement principal de la BCE (%% l’an)")
    p.add_argument("--legal-consumer", required=True,
                   help="taux de l’intérêt légal, créancier personne physique hors besoins professionnels (%% l’an)")
    p.add_argument("--legal-other", required=True, help="taux de l’intérêt légal, autres cas (%% l’an)")
    p.add_argument("--source", action="append", default=[], required=True,
                   help="adresse https:// d’une source (arrêté au Journal officiel, BCE) ; répétable")
    p.set_defaults(run=_command("rates", "cmd_rates_add"))

    p = sub.add_parser("site", parents=[root, law_day], help="construit le site interne du recouvrement dans site/")
    p.set_defaults(run=_command("site", "cmd_site"))

    p = sub.add_parser("serve", parents=[root], help="sert le site interne et le recharge à chaque modification")
    p.add_argument("--address", default="127.0.0.1:8000", help="HÔTE:PORT (défaut : 127.0.0.1:8000)")
    p.set_defaults(run=_command("serve", "cmd_serve"))
    return parser


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("un nombre entier positif est attendu")
    return int(text)


def _shard(text: str):
    from cgvkit.documents.batch import parse_shard  # only `all --shard` needs the build machinery

    try:
        return parse_shard(text)
    except ValueError:
        raise argparse.ArgumentTypeError("la forme attendue est I/N, par exemple 2/8") from None


def _line(text: str) -> str:
    """A free text noted in the journal: one line, without control or invisible characters."""
    from cgvkit.law.identity import check_one_line

    problem = check_one_line(text, "le texte") if text.strip() else "le texte est vide"
    if problem or len(text) > 500:
        raise argparse.ArgumentTypeError(problem or "500 caractères au plus")
    return " ".join(text.split())


def _debtor(text: str) -> str:
    """A debtor id as the ledger holds it: one line, at most 64 characters."""
    if len(text) > 64:
        raise argparse.ArgumentTypeError("64 caractères au plus")
    return _line(text)


def _who(text: str) -> str:
    """--by: a name as the journal records it and `dunning history` prints it, on one line."""
    from cgvkit.law.identity import check_one_line

    problem = check_one_line(text, "le nom") if text.strip() else "le nom est vide"
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text.strip()


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("date attendue au format AAAA-MM-JJ, par exemple 2026-06-15") from None
