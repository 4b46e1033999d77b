"""The command line as a user runs it: exit codes, message format, atomic outputs."""

from __future__ import annotations

import json
import re

from conftest import ROOT, edit, run_cli, run_main

LINE = re.compile(r"^(?P<file>[\w./-]+):(?P<line>\d+):(?P<col>\d+): (?P<path>[\w.\[\]]+): .+ \[(?P<rule>[a-z0-9-]+)\]$")


def test_validate_the_shipped_project_is_clean(project):
    """End to end: `python build.py validate` in a new process, from the project folder."""
    result = run_cli(project, "validate")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_validate_reports_every_problem_in_the_contract_format(project):
    company = project / "companies" / "atelier-lyonnais.yaml"
    edit(company, "payment_term:", "payment_term: {days: 75}\n  old_payment_term:")
    clause = project / "clauses" / "contestation_period" / "standard.yaml"
    edit(clause, "version:", "version: 1\nunknown_key: x\nold_version:")
    result = run_main(project, "validate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if LINE.match(line)]
    rules = {LINE.match(line)["rule"] for line in lines}
    assert {"schema-unknown", "schema-type"} <= rules  # the clause file's two mistakes
    files = {LINE.match(line)["file"] for line in lines}
    assert "clauses/contestation_period/standard.yaml" in files


def test_company_error_names_line_and_article(project):
    company = project / "companies" / "atelier-lyonnais.yaml"
    text = company.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  payment_term:.*$", "  payment_term: {days: 75, end_of_month: false}", text)
    company.write_text(text, encoding="utf-8")
    result = run_main(project, "validate", "companies/atelier-lyonnais.yaml")
    assert result.returncode == 1
    line_no, line = next((i, row) for i, row in enumerate(text.splitlines(), 1) if row.startswith("  payment_term:"))
    column = line.index("75") + 1
    expected = (f"companies/atelier-lyonnais.yaml:{line_no}:{column}: clauses.payment_term.days: 75 jours dépasse "
                "le plafond de 60 jours")
    assert expected in result.stderr
    assert "(Code de commerce, art. L441-10 I) [payment-term-max]" in result.stderr


def test_yaml_syntax_error_and_duplicate_key(project):
    company = project / "companies" / "boutique-en-ligne.yaml"
    edit(company, "market:", "market: b2c\nmarket:")
    result = run_main(project, "validate")
    assert result.returncode == 1 and "[yaml-duplicate-key]" in result.stderr
    edit(company, "market: b2c\nmarket:", "market: [b2c\nmarket:")
    result = run_main(project, "validate")
    assert result.returncode == 1 and "[yaml-syntax]" in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_usage_exits_2(project):
    assert run_main(project, "pack").returncode == 2
    assert run_main(project, "frobnicate").returncode == 2
    assert run_main(project, "pack", "companies/nope.yaml").returncode == 2


def test_failed_pack_leaves_the_previous_one_intact(project, no_pdf):
    assert run_main(project, "pack", "companies/atelier-lyonnais.yaml").returncode == 0
    pack = project / "dist" / "atelier-lyonnais"
    before = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    company = project / "companies" / "atelier-lyonnais.yaml"
    company.write_text(re.sub(r"(?m)^(\s+siren:).*$", r"\1 '000000001'", company.read_text(encoding="utf-8")),
                       encoding="utf-8")
    result = run_main(project, "pack", "companies/atelier-lyonnais.yaml")
    assert result.returncode == 1 and "[identity-siren]" in result.stderr
    after = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in (project / "dist").iterdir() if p.name.startswith(".")]


def test_schema_command_writes_editor_schemas(project):
    result = run_main(project, "schema", "-o", "out")
    assert result.returncode == 0, result.stderr
    company = json.loads((project / "out" / "company.schema.json").read_text(encoding="utf-8"))
    families = company["properties"]["clauses"]["properties"]
    assert "days" in families["payment_term"]["properties"]
    assert families["late_penalties"]["properties"]["variant"]["enum"]
    clause = json.loads((project / "out" / "clause.schema.json").read_text(encoding="utf-8"))
    assert set(clause["required"]) >= {"id", "family", "text", "legal_basis"}


MODELINE = "# yaml-language-server: $schema="
# Each file the kit reads against a schema, and the JSON Schema an editor should use for it.
EDITOR_SCHEMAS = {"clauses/*/_family.yaml": "family", "clauses/*/[!_]*.yaml": "clause",
                  "companies/*.yaml": "company", "ladder/*.yaml": "ladder", "data/rates.yaml": "rates"}


def test_every_source_file_points_its_editor_at_the_schema_written_for_it(project):
    assert run_main(project, "schema").returncode == 0  # writes schemas/json/ in the copy
    for pattern, kind in EDITOR_SCHEMAS.items():
        paths = sorted(ROOT.glob(pattern))  # the repository's own files: the copy's rates are the tests'
        assert paths, pattern
        for path in paths:
            first = path.read_text(encoding="utf-8").splitlines()[0]
            assert first.startswith(MODELINE), f"{path.relative_to(ROOT)}: no schema line"
            target = (path.parent / first.removeprefix(MODELINE)).resolve()
            assert target == ROOT / "schemas" / "json" / f"{kind}.schema.json", path.relative_to(ROOT)
            written = project / target.relative_to(ROOT)  # where `schema` wrote it in the copy
            assert json.loads(written.read_text(encoding="utf-8"))["title"] == kind
