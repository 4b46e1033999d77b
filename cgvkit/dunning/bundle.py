"""`dunning bundle COMPANY DEBTOR`: the court bundle of one debtor, drawn from the journal and the
evidence archive alone (dist/ and the run folders may be gone).

One PDF: a cover (parties, claim, décompte), the journal extract (every step and note, with dates,
documents and SHA-256), the bordereau of pieces, then every sent document in order, each after its
own numbered sheet (archived PDFs as they are; e-mails, SMS and other texts laid out as pages).
Beside it: the original files (`originaux/`, named by piece number), an index (index.html, index.csv)
and `dossier.json`, the kit's mark of the folder.
"""

from __future__ import annotations

import csv
import email
import email.policy
import hashlib
import io
import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypedDict, cast

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.files import staged_dir
from cgvkit.core.french import date_fr, money, typography
from cgvkit.core.templating import render
from cgvkit.documents.pdf import write_pdf
from cgvkit.dunning import archive, journal
from cgvkit.dunning.spreadsheet import safe
from cgvkit.model.ladder import CHANNEL_NAMES

if TYPE_CHECKING:
    from cgvkit.model.company import Company

MARKER = "dossier.json"
KINDS = {".pdf": "PDF", ".html": "HTML", ".eml": "courriel", ".txt": "texte"}
TEXT_MAX = 200_000  # characters of one text document laid out as pages: far more than a letter
Describe = Callable[[journal.Event], str]  # a note's line in French, as `dunning history` prints it


@dataclass
class Source:
    """One archived file of a piece: the document itself or, for a printed letter, its HTML source."""

    path: str  # as recorded in the journal
    sha256: str
    proposed: str | None  # the proposed hash when the document was edited before being sent
    archived: Path
    original: str = ""  # its name in originaux/

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def suffix(self) -> str:
        return archive.suffix(self.path)


@dataclass
class Piece:
    number: int
    day: date
    title: str  # the step's title
    channel: str
    document: Source
    sources: list[Source] = field(default_factory=list)  # HTML of a printed letter
    page: int = 0  # first page in the bundle
    pages: int = 0


class ExtractDocument(TypedDict):
    name: str
    sha256: str
    proposed: str | None
    piece: int | None


class ExtractLine(TypedDict):
    date: str
    kind: str  # Envoi | Note
    invoices: list[str]
    documents: list[ExtractDocument]
    text: str
    by: str


class BordereauRow(TypedDict):
    number: int
    source: bool  # the HTML source of a printed letter
    date: str
    iso: date
    title: str
    channel: str
    name: str
    kind: str
    sha256: str
    proposed: str | None
    original: str
    page: int
    pages: int


@dataclass
class Bundle:
    folder: Path
    pdf: Path
    pieces: int
    pages: int


def _channel_fr(channel: str) -> str:
    return " + ".join(CHANNEL_NAMES.get(c, c) for c in channel.split("+"))


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "document"


def _pieces(steps: Sequence[journal.Step], home: Path) -> list[Piece]:
    """Every document the steps cite, once, in the journal's order; a letter's HTML joins its PDF."""
    pieces: list[Piece] = []
    seen: set[Path] = set()
    for step in steps:
        proposed = dict(step.edited)
        sources: list[Source] = []
        for path, sha in step.documents:
            target = archive.location(home, sha, path)
            if target not in seen:
                seen.add(target)
                sources.append(Source(path, sha, proposed.get(path), target))
        pdfs = {str(PurePosixPath(s.path).with_suffix("")) for s in sources if s.suffix == ".pdf"}
        for source in sources:
            if source.suffix == ".html" and str(PurePosixPath(source.path).with_suffix("")) in pdfs:
                continue
            pieces.append(Piece(len(pieces) + 1, step.day, step.stage_title, step.channel, source))
        for source in sources:
            stem = str(PurePosixPath(source.path).with_suffix(""))
            if source.suffix == ".html" and stem in pdfs:
                owner = next(p for p in pieces if p.document.suffix == ".pdf" and
                             str(PurePosixPath(p.document.path).with_suffix("")) == stem)
                owner.sources.append(source)
    return pieces


