"""Evidence that outlives dist/: a document edited before it was sent is recorded as sent (« modifié »,
the proposed hash kept), every sent document is archived beside the journal (read-only, named by its
SHA-256), `dunning history` checks the archive, and `dunning bundle` makes the court bundle from the
journal and the archive alone, after dist/ is gone."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from pypdf import PdfReader

from cgvkit.core.french import money
from cgvkit.dunning import journal
from tests.conftest import ROOT, run_main
from tests.test_dunning_daily import B2B, RUNS, dunning, line, plan_of, write_ledger, write_rates

HOSTILE = "Autre <b>SAS</b> & Cie"  # a name is text, in the PDF as in index.html
JOURNAL = Path("data") / "journal" / "atelier-lyonnais.sqlite"
ARCHIVE = Path("data") / "journal" / "atelier-lyonnais.archive"
BUNDLE = Path("dist") / "dossiers" / "atelier-lyonnais"


# D1: two letters, PDF and HTML each; D2: a first reminder (text and e-mail), then the second one's call script
# (its e-mail waits for the call's outcome).
NAMES = ["D1-firm_letter.html", "D1-firm_letter.pdf", "D1-formal_notice.html", "D1-formal_notice.pdf",
         "D2-first_reminder.eml", "D2-first_reminder.txt", "D2-second_reminder.txt"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def confirm(root: Path, folder, *extra: str):
    return run_main(root, "dunning", "confirm", str(folder), "--by", "Claire", *extra)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pdf_text(path: Path) -> str:
    return flat("\n".join(page.extract_text() for page in PdfReader(path).pages))


@pytest.fixture
def file(project):
    """D1 gets a firm letter (PDF) on 4 May for F1 and F7, edited before it was sent, then, F7 paid, a formal
    notice on 20 May for F1; D2 a first reminder by e-mail on 4 May, its text edited; a call noted in between.
    Returns the project."""
    write_rates(project)
    ledger = write_ledger(project, line(debtor="D1", number="F1", due="2026-04-01", last="second_reminder"),
                          line(debtor="D1", number="F7", due="2026-04-10", amount="250.00", last="second_reminder"),
                          line(debtor="D2", name=HOSTILE, number="F2", due="2026-04-25"))
    assert dunning(project, ledger, "2026-05-04").returncode == 0
    run = project / RUNS / "2026-05-04"
    letter = run / "letters" / "D1-firm_letter.html"
    letter.write_text(letter.read_text(encoding="utf-8").replace("Madame, Monsieur,", "Cher client,"),
                      encoding="utf-8")
    mail = run / "letters" / "D2-first_reminder.txt"
    mail.write_text(mail.read_text(encoding="utf-8") + "\nPS : voir notre échange du 30 avril.\n", encoding="utf-8")
    done = confirm(project, RUNS / "2026-05-04", "--sent", "2026-05-04")
    assert done.returncode == 0, done.stderr
    assert run_main(project, "dunning", "note", B2B, "D1", "--date", "2026-05-12", "--by", "Claire",
                    "--call", "no_answer").returncode == 0
    ledger = write_ledger(project, line(debtor="D1", number="F1", due="2026-04-01", last="second_reminder"),
                          line(debtor="D2", name=HOSTILE, number="F2", due="2026-04-25"))  # F7 paid
    assert dunning(project, ledger, "2026-05-20", "--confirm", "--by", "Claire").returncode == 0
    assert plan_of(project / RUNS / "2026-05-20")["steps"][0]["stage"] == "formal_notice"
    return project


def documents(root: Path) -> list[tuple]:
    con = sqlite3.connect(root / JOURNAL)
    try:
        return con.execute("SELECT path, sha256, proposed_sha256 FROM documents ORDER BY rowid").fetchall()
    finally:
        con.close()


def test_an_edited_document_is_recorded_as_sent_and_marked_in_the_history(file):
    run = file / RUNS / "2026-05-04"
    proposed = {d["path"]: d["sha256"] for s in plan_of(run)["steps"] for d in s["documents"]}
    rows = {path: (sent, kept) for path, sent, kept in documents(file)}
    letter = f"{RUNS.as_posix()}/2026-05-04/letters/D1-firm_letter.html"
    mail = f"{RUNS.as_posix()}/2026-05-04/letters/D2-first_reminder.txt"
    for path in (letter, mail):
        sent, kept = rows[path]
        assert sent == sha(file / path) != kept == proposed[path.split("2026-05-04/")[1]]
    # The documents sent as proposed keep no second hash.
    untouched = f"{RUNS.as_posix()}/2026-05-04/letters/D1-firm_letter.pdf"
    assert rows[untouched] == (sha(file / untouched), None)
    history = run_main(file, "dunning", "history", B2B, "D1")
    assert history.returncode == 0, history.stderr
    said = [line for line in history.stdout.splitlines() if "modifié" in line]
    assert len(said) == 2  # one line per step (invoices F1 and F7) citing the edited letter
    assert f"envoyé {rows[letter][0][:12]}…" in said[0] and f"proposé {rows[letter][1][:12]}…" in said[0]
    assert "modifié" not in run_main(file, "dunning", "history", B2B, "D1").stdout.split("20 mai 2026")[1]
    cited = {(sent, Path(path).suffix) for path, sent, _ in documents(file)}
    assert f"{len(cited)} document(s) intact(s) sur {len(cited)}" in run_main(file, "dunning", "history", B2B).stdout


def test_every_sent_document_is_archived_read_only_by_its_hash(file):
    cited = {(path, sent) for path, sent, _ in documents(file)}
    names = sorted(Path(path).name for path, _ in cited)
    assert names == NAMES
    for path, sent in cited:
        archived = file / ARCHIVE / sent[:2] / f"{sent}{Path(path).suffix}"
        assert archived.is_file() and sha(archived) == sent
        assert stat.S_IMODE(archived.stat().st_mode) == 0o444
    assert not list((file / ARCHIVE).glob(".tmp-*"))
    # `make clean` leaves the journal and its archive: only build outputs go.
    lines = (ROOT / "Makefile").read_text().splitlines()
    clean = lines[lines.index("clean:") + 1]
    assert "dist" in clean.split() and not any(word.startswith("data") for word in clean.split())


def test_a_missing_document_of_a_chosen_debtor_is_refused_the_others_confirm(project):
    write_rates(project)
    ledger = write_ledger(project, line(debtor="D1", number="F1", due="2026-04-25"),
                          line(debtor="D2", name="Autre SAS", number="F2", due="2026-04-25"))
    assert dunning(project, ledger, "2026-05-04").returncode == 0
    (project / RUNS / "2026-05-04" / "letters" / "D2-first_reminder.txt").unlink()
    refused = confirm(project, RUNS / "2026-05-04")
    assert refused.returncode == 1 and "[journal-document]" in refused.stderr
    assert "letters/D2-first_reminder.txt:1:1: document proposé introuvable" in refused.stderr
    assert not (project / JOURNAL).exists() and not (project / ARCHIVE).exists()
    done = confirm(project, RUNS / "2026-05-04", "--skip", "D2")
    assert done.returncode == 0, done.stderr
    assert {Path(path).name for path, _, _ in documents(project)} == {"D1-first_reminder.txt",
                                                                     "D1-first_reminder.eml"}
    assert len(list((project / ARCHIVE).glob("*/*"))) == 2


def test_the_bundle_is_made_from_the_journal_and_the_archive_after_dist_is_gone(file):
    cited = {Path(path).name: sent for path, sent, _ in documents(file)}
    shutil.rmtree(file / "dist")  # `make clean`
    result = run_main(file, "dunning", "bundle", B2B, "D1", "--date", "2026-06-15")
    assert result.returncode == 0, result.stderr
    folder = file / BUNDLE / "D1"
    text = pdf_text(folder / "dossier-D1.pdf")
    # The cover: parties, claim, décompte.
    assert "Atelier Lyonnais de Menuiserie contre Client Un SARL" in text and "établi le 15 juin 2026".upper() in text
    assert "SIREN 852147362" in text and "Référence client : D1" in text
    con = journal.connect(file / JOURNAL, "atelier-lyonnais")
    try:
        steps = journal.steps(con, "D1")
    finally:
        con.close()
    (notice,) = [s for s in steps if s.stage == "formal_notice"]
    (earlier,) = [s for s in steps if s.invoice_number == "F7"]
    # The claim is the last letter's (F1 only: F7 was paid since); the décompte has every step.
    assert flat(f"Mise en demeure 20 mai 2026 {money(notice.amount_claimed)} Total réclamé à la dernière relance "
                f"{money(notice.amount_claimed)}") in text
    assert flat(f"F7 4 mai 2026 Relance ferme {money(earlier.amount_claimed)}") in text
    # The journal extract: both steps with their documents' SHA-256, the edited one marked, the call.
    assert "Extrait du journal des relances" in text and "appel sans réponse, par Claire" in text
    for name in ("D1-firm_letter.pdf", "D1-formal_notice.pdf", "D1-firm_letter.html"):
        assert cited[name] in text.replace(" ", "")
    assert "modifié après la proposition" in text
    # Then the letters themselves, as archived.
    assert "Pièce n° 1" in text and "Pièce n° 2" in text
    assert "Mise en demeure" in text and "Nos références : client D1" in text
    assert text.index("Bordereau des pièces") < text.index("Pièce n° 2 Mise en demeure")
    # The originals, byte for byte, and the index.
    originals = {p.name: sha(p) for p in (folder / "originaux").iterdir()}
    assert originals == {"01-D1-firm_letter.pdf": cited["D1-firm_letter.pdf"],
                         "01-D1-firm_letter.html": cited["D1-firm_letter.html"],
                         "02-D1-formal_notice.pdf": cited["D1-formal_notice.pdf"],
                         "02-D1-formal_notice.html": cited["D1-formal_notice.html"]}
    rows = list(csv.reader(io.StringIO((folder / "index.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Pièce" and len(rows) == 5
    edited = next(r for r in rows if r[4] == "D1-firm_letter.html")
    assert edited[8] == "oui" and edited[7] == cited["D1-firm_letter.html"] and len(edited[9]) == 64
    assert "02-D1-formal_notice.pdf" in (folder / "index.html").read_text(encoding="utf-8")
    assert json.loads((folder / "dossier.json").read_text(encoding="utf-8"))["debtor"] == "D1"
    # An e-mail is laid out as a page: its headers, text and attachment.
    result = run_main(file, "dunning", "bundle", B2B, "D2", "--date", "2026-06-15")
    assert result.returncode == 0, result.stderr
    text = pdf_text(file / BUNDLE / "D2" / "dossier-D2.pdf")
    assert "compta@client.fr" in text and "PS : voir notre échange du 30 avril." in text
    assert f"contre {HOSTILE}" in text
    assert "Autre &lt;b&gt;SAS&lt;/b&gt; &amp; Cie" in (file / BUNDLE / "D2" / "index.html").read_text(encoding="utf-8")
    assert "modifié après la proposition" in text


def test_history_and_bundle_say_which_archived_document_is_missing_or_altered(file):
    assert run_main(file, "dunning", "bundle", B2B, "D1", "--date", "2026-06-15").returncode == 0
    before = sha(file / BUNDLE / "D1" / "dossier-D1.pdf")
    rows = {Path(path).name: sent for path, sent, _ in documents(file)}
    gone = file / ARCHIVE / rows["D1-formal_notice.pdf"][:2] / f"{rows['D1-formal_notice.pdf']}.pdf"
    gone.unlink()
    altered = file / ARCHIVE / rows["D1-firm_letter.html"][:2] / f"{rows['D1-firm_letter.html']}.html"
    altered.chmod(0o644)
    altered.write_text("<p>autre chose</p>", encoding="utf-8")
    history = run_main(file, "dunning", "history", B2B)
    assert history.returncode == 1
    warnings = [w for w in history.stderr.splitlines() if "avertissement" in w]
    assert len(warnings) == 2
    assert any("D1-formal_notice.pdf" in w and "absent de l’archive des preuves" in w and "[archive-missing]" in w
               for w in warnings)
    assert any("D1-firm_letter.html" in w and "altéré" in w and "[archive-altered]" in w for w in warnings)
    assert f"{len(NAMES) - 2} document(s) intact(s) sur {len(NAMES)}" in history.stdout
    # The bundle is refused, naming both, and the earlier one is left as it was.
    bundle = run_main(file, "dunning", "bundle", B2B, "D1", "--date", "2026-06-16")
    assert bundle.returncode == 1 and "[bundle-missing]" in bundle.stderr and "[bundle-altered]" in bundle.stderr
    assert sha(file / BUNDLE / "D1" / "dossier-D1.pdf") == before
    assert "Traceback" not in history.stderr + bundle.stderr


@pytest.mark.parametrize("target", ["clauses/dossier", "dist/dossiers", "."])
def test_bundle_output_may_not_replace_the_sources(file, target):
    before = sorted(p.name for p in (file / "clauses").iterdir())
    result = run_main(file, "dunning", "bundle", B2B, "D1", "-o", target)
    assert result.returncode == 2 and "rien n’a été écrit" in result.stderr
    assert sorted(p.name for p in (file / "clauses").iterdir()) == before
    assert not (file / BUNDLE).exists()


def test_bundle_of_a_debtor_without_steps(file):
    result = run_main(file, "dunning", "bundle", B2B, "D9")
    assert result.returncode == 1 and "[bundle-debtor]" in result.stderr and "«\xa0D9\xa0»" in result.stderr


def test_a_confirmation_that_fails_after_archiving_leaves_harmless_copies(project, monkeypatch):
    """The archive is written before the journal's transaction: when the transaction fails, the archived
    copies are cited by no step, `history` is clean, and the next confirmation reuses them."""
    write_rates(project)
    ledger = write_ledger(project, line(debtor="D1", number="F1", due="2026-04-25"))
    assert dunning(project, ledger, "2026-05-04").returncode == 0

    def full(con, *args, **kwargs):
        with journal.guarded(con.shown):  # as the real one says it
            raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(journal, "record", full)
    failed = confirm(project, RUNS / "2026-05-04")
    assert failed.returncode == 1 and "[journal-full]" in failed.stderr
    copies = sorted((project / ARCHIVE).glob("*/*"))
    assert len(copies) == 2
    history = run_main(project, "dunning", "history", B2B)
    assert history.returncode == 0 and "0 étape(s)" in history.stdout
    monkeypatch.undo()
    assert confirm(project, RUNS / "2026-05-04").returncode == 0
    assert sorted((project / ARCHIVE).glob("*/*")) == copies
    assert {sent for _, sent, _ in documents(project)} == {p.name.split(".")[0] for p in copies}
