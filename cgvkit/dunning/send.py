"""`dunning send RUN_DIR`: the run's e-mails and SMS handed to the company's server and gateway,
each recorded in the journal before and after its hand-over, so that none is ever sent twice.

The run folder is checked as `dunning confirm` checks it (plan.json written by the kit, documents
unchanged since the proposal, journal not moved by another run), under the company's lock.

For each message, the journal's `messages` table holds one row (proposal, debtor, stage, channel):
`sending` is committed just before the server may accept it; `accepted` (with the Message-ID or
the gateway's id, the server's answer and the time) at once after, in the same transaction as the
message's journal steps (dated the day it left): the next run does not propose it again, and
`dunning confirm` of the same folder leaves it out. A message refused for good (SMTP 5xx, HTTP 4xx)
is `refused`, a temporary failure (SMTP 4xx, HTTP 5xx, timeout, connection refused) tried again
with a growing pause, then `failed`: both are tried again by the next `send`. A row left at
`sending` (the process was killed between the two records) is never sent again by itself: the
server may have accepted it; `send` reports it « état inconnu » and the clerk decides (`--resend`,
or `dunning confirm --only` when the message did leave).

Secrets (SMTP password, gateway token) are read from the environment variables the profile names,
and passed only to the server: never written to the journal, a file, or a message.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path, PurePosixPath
from typing import Any, cast

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.french import typography
from cgvkit.core.phone import e164, mobile
from cgvkit.dunning import archive, journal
from cgvkit.dunning.confirm import (
    PlanStep,
    Proposal,
    _check_dates,
    _document_problems,
    _error,
    _journal_file,
    _step,
    archived_documents,
    chosen_steps,
    load_proposal,
    runs_lock,
)
from cgvkit.dunning.outbox import mailbox
from cgvkit.dunning.run import shown_path
from cgvkit.dunning.smsgateway import post_sms
from cgvkit.dunning.smtpsend import Refused, SmtpServer, Stop, Temporary

LOG = "envoi.txt"  # in the run folder: what each `send` did, for the clerk


@dataclass
class Message:
    """One message of plan.json's `outbox.messages`, checked against the proposal."""

    debtor_id: str
    debtor_name: str
    stage: str
    channel: str  # email | sms
    to: str
    path: str  # the .eml, or the SMS text, inside the run folder (a proposed document)
    automatic: bool
    steps: list[PlanStep]  # the proposal's steps it fulfils

    def shown(self) -> str:
        kind = "courriel" if self.channel == "email" else "SMS"
        return f"{self.debtor_id} ({self.debtor_name}), {kind} à {self.to}, étape {self.stage}"


@dataclass
class Retry:
    attempts: int = 3  # tries of one message in one `send` when the failure is temporary
    pause: float = 2.0  # seconds before the second try, doubled before each next one


@dataclass
class Outcome:
    sent: list[tuple[Message, str]] = field(default_factory=list)  # (Message, answer)
    refused: list[tuple[Message, str]] = field(default_factory=list)  # (Message, answer)
    failed: list[tuple[Message, str]] = field(default_factory=list)  # (Message, reason): temporary, tried next time
    unknown: list[Message] = field(default_factory=list)  # left at `sending`
    done: list[Message] = field(default_factory=list)  # sent before, or its steps already in the journal
    planned: list[Message] = field(default_factory=list)  # --dry-run: what would be sent
    warnings: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the batch stopped (login, certificate, token refused)

    @property
    def unsent(self) -> bool:
        return bool(self.refused or self.failed or self.unknown or self.stopped)