def _lost(pieces: list[Piece], shown_archive: str) -> list[Problem]:
    problems = []
    for piece in pieces:
        for source in [piece.document, *piece.sources]:
            state = archive.state(source.archived, source.sha256)
            if state != "ok":
                said = "absent de" if state == "missing" else "altéré dans"
                problems.append(Problem(f"{shown_archive}/{source.archived.relative_to(source.archived.parents[1])}",
                                        1, 1, "", typography(f"{source.path} (SHA-256 {source.sha256[:12]}…) {said} "
                                                             "l’archive des preuves : restaurez-le depuis une "
                                                             "sauvegarde"), f"bundle-{state}"))
    return problems


def _claim(steps: Sequence[journal.Step]) -> tuple[list[dict[str, str]], str, list[dict[str, object]]]:
    """The claim: the invoices of the last step and the amounts it claimed (an invoice absent from it was
    paid or withdrawn since: it stays in the décompte only); the décompte: every step's amount."""
    last: dict[str, journal.Step] = {}
    decompte: dict[str, list[dict[str, str]]] = {}
    for step in steps:
        last[step.invoice_number] = step
        decompte.setdefault(step.invoice_number, []).append(
            {"date": date_fr(step.day), "title": step.stage_title, "amount": money(step.amount_claimed)})
    latest = max(step.day for step in steps)
    current = {number: step for number, step in last.items() if step.day == latest}
    claim = [{"invoice": number, "date": date_fr(step.day), "title": step.stage_title,
              "amount": money(step.amount_claimed)} for number, step in current.items()]
    total = sum((Decimal(step.amount_claimed) for step in current.values()), Decimal("0.00"))
    return claim, money(total), [{"invoice": n, "lines": lines} for n, lines in decompte.items()]


def _extract(steps: Sequence[journal.Step], events: Sequence[journal.Event], describe: Describe,
             pieces: list[Piece]) -> list[ExtractLine]:
    """The journal extract: one line per step (invoices joined) and per note, in date order."""
    numbers: dict[tuple[str, str], int] = {}
    for piece in pieces:
        for source in [piece.document, *piece.sources]:
            numbers[(source.path, source.sha256)] = piece.number
    lines: dict[tuple[date, int, str, str], ExtractLine] = {}
    for step in steps:
        key = (step.day, 0, step.stage, step.confirmed_by)
        line = lines.setdefault(key, {"date": date_fr(step.day), "kind": "Envoi", "invoices": [], "documents": [],
                                      "text": f"{step.stage_title} ({_channel_fr(step.channel)})",
                                      "by": step.confirmed_by})
        line["invoices"].append(f"{step.invoice_number} : {money(step.amount_claimed)}")
        proposed = dict(step.edited)
        for path, sha in step.documents:
            doc: ExtractDocument = {"name": PurePosixPath(path).name, "sha256": sha, "proposed": proposed.get(path),
                   "piece": numbers.get((path, sha))}
            if doc not in line["documents"]:
                line["documents"].append(doc)
    for n, event in enumerate(events):
        lines[(event.day, 1, str(n), "")] = {"date": date_fr(event.day), "kind": "Note", "invoices": [],
                                             "documents": [], "text": describe(event), "by": event.recorded_by}
    return [lines[key] for key in sorted(lines, key=lambda k: (k[0], k[1]))]


