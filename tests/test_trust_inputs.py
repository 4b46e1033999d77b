"""Hostile and careless inputs: a located French error and exit 1, never a traceback, never a hang.

Each case edits a fresh copy of the example project as a careless or malicious user would, runs
the command in-process (`run_main` lets any exception escape, so a traceback fails the test) and
checks the exit status, the file:line:column of the message, its rule and its French wording.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import time
import zlib
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import edit, run_main

COMPANY = "companies/atelier-lyonnais.yaml"
LEDGER = ("dunning", COMPANY, "--ledger", "ledgers/hostile.csv", "--date", "2026-06-15")
HEADER = "debtor_id,debtor_name,invoice_number,invoice_date,due_date,amount\n"
GOOD_ROW = "C1,Martin SARL,F1,2026-04-01,2026-05-01,100.00\n"


def png(width: int, height: int) -> bytes:
    """A tiny, valid PNG header declaring `width` × `height` pixels (a decompression bomb when huge)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * height if height < 100 else b"\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


ALIAS_BOMB = "bomb:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9))


def replace(file: str, old: str, new: str):
    return lambda root: edit(root / file, old, new)


def write(file: str, content):
    def apply(root: Path) -> None:
        (root / file).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (root / file).write_bytes(content)
        else:
            (root / file).write_text(content, encoding="utf-8")
    return apply


def logo(name: str, content) -> list:
    return [write(f"logos/{name}", content), replace(COMPANY, "  name:", f"  logo: logos/{name}\n  name:")]