def send_run(root: Path, folder: Path, sending: dict[str, Any], env: Mapping[str, str], today: date, by: str,
             only: tuple[str, ...] = (), resend: tuple[str, ...] = (), dry_run: bool = False,
             automatic: bool = False, journal_path: Path | None = None, retry: Retry | None = None,
             sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Send what is left to send of the run of `folder` (only the debtors `only`, only the automatic
    stages with `automatic`); `resend`: debtors whose « état inconnu » messages are sent again."""
    retry = retry or Retry()
    first = load_proposal(folder, root)
    with runs_lock(root, first.company):
        proposal = load_proposal(folder, root)  # again, under the lock
        shown_plan, shown_folder = shown_path(folder / "plan.json", root), shown_path(folder, root)
        if proposal.digest != first.digest:
            raise _error(shown_plan, "cette relance a été remplacée par une nouvelle proposition pendant l’attente "
                         "du verrou : vérifiez-la puis relancez l’envoi", "journal-moved")
        _check_dates(proposal, today, today, shown_plan)
        chosen_steps(proposal, only + resend, (), shown_plan)  # every debtor named is in the run
        problems = _document_problems(folder, proposal, shown_folder)
        if problems:
            raise KitError(problems)
        messages = [m for m in _messages(folder, proposal, shown_plan)
                    if (not only or m.debtor_id in only) and (m.automatic or not automatic)]
        path = _journal_file(root, journal_path, proposal, shown_plan)
        shown_journal = shown_path(path, root)
        outcome = Outcome()
        if dry_run and not path.exists():
            outcome.planned = messages
            return outcome
        con = journal.connect(path, proposal.company, shown_journal)
        try:
            if journal.current_mark(con, proposal.digest) != proposal.mark:
                raise _error(shown_folder, "le journal a changé depuis cette proposition (une autre relance a été "
                             "confirmée ou envoyée) : relancez la commande dunning pour une proposition à jour",
                             "journal-moved")
            todo = _sort(con, proposal.digest, messages, resend, outcome)
            if dry_run:
                outcome.planned = todo
                return outcome
            senders = _Senders(sending, env, shown_path(root / "companies" / f"{proposal.company}.yaml", root),
                               {m.channel for m in todo})
            _same_recipients(folder, todo, shown_folder)
            # Evidence first, as `confirm` does: every document these messages carry, as it is now, in the
            # archive beside the journal; the journal then cites the hash of what left.
            sent_sha = archived_documents(folder, dataclasses.replace(proposal, steps=[s for m in todo for s in m.steps]),
                                          archive.home(path))
            for message in todo:
                if outcome.stopped:
                    outcome.failed.append((message, "non tenté : l’envoi s’est arrêté"))
                    continue
                _send_one(con, folder, root, proposal, shown_folder, message, senders, today, by, retry, sleep,
                          outcome, sent_sha)
        finally:
            con.close()
        _log(folder, outcome)
    return outcome


# --- plan.json's messages ---------------------------------------------------------------------------


def _messages(folder: Path, proposal: Proposal, shown: str) -> list[Message]:
    """outbox.messages of plan.json, each checked: a debtor and stage of the proposal, a document of
    that debtor (its SHA-256 was checked), an address or a mobile number in E.164 form."""
    data = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    outbox = data.get("outbox") if isinstance(data, dict) else None
    entries = outbox.get("messages", []) if isinstance(outbox, dict) else []
    if not isinstance(entries, list):
        raise _error(shown, "liste attendue", "journal-plan", "outbox.messages")
    found, problems, seen = [], [], set()
    for n, entry in enumerate(entries):
        where = f"outbox.messages[{n}]"
        keys = ("debtor_id", "stage", "channel", "to", "path")
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in keys) or \
                not isinstance(entry.get("automatic"), bool):
            problems.append(Problem(shown, 1, 1, where, "objet attendu (debtor_id, stage, channel, to, path, "
                                    "automatic)", "journal-plan"))
            continue
        steps = [s for s in proposal.steps if s["debtor_id"] == entry["debtor_id"] and s["stage"] == entry["stage"]]
        documents = {d["path"] for s in steps for d in s["documents"]}
        wrong = None
        if not steps:
            wrong = "débiteur et étape absents des étapes proposées"
        elif entry["channel"] not in ("email", "sms"):
            wrong = "canal « email » ou « sms » attendu"
        elif entry["path"] not in documents:
            wrong = f"« {entry['path']} » n’est pas un document proposé pour ce débiteur"
        elif entry["channel"] == "sms" and (e164(entry["to"]) != entry["to"] or not mobile(entry["to"])):
            wrong = f"« {entry['to']} » : numéro de mobile au format international attendu"
        elif (entry["debtor_id"], entry["stage"], entry["channel"]) in seen:
            wrong = "message en double"
        else:
            try:
                entry["channel"] == "email" and mailbox(entry["to"])
            except ValueError:
                wrong = "une seule adresse nom@domaine est attendue"
        if wrong:
            problems.append(Problem(shown, 1, 1, where, typography(wrong), "journal-plan"))
            continue
        seen.add((entry["debtor_id"], entry["stage"], entry["channel"]))
        found.append(Message(entry["debtor_id"], steps[0]["debtor_name"], entry["stage"], entry["channel"],
                             entry["to"], entry["path"], entry["automatic"], steps))
    if problems:
        raise KitError(problems)
    return found


def _sort(con: journal.JournalConnection, digest: str, messages: list[Message], resend: tuple[str, ...],
          outcome: Outcome) -> list[Message]:
    """What is left to send: not a message sent before, nor one whose steps are in the journal, nor
    one left at `sending` (unless its debtor is in `resend`)."""
    recorded = {(s.debtor_id, s.invoice_number, s.stage) for s in journal.steps(con)}
    todo = []
    for message in messages:
        state = _state(con, digest, message)
        if state == "accepted" or all((s["debtor_id"], s["invoice_number"], s["stage"]) in recorded
                                      for s in message.steps):
            outcome.done.append(message)
        elif state == "sending" and message.debtor_id not in resend:
            outcome.unknown.append(message)
        else:
            todo.append(message)
    return todo


# --- The journal's messages ---------------------------------------------------------------------------


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


@journal._on_connection
def _state(con: sqlite3.Connection, digest: str, message: Message) -> str | None:
    row = con.execute("SELECT state FROM messages WHERE plan_sha256 = ? AND debtor_id = ? AND stage = ? AND "
                      "channel = ?", (digest, message.debtor_id, message.stage, message.channel)).fetchone()
    return cast("str | None", row and row[0])


@journal._on_connection
def _record_sending(con: sqlite3.Connection, digest: str, message: Message) -> None:
    """Committed before the server may accept the message (the connection commits each statement)."""
    con.execute("INSERT INTO messages (plan_sha256, debtor_id, stage, channel, recipient, state, started_at) "
                "VALUES (?, ?, ?, ?, ?, 'sending', ?) ON CONFLICT (plan_sha256, debtor_id, stage, channel) DO "
                "UPDATE SET recipient = excluded.recipient, state = 'sending', message_id = NULL, answer = NULL, "
                "started_at = excluded.started_at, finished_at = NULL",
                (digest, message.debtor_id, message.stage, message.channel, message.to, _now()))


@journal._on_connection
def _record_end(con: sqlite3.Connection, digest: str, message: Message, state: str, answer: str,
                message_id: str | None = None, steps: list[journal.Step] | None = None) -> None:
    """The server's answer, and for an accepted message its steps, in one transaction."""
    con.execute("BEGIN IMMEDIATE")
    try:
        con.execute("UPDATE messages SET state = ?, message_id = ?, answer = ?, finished_at = ? WHERE "
                    "plan_sha256 = ? AND debtor_id = ? AND stage = ? AND channel = ?",
                    (state, message_id, answer, _now(), digest, message.debtor_id, message.stage, message.channel))
        for step in steps or ():
            journal.insert_step(con, None, step)
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


# --- Sending --------------------------------------------------------------------------------------------


class _Senders:
    """The e-mail server and SMS gateway of the profile, with their secrets read from the environment."""

    def __init__(self, sending: dict[str, Any], env: Mapping[str, str], shown: str, channels: set[str]):
        self.email: dict[str, Any] | None = sending.get("email")
        self.sms: dict[str, Any] | None = sending.get("sms")
        self.invoices: str | None = sending.get("invoices_dir")
        problems = []

        def secret(block: dict[str, Any], key: str, what: str) -> str | None:
            name = block.get(key)
            if name and not env.get(name):
                problems.append(Problem(shown, 1, 1, f"sending.{what}.{key}", typography(
                    f"la variable d’environnement {name} est vide ou absente : définissez-la pour la commande "
                    "(le secret n’est jamais écrit dans le profil)"), "sending-secret"))
            return env.get(name) if name else None

        for channel, block in (("email", self.email), ("sms", self.sms)):
            if channel in channels and not block:
                problems.append(Problem(shown, 1, 1, f"sending.{channel}", typography(
                    f"pas de sending.{channel} dans le profil : "
                    f"{'courriels' if channel == 'email' else 'SMS'} à envoyer à la main"), "sending-missing"))
        self.server: SmtpServer | None = None
        if self.email and "email" in channels:
            password = secret(self.email, "password_env", "email")
            if self.email.get("user") and not self.email.get("password_env"):
                problems.append(Problem(shown, 1, 1, "sending.email.password_env", "le nom de la variable "
                                        "d’environnement du mot de passe manque", "sending-secret"))
            self.server = SmtpServer(self.email, password)
        self.token = secret(self.sms, "token_env", "sms") if self.sms and "sms" in channels else None
        if problems:
            raise KitError(problems)


def _send_one(con: sqlite3.Connection, folder: Path, root: Path, proposal: Proposal, shown_folder: str,
              message: Message, senders: _Senders, today: date, by: str, retry: Retry, sleep: Callable[[float], None],
              outcome: Outcome, sent_sha: dict[str, str]) -> None:
    digest = proposal.digest
    handed: list[bool] = []

    def handing() -> None:
        if not handed:
            _record_sending(con, digest, message)
            handed.append(True)

    try:
        if message.channel == "email":
            block, server = senders.email, senders.server
            assert block is not None and server is not None  # an e-mail to send: _Senders has both, or stopped
            email, warnings = _outgoing(folder, root, message, senders)
            outcome.warnings += warnings
            sender = email["From"].addresses[0].addr_spec
            bcc = [mailbox_of(block["bcc"])] if block.get("bcc") else []
            message_id: str | None = str(email["Message-ID"])

            def attempt() -> tuple[str, list[str], str | None]:
                return (*server.deliver(email, sender, message.to, bcc, handing), message_id)
        else:
            gateway, token = senders.sms, senders.token
            assert gateway is not None and token is not None  # an SMS to send: _Senders has both, or stopped
            text = (folder / Path(*PurePosixPath(message.path).parts)).read_text(encoding="utf-8").strip()

            def attempt() -> tuple[str, list[str], str | None]:
                handing()
                said, found = post_sms(gateway["url"], token, message.to, text, gateway["sender"])
                return said, [], found
        pause = retry.pause
        for n in range(retry.attempts):
            try:
                said, warnings, message_id = attempt()
                break
            except Temporary as exc:
                if n + 1 == retry.attempts:
                    raise
                outcome.warnings.append(f"{message.shown()} : échec temporaire ({exc}), nouvel essai dans "
                                        f"{pause:g} s")
                sleep(pause)
                pause *= 2
    except Refused as exc:
        if handed:
            _record_end(con, digest, message, "refused", str(exc))
        outcome.refused.append((message, str(exc)))
        return
    except Temporary as exc:
        if handed:
            _record_end(con, digest, message, "failed", str(exc))
        outcome.failed.append((message, str(exc)))
        return
    except Stop as exc:
        if handed:
            _record_end(con, digest, message, "failed", str(exc))
        outcome.stopped = str(exc)
        outcome.failed.append((message, str(exc)))
        return
    outcome.warnings += warnings
    steps = [dataclasses.replace(_step(s, today, by, shown_folder, sent_sha), channel=message.channel)
             for s in message.steps]
    _record_end(con, digest, message, "accepted", said, message_id, steps)
    outcome.sent.append((message, said))


def mailbox_of(text: str) -> str:
    """The address of `Name <a@b>` or of `a@b`."""
    parsed = EmailMessage()
    parsed["To"] = text
    address: str = parsed["To"].addresses[0].addr_spec
    return address


def _same_recipients(folder: Path, messages: list[Message], shown_folder: str) -> None:
    """An e-mail edited since the proposal leaves as edited (and is recorded so), but never to someone else:
    its To must still be the one address the run proposed, or nothing is sent."""
    problems = []
    for message in messages:
        if message.channel != "email":
            continue
        draft = BytesParser(policy=policy.default).parsebytes(
            (folder / Path(*PurePosixPath(message.path).parts)).read_bytes())
        try:
            found = [a.addr_spec for a in draft["To"].addresses] if draft["To"] else []
        except (AttributeError, ValueError):
            found = []
        if found != [message.to]:
            problems.append(Problem(f"{shown_folder}/{message.path}", 1, 1, "To", typography(
                f"{message.shown()} : le destinataire du courriel a été modifié depuis la proposition "
                f"({', '.join(found) or 'aucun'}) ; corrigez l’adresse dans le registre et relancez dunning"),
                "send-recipient"))
    if problems:
        raise KitError(problems)


def _outgoing(folder: Path, root: Path, message: Message, senders: _Senders) -> tuple[EmailMessage, list[str]]:
    """The e-mail as it leaves: the proposed .eml's recipient, subject, Message-ID, text and PDFs, from the
    profile's sender (and Reply-To), dated now, with the debtor's invoices when a folder of them is named."""
    raw = (folder / Path(*PurePosixPath(message.path).parts)).read_bytes()
    draft = BytesParser(policy=policy.default).parsebytes(raw)
    block = senders.email
    assert block is not None  # an e-mail to send: _Senders has the profile's block, or stopped
    out = EmailMessage()
    out["From"] = block["from"]
    out["To"] = draft["To"]
    if block.get("reply_to"):
        out["Reply-To"] = block["reply_to"]
    out["Subject"] = draft["Subject"]
    out["Date"] = format_datetime(datetime.now().astimezone())
    out["Message-ID"] = draft["Message-ID"]
    body = draft.get_body(("plain",))
    out.set_content(body.get_content() if body else "", cte="quoted-printable")
    for part in draft.iter_attachments():
        out.add_attachment(part.get_content(), maintype=part.get_content_maintype(),
                           subtype=part.get_content_subtype(), filename=part.get_filename())
    warnings = []
    if senders.invoices:
        home = (root / senders.invoices).resolve()
        for number in dict.fromkeys(s["invoice_number"] for s in message.steps):
            pdf = (home / f"{number}.pdf").resolve()
            if pdf.parent != home or not pdf.is_file():
                warnings.append(typography(f"{message.shown()} : facture « {number}.pdf » introuvable dans "
                                           f"{senders.invoices} ; courriel envoyé sans elle"))
                continue
            out.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=f"{number}.pdf")
    return out, warnings


def _log(folder: Path, outcome: Outcome) -> None:
    """Append this send's result to the run folder's envoi.txt (never a secret: addresses and answers)."""
    lines = [f"--- envoi du {datetime.now().astimezone().isoformat(timespec='seconds')}"]
    lines += [f"envoyé : {m.shown()} — {said}" for m, said in outcome.sent]
    lines += [f"refusé : {m.shown()} — {said}" for m, said in outcome.refused]
    lines += [f"non envoyé (réessayé au prochain envoi) : {m.shown()} — {why}" for m, why in outcome.failed]
    lines += [f"état inconnu : {m.shown()}" for m in outcome.unknown]
    lines += [f"avertissement : {w}" for w in outcome.warnings]
    with (folder / LOG).open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