def _email_view(data: bytes, pieces_by_sha: dict[str, int]) -> dict[str, object]:
    message = email.message_from_bytes(data, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    attachments = []
    for part in message.iter_attachments():
        payload = cast(bytes, part.get_payload(decode=True) or b"")  # decode=True: an attachment's bytes
        sha = hashlib.sha256(payload).hexdigest()
        attachments.append({"name": part.get_filename() or "pièce jointe", "sha256": sha,
                            "piece": pieces_by_sha.get(sha)})
    return {"headers": [(label, str(message.get(key, ""))) for key, label in
                        (("From", "De"), ("To", "À"), ("Date", "Date"), ("Subject", "Objet"),
                         ("Message-ID", "Identifiant"))],
            "text": (body.get_content() if body is not None else "")[:TEXT_MAX], "attachments": attachments}


def _readable(path: Path) -> PdfReader | None:
    try:
        reader = PdfReader(path)
        return reader if len(reader.pages) else None
    except (PdfReadError, ValueError, OSError):  # not a PDF after all: joined as an original only
        return None


def _views(pieces: list[Piece], printed: dict[int, PdfReader]) -> list[dict[str, object]]:
    """What each piece's sheet shows: its identity, and the text of e-mails and text documents."""
    by_sha = {p.document.sha256: p.number for p in pieces}
    views = []
    for piece in pieces:
        doc = piece.document
        view = {"number": piece.number, "date": date_fr(piece.day), "title": piece.title,
                "channel": _channel_fr(piece.channel), "name": doc.name, "kind": KINDS.get(doc.suffix, "fichier"),
                "sha256": doc.sha256, "proposed": doc.proposed,
                "sources": [{"name": s.name, "sha256": s.sha256, "proposed": s.proposed} for s in piece.sources],
                "email": None, "text": None, "printed": piece.number in printed}
        data = doc.archived.read_bytes()
        if doc.suffix == ".eml":
            view["email"] = _email_view(data, by_sha)
        elif doc.suffix != ".pdf" and doc.suffix != ".html":
            view["text"] = data.decode("utf-8", errors="replace")[:TEXT_MAX]
        views.append(view)
    return views


def _print(root: Path, html: str, target: Path, day: date) -> PdfReader:
    write_pdf(html, target, root, day, hashlib.sha256(html.encode("utf-8")).hexdigest()[:32])
    return PdfReader(target)


def _sheet_starts(reader: PdfReader, count: int) -> list[int]:
    """The first page of each piece's sheet: WeasyPrint makes a bookmark of each sheet's heading."""
    starts = [reader.get_destination_page_number(item) for item in reader.outline if not isinstance(item, list)]
    if len(starts) != count:
        raise RuntimeError(f"{len(starts)} signets pour {count} pièces")
    return cast(list[int], starts)  # every bookmark WeasyPrint makes points to a page of the PDF


def write_bundle(root: Path, company: Company, journal_path: Path, shown_journal: str, debtor_id: str, out: Path,
                 day: date, describe: Describe) -> Bundle:
    """The bundle of `debtor_id` in `out` (replaced as a whole, or left as it was on error).
    `describe(event)` is a note's line in French, as `dunning history` prints it."""
    if not journal_path.is_file():
        raise KitError([Problem(shown_journal, 1, 1, "", "pas de journal : aucune relance confirmée pour cette "
                                "entreprise", "bundle-journal")])
    con = journal.connect(journal_path, company.slug, shown_journal)
    try:
        steps, events = journal.steps(con, debtor_id), journal.events(con, debtor_id)
    finally:
        con.close()
    if not steps:
        raise KitError([Problem(shown_journal, 1, 1, "", typography(
            f"aucune étape confirmée au journal pour le débiteur « {debtor_id} » : rien à produire"),
            "bundle-debtor")])
    home = archive.home(journal_path)
    shown_archive = str(PurePosixPath(shown_journal).with_name(home.name))
    pieces = _pieces(steps, home)
    lost = _lost(pieces, shown_archive)
    if lost:
        raise KitError(lost)
    for piece in pieces:
        for source in [piece.document, *piece.sources]:
            source.original = f"{piece.number:02d}-{_file_name(source.name)}"
    name = steps[-1].debtor_name
    claim, total, decompte = _claim(steps)
    extract = _extract(steps, events, describe, pieces)
    printed = {p.number: reader for p in pieces if p.document.suffix == ".pdf" and
               (reader := _readable(p.document.archived)) is not None}
    views = _views(pieces, printed)
    context = {"company": company.identity, "capital": money(company.identity["capital"]),
               "debtor": {"id": debtor_id, "name": name}, "day": date_fr(day), "claim": claim, "total": total,
               "decompte": decompte, "extract": extract, "journal": shown_journal, "archive": shown_archive}
    slug = _file_name(debtor_id)
    with staged_dir(out) as stage:
        sheets = _print(root, render(root, "dunning/bundle_pieces.html", pieces=views, **context),
                        stage / ".pieces.pdf", day)
        starts = _sheet_starts(sheets, len(pieces))
        ends = [*starts[1:], len(sheets.pages)]
        for piece, start, end in zip(pieces, starts, ends, strict=True):
            piece.pages = end - start + (len(printed[piece.number].pages) if piece.number in printed else 0)
        length = 3  # pages of the cover, guessed: the bordereau's page numbers depend on it
        for _ in range(3):
            page = length + 1
            for piece in pieces:
                piece.page, page = page, page + piece.pages
            cover = _print(root, render(root, "dunning/bundle.html", pieces=_bordereau(pieces), **context),
                           stage / ".cover.pdf", day)
            if len(cover.pages) == length:
                break
            length = len(cover.pages)
        writer = PdfWriter()
        writer.append(cover)
        for piece, start, end in zip(pieces, starts, ends, strict=True):
            writer.append(sheets, pages=(start, end))
            if piece.number in printed:
                writer.append(printed[piece.number])
        writer.add_metadata({"/Title": typography(f"Dossier de recouvrement — {name}"),
                             "/Author": str(company.identity["name"]), "/Producer": "cgvkit"})
        pdf = stage / f"dossier-{slug}.pdf"
        with pdf.open("wb") as handle:
            writer.write(handle)
        total_pages = len(writer.pages)
        for extra in (".pieces.pdf", ".cover.pdf"):
            (stage / extra).unlink()
        originals = stage / "originaux"
        originals.mkdir()
        for piece in pieces:
            for source in [piece.document, *piece.sources]:
                shutil.copyfile(source.archived, originals / source.original)
        rows = _bordereau(pieces)
        (stage / "index.html").write_text(render(root, "dunning/bundle_index.html", pieces=rows, pdf=pdf.name,
                                                 **context), encoding="utf-8")
        (stage / "index.csv").write_text(_index_csv(rows), encoding="utf-8")
        (stage / MARKER).write_text(json.dumps({
            "company": company.slug, "debtor": debtor_id, "date": day.isoformat(), "journal": shown_journal,
            "pdf": pdf.name, "documents": [{"piece": r["number"], "file": f"originaux/{r['original']}",
                                            "sha256": r["sha256"]} for r in rows]},
            ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return Bundle(out, out / pdf.name, len(pieces), total_pages)


def _bordereau(pieces: list[Piece]) -> list[BordereauRow]:
    """One row per file of the bundle: each piece, then the HTML source of a printed letter."""
    rows: list[BordereauRow] = []
    for piece in pieces:
        for k, source in enumerate([piece.document, *piece.sources]):
            rows.append({"number": piece.number, "source": k > 0, "date": date_fr(piece.day), "iso": piece.day,
                         "title": piece.title, "channel": _channel_fr(piece.channel), "name": source.name,
                         "kind": KINDS.get(source.suffix, "fichier"), "sha256": source.sha256,
                         "proposed": source.proposed, "original": source.original, "page": piece.page,
                         "pages": piece.pages})
    return rows


def _index_csv(rows: list[BordereauRow]) -> str:
    """index.csv as a French spreadsheet opens it (BOM, `;`), no cell read as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(("Pièce", "Date d’envoi", "Étape", "Canal", "Document", "Nature", "Fichier original",
                     "SHA-256", "Modifié après la proposition", "SHA-256 proposé", "Page du dossier"))
    for r in rows:
        writer.writerow([str(r["number"]), r["iso"].isoformat(), safe(r["title"]), safe(r["channel"]),
                         safe(r["name"]), safe(r["kind"] + (" (source du courrier)" if r["source"] else "")),
                         safe(f"originaux/{r['original']}"), r["sha256"], "oui" if r["proposed"] else "non",
                         r["proposed"] or "", "" if r["source"] else str(r["page"])])
    return "\ufeff" + buffer.getvalue()