# (id, edits, command, "file:line:col", rule, French words the message must contain)
CASES = [
    ("impossible-date-company", [replace(COMPANY, "effective_date: 2026-01-01", "effective_date: 2026-02-30")],
     ("validate",), f"{COMPANY}:17:17", "yaml-date", "date impossible « 2026-02-30 »"),
    ("year-zero-company", [replace(COMPANY, "effective_date: 2026-01-01", "effective_date: 0000-01-01")],
     ("validate",), f"{COMPANY}:17:17", "yaml-date", "date impossible « 0000-01-01 »"),
    ("impossible-date-clause", [replace("clauses/payment_term/standard.yaml", "valid_from: 2019-04-26",
                                        "valid_from: 2019-02-29")],
     ("validate",), "clauses/payment_term/standard.yaml:6:13", "yaml-date", "date impossible"),
    ("impossible-date-rates", [replace("data/rates.yaml", "    ecb: 0.05\n", "    ecb: 2026-02-30\n")],
     ("validate",), "data/rates.yaml:7:10", "yaml-date", "date impossible"),
    ("year-zero-half-year", [replace("data/rates.yaml", "half_year: 2015-H1", "half_year: 0000-H1")],
     ("validate",), "data/rates.yaml:6:16", "rates-regex", "n’a pas la forme attendue"),
    ("rate-beyond-any-rate", [replace("data/rates.yaml", "    ecb: 0.05\n", "    ecb: 1.0e+25\n")],
     ("validate",), "data/rates.yaml:7:10", "rates-max", "dépasse le maximum 100"),
    ("thousands-of-digits", [replace(COMPANY, "capital: 150000", "capital: " + "9" * 5000)],
     ("validate",), f"{COMPANY}:6:12", "yaml-number", "nombre démesuré"),
    ("thousands-of-digits-clause", [replace(COMPANY, "days: 45", "days: " + "1" * 4400)],
     ("validate",), f"{COMPANY}:19:24", "yaml-number", "nombre démesuré"),
    ("huge-exponent", [replace(COMPANY, "capital: 150000", "capital: 1.0e+999999999")],
     ("validate",), f"{COMPANY}:6:12", "yaml-number", "nombre démesuré"),
    ("deep-nesting-flow", [replace(COMPANY, "market: b2b", "market: b2b\nx: " + "[" * 10000 + "]" * 10000)],
     ("validate",), f"{COMPANY}:17:", "yaml-depth", "imbrication trop profonde"),
    ("deep-nesting-clause", [write("clauses/payment_term/standard.yaml",
                                   "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v\n")],
     ("validate",), "clauses/payment_term/standard.yaml:", "yaml-depth", "imbrication trop profonde"),
    ("nul-byte-company", [replace(COMPANY, "market: b2b", "market: b2b\x00")],
     ("validate",), f"{COMPANY}:16:12", "yaml-control", "caractère de contrôle interdit (U+0000)"),
    ("nul-byte-clause", [replace("clauses/payment_term/standard.yaml", "valid_from", "\x00valid_from")],
     ("validate",), "clauses/payment_term/standard.yaml:6:1", "yaml-control", "caractère de contrôle"),
    ("alias-bomb", [replace(COMPANY, "market: b2b\n", "market: b2b\n" + ALIAS_BOMB)],
     ("validate",), f"{COMPANY}:19:", "yaml-alias", "alias YAML"),
    ("capital-too-large", [replace(COMPANY, "capital: 150000", "capital: 1000000000001")],
     ("validate",), f"{COMPANY}:6:12", "schema-max", "dépasse le maximum 1\u202f000\u202f000\u202f000\u202f000"),
    ("capital-fractions-of-cent", [replace(COMPANY, "capital: 150000", "capital: 1500.125")],
     ("validate",), f"{COMPANY}:6:12", "schema-decimals", "trop de décimales (2 au plus)"),
    ("indemnity-beyond-any-company", [replace(COMPANY, "late_penalties: {variant: ecb_plus_10}",
                                              "late_penalties: {variant: ecb_plus_10, indemnity: 1.0e+20}")],
     ("validate",), f"{COMPANY}:21:", "parameter-max", "dépasse le maximum"),
    ("logo-not-an-image", logo("logo.png", "ceci n’est pas une image"),
     ("validate",), f"{COMPANY}:4:9", "identity-logo", "n’est pas une image PNG lisible"),
    ("logo-decompression-bomb", logo("logo.png", png(100000, 100000)),
     ("validate",), f"{COMPANY}:4:9", "identity-logo", "bombe de décompression"),
    ("logo-jpeg-named-png", logo("logo.jpg", png(2, 2)),
     ("validate",), f"{COMPANY}:4:9", "identity-logo", "est une image PNG, pas JPEG"),
    ("logo-svg-script", logo("logo.svg", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
     ("validate",), f"{COMPANY}:4:9", "identity-logo", "élément <script>"),
    ("logo-svg-external", logo("logo.svg", '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org'
                                           '/1999/xlink"><image xlink:href="https://example.com/x.png"/></svg>'),
     ("validate",), f"{COMPANY}:4:9", "identity-logo", "ne charge rien d’extérieur"),
    ("logo-svg-entities", logo("logo.svg", '<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org'
                                           '/2000/svg">&a;</svg>'),
     ("validate",), f"{COMPANY}:4:9", "identity-logo", "DTD"),
    ("logo-svg-not-xml", logo("logo.svg", "<svg><rect></svg>"),
     ("validate",), f"{COMPANY}:4:9", "identity-logo", "n’est pas un SVG valide"),
    ("ledger-impossible-date", [write("ledgers/hostile.csv", HEADER + "C1,Martin SARL,F1,2026-02-30,0000-01-01,100\n")],
     LEDGER, "ledgers/hostile.csv:2:4", "ledger-date", "date illisible « 2026-02-30 »"),
    ("ledger-128k-cell", [write("ledgers/hostile.csv", HEADER + GOOD_ROW + 'C2,"' + "x" * 140_000 + '",F2,2026-04-01,'
                                "2026-05-01,1\n")],
     LEDGER, "ledgers/hostile.csv:3:1", "ledger-csv", "cellule de plus de 128 Kio"),
    ("ledger-nul-byte", [write("ledgers/hostile.csv", HEADER + GOOD_ROW.replace("Martin", "Mar\x00tin"))],
     LEDGER, "ledgers/hostile.csv:2:1", "ledger-control", "caractère de contrôle interdit"),
    ("ledger-amount-too-large", [write("ledgers/hostile.csv", HEADER + GOOD_ROW.replace("100.00", "100000000000.01"))],
     LEDGER, "ledgers/hostile.csv:2:6", "ledger-amount-max", "montant démesuré"),
    ("ledger-thousands-of-digits", [write("ledgers/hostile.csv", HEADER + GOOD_ROW.replace("100.00", "9" * 5000))],
     LEDGER, "ledgers/hostile.csv:2:6", "ledger-amount", "montant illisible"),
    ("merge-no-shard-index", [write("dist/atelier-lyonnais/manifest.json", "{}")],
     ("merge",), "dist:1:1", "shard-none", "aucun index de lot"),
    ("merge-corrupt-index", [write("dist/index-shard-1-of-2.json", '{"shard": [1, 2], "packs": {"a": {}}'),
                             write("dist/index-shard-2-of-2.json", '{"shard": [2, 2], "packs": {}}')],
     ("merge",), "dist/index-shard-1-of-2.json:1:", "shard-corrupt", "index de lot illisible"),
    ("merge-index-without-keys", [write("dist/index-shard-1-of-1.json", '{"packs": []}')],
     ("merge",), "dist/index-shard-1-of-1.json:1:1", "shard-corrupt", "index de lot incomplet"),
    ("merge-missing-shard", [write("dist/index-shard-1-of-3.json", '{"shard": [1, 3], "packs": {}}'),
                             write("dist/index-shard-3-of-3.json", '{"shard": [3, 3], "packs": {}}')],
     ("merge",), "dist:1:1", "shard-missing", "lots 2 sur 3 manquant"),
]


@pytest.mark.parametrize("edits, args, where, rule, words", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_hostile_input_is_a_located_french_error(project, edits, args, where, rule, words):
    for apply in edits:
        apply(project)
    started = time.perf_counter()
    result = run_main(project, *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    line = next((line for line in result.stderr.splitlines() if f"[{rule}]" in line), None)
    assert line is not None, result.stderr
    assert line.startswith(where) and words in line, line
    assert "erreur(s)" in result.stderr  # the closing French summary: nothing written
    assert time.perf_counter() - started < 120  # a bomb would not end at all


def test_merge_with_every_shard_present_still_works(project):
    for index in (1, 2):
        write(f"dist/index-shard-{index}-of-2.json",
              json.dumps({"shard": [index, 2], "packs": {f"pack-{index}": {"status": "rendered"}}}))(project)
    result = run_main(project, "merge")
    assert result.returncode == 0, result.stderr
    merged = json.loads((project / "dist" / "index.json").read_text(encoding="utf-8"))
    assert set(merged["packs"]) == {"pack-1", "pack-2"}


def test_a_regular_svg_and_png_logo_are_accepted(project):
    for apply in logo("logo.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs>'
                                  '<linearGradient id="g"/></defs><rect width="10" height="10" '
                                  'style="fill:url(#g)"/></svg>'):
        apply(project)
    assert run_main(project, "validate").returncode == 0
    write("logos/logo.png", png(4, 4))(project)
    edit(project / COMPANY, "logos/logo.svg", "logos/logo.png")
    result = run_main(project, "validate")
    assert result.returncode == 0, result.stderr


def test_negative_zero_prints_as_zero():
    from cgvkit.core.french import money, number, percent
    from cgvkit.dunning.ledger import parse_amount
    from cgvkit.sources.yamlsource import load_text

    assert money(Decimal("-0.00")) == "0,00\u00a0€" and money("-0.004") == "0,00\u00a0€"
    assert money("-0.01") == "-0,01\u00a0€"
    assert number(Decimal("-0")) == "0" and number("-0.4", 0) == "0" and percent(Decimal("-0.0")) == "0,00\u00a0%"
    assert str(parse_amount("-0,00")) == "0.00" and str(parse_amount("-0")) == "0.00"
    value = load_text("capital: -0.0\n", "x.yaml").data["capital"]
    assert value == 0 and not value.is_signed()


def test_a_name_outside_the_sms_alphabet_is_located_at_the_company_name(project):
    """« ç » is not in the GSM 03.38 alphabet: the SMS goes UCS-2 (67 characters a segment)."""
    from cgvkit.core.errors import KitError
    from cgvkit.model.ladder import load_default
    from cgvkit.model.letters import blank_context, render_stage
    from cgvkit.model.project import load_project

    edit(project / COMPANY, "name: Atelier Lyonnais de Menuiserie", "name: Façades Durand et Compagnie de Lyon")
    with pytest.raises(KitError) as loading:  # found as the project loads, as `validate` and `pack` load it
        load_project(project, [project / COMPANY])
    company = load_project(project, [project / COMPANY], letter_texts=False).companies[0]
    stage = load_default(project).get("pre_due")
    with pytest.raises(KitError) as caught:  # and by the render a pack makes
        render_stage(project, stage, lambda html: blank_context(company, stage, html))
    for found in (loading, caught):
        (problem,) = [p for p in found.value.problems if p.rule.startswith("sms")]
        assert (problem.file, problem.line, problem.column, problem.path) == (COMPANY, 4, 9, "company.name")
        assert problem.rule == "sms-alphabet" and "« ç »" in problem.message and "UCS-2" in problem.message


# --- a read-only output folder -------------------------------------------------------------------

@contextmanager
def read_only(folder: Path):
    """Make `folder` unwritable: chmod for a user, the immutable attribute for root (who ignores modes)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("running as root on a file system without the immutable attribute")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_output_folder_is_a_french_error_and_loses_nothing(project):
    previous = project / "dist" / "atelier-lyonnais" / "manifest.json"
    previous.parent.mkdir(parents=True)
    previous.write_text('{"previous": true}', encoding="utf-8")
    with read_only(project / "dist"):
        result = run_main(project, "pack", COMPANY)
        merged = run_main(project, "all", "--no-site", "--jobs", "1")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "dist" in result.stderr
    assert "opération non permise" in result.stderr or "permission refusée" in result.stderr
    assert "les sorties précédentes restent intactes" in result.stderr
    assert merged.returncode == 1 and "Traceback" not in merged.stderr
    assert f"{COMPANY}:1:1: pack non écrit" in merged.stderr and "[pack-write]" in merged.stderr
    assert previous.read_text(encoding="utf-8") == '{"previous": true}'


# --- one broken company among others ---------------------------------------------------------------

BROKEN_COMPANY = {
    "impossible-date": ("effective_date: 2026-01-01", "effective_date: 2026-02-30"),
    "thousands-of-digits": ("capital: 150000", "capital: " + "9" * 5000),
    "huge-exponent": ("capital: 150000", "capital: 1.0e+999999999"),
    "deep-nesting": ("market: b2b", "market: b2b\nx: " + "[" * 10000 + "]" * 10000),
    "nul-byte": ("market: b2b", "market: b2b\x00"),
    "alias-bomb": ("market: b2b\n", "market: b2b\n" + ALIAS_BOMB),
    "capital-too-large": ("capital: 150000", "capital: 1000000000001"),
    "logo-bomb": ("  name:", "  logo: logos/bomb.png\n  name:"),
    "logo-not-an-image": ("  name:", "  logo: logos/text.png\n  name:"),
    "name-outside-sms-alphabet": ("name: Atelier Lyonnais de Menuiserie", "name: Façades Durand et Compagnie de Lyon"),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory, built_packs) -> Path:
    """The example project with its packs built, and two bad logos in a folder no pack depends on."""
    root = tmp_path_factory.mktemp("trust") / "project"
    shutil.copytree(built_packs, root)
    write("logos/bomb.png", png(100000, 100000))(root)
    write("logos/text.png", "du texte")(root)
    return root


@pytest.mark.slow
@pytest.mark.parametrize("old, new", list(BROKEN_COMPANY.values()), ids=list(BROKEN_COMPANY))
def test_one_broken_company_does_not_stop_all(built, tmp_path, old, new):
    root = tmp_path / "project"
    shutil.copytree(built, root)
    text = (root / COMPANY).read_text(encoding="utf-8")
    assert old in text
    (root / "companies" / "cassee.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    result = run_main(root, "all", "--no-site", "--jobs", "1")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "companies/cassee.yaml:" in result.stderr
    # the other packs are settled (reused: they are up to date) and the broken one is counted
    others = sorted(p.stem for p in (built / "companies").glob("*.yaml"))
    assert f"0 pack(s) construit(s), {len(others)} réutilisé(s), 1 en échec" in result.stdout, result.stdout
    index = json.loads((root / "dist" / "index.json").read_text(encoding="utf-8"))
    assert {slug: entry["status"] for slug, entry in index["packs"].items() if slug != "cassee"} == {
        slug: "reused" for slug in others}


# --- error collection is linear ---------------------------------------------------------------------
# Timed against a deliberately generous bound: the quadratic collection took 28 s for 3 000 unknown
# keys and 200 s for 60 000 bad ledger rows on the development machine (hours for 30 000 keys); the
# linear one takes about 1 s for each case below. A bound 30× above the linear figure cannot flake on
# a busy machine and cannot pass if collection turns quadratic again. `benchmarks/errors.py` times
# n and 2n and prints the ratio.

def test_thirty_thousand_unknown_keys_are_reported_quickly():
    from cgvkit.sources.schemas import validate
    from cgvkit.sources.yamlsource import Source

    document = {"company": {}, **{f"cle_{i}": 1 for i in range(30_000)}}
    source = Source("companies/x.yaml", document, {(f"cle_{i}",): (i + 2, 1) for i in range(30_000)})
    schema = {"company": {"type": "dict"}}
    started = time.perf_counter()
    problems = validate(source, schema)
    assert len(problems) == 30_000 and {p.rule for p in problems} == {"schema-unknown"}
    assert time.perf_counter() - started < 30


def test_sixty_thousand_bad_ledger_amounts_are_reported_quickly():
    from cgvkit.core.errors import KitError
    from cgvkit.dunning.ledger import parse_ledger

    text = HEADER.replace("\n", ",status\n") + "".join(
        f"D{i},Nom {i},F{i},2026-01-01,2026-02-01,abc,promised\n" for i in range(60_000))
    started = time.perf_counter()
    with pytest.raises(KitError) as caught:
        parse_ledger(text, "ledgers/x.csv", "b2b", ("pre_due",))
    rules = [p.rule for p in caught.value.problems]
    assert rules.count("ledger-amount") == 60_000 and rules.count("ledger-promise-date") == 60_000
    assert time.perf_counter() - started < 60


def test_problems_collection_is_linear_and_still_drops_duplicates():
    from cgvkit.core.errors import Problem, Problems

    problems = Problems()
    started = time.perf_counter()
    for i in range(100_000):
        problems.add(Problem("x.yaml", i, 1, "k", "m", "r"))
    problems.add(Problem("x.yaml", 7, 1, "k", "m", "r"))
    assert len(problems.items) == 100_000
    assert time.perf_counter() - started < 30


# --- same bytes on every machine -----------------------------------------------------------------

@pytest.mark.slow
def test_pdf_is_identical_at_any_time_without_harfbuzz_subset(monkeypatch, tmp_path, caplog):
    """Without libharfbuzz-subset WeasyPrint subsets fonts with fontTools, which stamps the time."""
    import types
    from datetime import date

    import fontTools.misc.timeTools as time_tools
    import weasyprint.pdf.fonts as weasy_fonts

    from cgvkit.documents.pdf import write_pdf

    root = Path(__file__).resolve().parent.parent
    monkeypatch.setattr(weasy_fonts, "harfbuzz_subset", None)  # WeasyPrint falls back on fontTools
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    html = ('<html><head><link rel="stylesheet" href="cgv.css"></head><body><h1>Conditions générales</h1>'
            '<p>Pénalités de retard : 12,15 % l’an.</p></body></html>')
    printed = []
    for now in (1_000_000_000, 1_900_000_000):  # 2001 and 2030
        monkeypatch.setattr(time_tools, "time", types.SimpleNamespace(time=lambda now=now: now))
        target = tmp_path / f"{now}.pdf"
        write_pdf(html, target, root, date(2026, 1, 1), "0" * 32)
        printed.append(target.read_bytes())
    assert "Using fontTools instead of HarfBuzz-Subset" in caplog.text  # the path a bare Debian takes
    assert printed[0] == printed[1]
    assert "SOURCE_DATE_EPOCH" not in os.environ  # restored
