"""Print stylesheets parsed once per process: the same PDFs, nothing more fetched, edits seen."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import copy_project, run_main
from pypdf import PdfReader

from cgvkit.documents import pdf
from cgvkit.documents.standalone import printable
from cgvkit.documents.stylesheets import reusable_sheets

B2B = "atelier-lyonnais"

ROOT = Path(__file__).resolve().parent.parent
WHEN = date(2026, 6, 15)
HEAD = '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">{}</head><body><p>Texte</p></body></html>'
LINKS = '<link rel="stylesheet" href="print.css">\n<link rel="stylesheet" href="letters/letter.css">\n'


def printed_both_ways(monkeypatch, html: str, root: Path, folder: Path) -> tuple[bytes, bytes]:
    """The PDF as the kit prints it (sheets reused), then with every sheet parsed for it alone."""
    pdf.write_pdf(html, folder / "reused.pdf", root, WHEN, "1" * 32)
    with monkeypatch.context() as patch:
        patch.setattr(pdf, "reusable_sheets", lambda *args: None)
        pdf.write_pdf(html, folder / "parsed.pdf", root, WHEN, "1" * 32)
    return (folder / "reused.pdf").read_bytes(), (folder / "parsed.pdf").read_bytes()


@pytest.mark.parametrize("document", ["atelier-lyonnais/cgv.html", "boutique-en-ligne/cgv.html",
                                      "atelier-lyonnais/letters/formal_notice.html",
                                      "atelier-lyonnais/letters/court_cover_note.html",
                                      "boutique-en-ligne/letters/payment_plan.html"])
def test_the_kits_documents_print_to_the_same_bytes(built_packs, monkeypatch, tmp_path, document):
    html = printable((built_packs / "dist" / document).read_text(encoding="utf-8"))  # as the printer reads it
    assert reusable_sheets(html, built_packs / "templates", pdf._FONTS) is not None  # the reusing path is taken
    reused, parsed = printed_both_ways(monkeypatch, html, built_packs, tmp_path)
    assert reused == parsed


def test_the_run_letters_print_to_the_same_bytes(built_packs, monkeypatch, tmp_path):
    result = run_main(built_packs, "dunning", f"companies/{B2B}.yaml", "--ledger", "ledgers/example.csv",
                      "--date", "2026-06-15", "-o", "dist/run-sheets")
    assert result.returncode == 0, result.stderr
    letters = sorted((built_packs / "dist" / "run-sheets" / "letters").glob("*.html"))
    assert letters
    for letter in letters[:2]:  # filled in: the debtor's data, the payment QR code as an image
        html = printable(letter.read_text(encoding="utf-8"))
        assert reusable_sheets(html, built_packs / "templates", pdf._FONTS) is not None
        reused, parsed = printed_both_ways(monkeypatch, html, built_packs, tmp_path)
        assert reused == parsed


@pytest.mark.parametrize("head", ['<style>p { color: red }</style>' + LINKS,
                                  LINKS + '<link rel="icon" href="logo.png">',
                                  '<link rel="stylesheet" href="../../etc/hosts.css">',
                                  '<link rel="stylesheet" href="absent.css">',
                                  '<link rel="stylesheet" href="print.css" media="screen">'])
def test_any_other_document_is_printed_as_it_is(head):
    assert reusable_sheets(HEAD.format(head), ROOT / "templates", pdf._FONTS) is None


@pytest.mark.parametrize("rule", ["@import url(print.css);", "@counter-style puce { system: cyclic; symbols: '–' }",
                                  "@layer base;"])
def test_a_sheet_that_acts_on_the_document_is_left_to_weasyprint(tmp_path, rule):
    root = copy_project(tmp_path / "project", parts=("templates",))
    (root / "templates" / "more.css").write_text(rule + "\np { margin: 0 }\n", encoding="utf-8")
    html = HEAD.format('<link rel="stylesheet" href="print.css">\n<link rel="stylesheet" href="more.css">\n')
    assert reusable_sheets(html, root / "templates", pdf._FONTS) is None


def test_a_style_attribute_keeps_the_authors_cascade():
    html = HEAD.format(LINKS).replace("<p>", '<p style="color: red">')
    assert reusable_sheets(html, ROOT / "templates", pdf._FONTS) is None
    assert reusable_sheets(HEAD.format(LINKS), ROOT / "templates", pdf._FONTS) is not None


def test_what_a_sheet_may_not_fetch_is_refused_for_every_document(tmp_path):
    root = copy_project(tmp_path / "project", parts=("templates",))
    (root / "templates" / "hostile.css").write_text(
        '@font-face { font-family: X; src: url(file:///etc/hosts) }\n'
        'body { background: url(http://127.0.0.1:9/x.png) }\n', encoding="utf-8")
    html = HEAD.format('<link rel="stylesheet" href="hostile.css">')
    for n in range(2):  # the second document reuses the parsed sheet: still refused, still said
        printed = pdf.write_pdf(html, tmp_path / f"{n}.pdf", root, WHEN, "2" * 32)
        assert "file:///etc/hosts" in printed.refused
        assert "http://127.0.0.1:9/x.png" in printed.refused


def test_an_edited_sheet_is_printed_as_edited(tmp_path):
    root = copy_project(tmp_path / "project", parts=("templates",))
    html = HEAD.format(LINKS)
    sizes = []
    for size in ("A4", "A5"):
        css = root / "templates" / "letters" / "letter.css"
        css.write_text(css.read_text(encoding="utf-8") + f"\n@page {{ size: {size} }}\n", encoding="utf-8")
        pdf.write_pdf(html, tmp_path / f"{size}.pdf", root, WHEN, "3" * 32)
        sizes.append(round(float(PdfReader(tmp_path / f"{size}.pdf").pages[0].mediabox.width)))
    assert sizes == [595, 420]  # points: A4 then A5 wide


def _print_and_tell(html: str, target: str) -> str:
    """In a printer worker: print, and say which folder this process's fonts are written to."""
    pdf.write_pdf(html, Path(target), ROOT, WHEN, "3" * 32)
    return str(pdf._FONTS._folder)


def test_a_printer_worker_writes_its_fonts_in_its_own_folder(tmp_path):
    """WeasyPrint writes each @font-face to a file of its configuration's folder and maps it: workers
    forked with their parent's configuration wrote the same files, and one rewriting a file another
    had mapped killed it (SIGBUS, a broken process pool). Each worker now has its own, and the
    parent's folder outlives them."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    html = HEAD.format(LINKS)
    pdf.write_pdf(html, tmp_path / "parent.pdf", ROOT, WHEN, "3" * 32)  # the parent has fonts of its own
    parent = pdf._FONTS._folder
    assert parent is not None and parent.is_dir()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"),
                             initializer=pdf.fonts_of_this_process) as pool:
        folders = [pool.submit(_print_and_tell, html, str(tmp_path / f"{n}.pdf")) for n in range(4)]
        workers = {f.result() for f in folders}
    assert str(parent) not in workers and "None" not in workers
    assert parent.is_dir() and any(parent.iterdir())  # a worker leaving did not delete the parent's fonts
    assert all(PdfReader(tmp_path / f"{n}.pdf").pages for n in range(4))
