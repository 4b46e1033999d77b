"""What leaves the office after a run: ready-to-send e-mails (.eml), the SMS list with numbers, and
one PDF of every printed letter for the mail room, in plan order.

Everything is deterministic: an e-mail's Date is the run date at 9:00, Paris time (when the daily
run sends), its Message-ID and MIME boundary are derived from its content; the same run gives the
same bytes. `X-Unsent: 1` makes Outlook, Apple Mail and Thunderbird open the file as a draft to
send, not as a message received; `dunning send` drops it and dates the message when it sends it.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pypdf import PdfReader, PdfWriter

from cgvkit.law.identity import check_email, hidden_characters

MAIL_ROOM = "courrier.pdf"
SMS_LIST = "sms.csv"
Sender = Mapping[str, Any]  # the company's identity block (name, email…), untyped YAML of its profile


def _subject_and_body(text: str) -> tuple[str, str]:
    """The first line « Objet : … » is the subject; the rest (blank lines trimmed) the body."""
    first, _, rest = text.partition("\n")
    return first.partition(":")[2].strip(), rest.strip() + "\n"


def mailbox(address: str, name: str = "") -> Address:
    """One mailbox, parsed by the e-mail library: an addr-spec alone (no display name, no second
    address, no comment), without control characters. Raises ValueError otherwise."""
    if hidden_characters(address) or hidden_characters(name) or check_email(address):
        raise ValueError("une seule adresse nom@domaine est attendue, sans caractère de contrôle")
    mailbox = Address(display_name=" ".join(name.split()), addr_spec=address.strip())
    if mailbox.addr_spec != address.strip():
        raise ValueError("une seule adresse nom@domaine est attendue")
    return mailbox


def email_message(sender: Sender, to: str, text: str, run_date: date, attachments: list[Path]) -> bytes:
    """The e-mail; every header through the library's header registry (a name with quotes or a line
    break stays a name). Raises ValueError when `to` is not exactly one address."""
    subject, body = _subject_and_body(text)
    message = EmailMessage()
    message["From"] = mailbox(sender["email"], sender["name"])
    message["To"] = mailbox(to)
    message["Subject"] = " ".join(subject.split())
    message["Date"] = format_datetime(datetime(run_date.year, run_date.month, run_date.day, 9, 0,
                                               tzinfo=ZoneInfo("Europe/Paris")))
    message["X-Unsent"] = "1"
    digest = hashlib.sha256()
    digest.update("\0".join([sender["email"], to, text]).encode("utf-8"))
    for path in attachments:
        digest.update(path.read_bytes())
    key = digest.hexdigest()
    domain = sender["email"].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{key[:32]}@{domain}>"
    message.set_content(body)
    for path in attachments:
        message.add_attachment(path.read_bytes(), maintype="application", subtype="pdf", filename=path.name)
    if attachments:
        message.set_boundary(f"=_{key[32:56]}")
    return message.as_bytes()


def write_email(folder: Path, stem: str, sender: Sender, to: str, text: str, run_date: date,
                attachments: list[Path]) -> Path:
    target = folder / "courriels" / f"{stem}.eml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(email_message(sender, to, text, run_date, attachments))
    return target


def sms_list(rows: list[tuple[str, str, str]]) -> str:
    """(number, debtor, message) rows as a French Excel CSV, like plan.csv."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(("Numéro", "Débiteur", "Message"))
    for number, name, text in rows:
        writer.writerow([_text_cell(number), _text_cell(name), _text_cell(text)])
    return "\ufeff" + buffer.getvalue()


def _text_cell(text: str) -> str:
    # A number such as +33 6… must stay text, and no cell may start a formula.
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def merge_pdfs(paths: Iterable[Path], target: Path) -> int:
    """One PDF of the given PDFs (any iterable: each is read as it comes), in order; returns the page
    count (no dates, no random identifier: same letters, same bytes)."""
    writer = PdfWriter()
    for path in paths:
        writer.append(PdfReader(path))
    writer.add_metadata({"/Title": "Courrier à poster", "/Producer": "cgvkit"})
    with target.open("wb") as handle:
        writer.write(handle)
    return len(writer.pages)
