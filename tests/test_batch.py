"""Packs at scale: parallel, incremental, sharded, and robust to one failing pack.

The build logic is tested in-process with PDF printing stubbed (`no_pdf`): a stub is derived from
the HTML, so a changed document still changes its manifest. The real thing, `python build.py all
--jobs 2` printing in two worker processes, is the session's shared build (tests/conftest.py), and
tests/test_project_folder.py checks that another process prints the same bytes.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import ROOT, edit, run_main

from cgvkit.documents.batch import in_shard, parse_shard
from cgvkit.model.ladder import load_default

SUMMARY = re.compile(r"(\d+) pack\(s\) construit\(s\), (\d+) réutilisé\(s\), (\d+) en échec")


def build(root, *args, jobs="1", run=run_main):
    result = run(root, "all", "--no-site", "--jobs", jobs, *args)
    match = SUMMARY.search(result.stdout)
    assert match, result.stdout + result.stderr
    rendered, reused, failed = map(int, match.groups())
    return result, rendered, reused, failed


def add_company(root, slug, base="atelier-lyonnais", replace=()):
    text = (root / "companies" / f"{base}.yaml").read_text(encoding="utf-8")
    for old, new in replace:
        assert old in text
        text = text.replace(old, new)
    (root / "companies" / f"{slug}.yaml").write_text(text, encoding="utf-8")


def rendered_now(root, before):
    """Slugs whose pack folder changed since `before` (slug → manifest text)."""
    return {slug for slug, manifest in before.items()
            if (root / "dist" / slug / "manifest.json").read_text() != manifest}


def manifests(root):
    return {p.parent.name: p.read_text() for p in (root / "dist").glob("*/manifest.json")}


def test_shards_are_stable_disjoint_and_complete():
    slugs = [f"societe-{i}" for i in range(300)]
    for total in (1, 2, 3, 7):
        shards = [{s for s in slugs if in_shard(s, (i, total))} for i in range(1, total + 1)]
        assert set().union(*shards) == set(slugs)
        assert sum(len(s) for s in shards) == len(slugs)
    assert parse_shard("2/8") == (2, 8)


@pytest.mark.slow  # six `all` runs over three packs
def test_incremental_rebuilds_exactly_what_changed(project, no_pdf):
    add_company(project, "filiale-2025", replace=[("effective_date: 2026-01-01", "effective_date: 2025-03-01"),
                                                  ("retention_of_title: {variant: extended}", "retention_of_title: {variant: standard}")])
    _, rendered, reused, failed = build(project)
    assert (rendered, reused, failed) == (3, 0, 0)

    _, rendered, reused, _ = build(project)
    assert (rendered, reused) == (0, 3)

    before = manifests(project)
    variant = project / "clauses" / "retention_of_title" / "extended.yaml"
    variant.write_text(variant.read_text(encoding="utf-8") + "\n# révision\n", encoding="utf-8")
    _, rendered, reused, _ = build(project)
    assert (rendered, reused) == (1, 2)
    assert rendered_now(project, before) == {"atelier-lyonnais"}

    before = manifests(project)
    rates = (project / "data" / "rates.yaml").read_text(encoding="utf-8")
    row = rates.index("half_year: 2025-H1")
    source = rates.index("source:", row)
    rates = rates[:source] + "source: \"corrigée\"  # " + rates[source + len("source:"):]
    (project / "data" / "rates.yaml").write_text(rates, encoding="utf-8")
    _, rendered, reused, _ = build(project)
    assert rendered_now(project, before) == {"filiale-2025"} and (rendered, reused) == (1, 2)

    before = manifests(project)
    edit(project / "companies" / "boutique-en-ligne.yaml", "effective_date:", "# note\neffective_date:")
    build(project)
    assert rendered_now(project, before) == {"boutique-en-ligne"}

    before = manifests(project)
    css = project / "templates" / "print.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* révision */\n", encoding="utf-8")
    _, rendered, reused, _ = build(project)
    assert (rendered, reused) == (3, 0) and rendered_now(project, before) == set(before)


def test_forced_rebuild_renders_up_to_date_packs_again(project, built_packs, no_pdf):
    """Over the session's packs (copied: same inputs in another folder, same build keys), a plain
    run reuses both; `--force` renders both again, in two worker processes, to the same documents."""
    slugs = ("atelier-lyonnais", "boutique-en-ligne")
    for slug in slugs:
        shutil.copytree(built_packs / "dist" / slug, project / "dist" / slug)
    _, rendered, reused, _ = build(project, jobs="2")
    assert (rendered, reused) == (0, 2)
    result, rendered, reused, failed = build(project, "--force", jobs="2")
    assert result.returncode == 0 and (rendered, reused, failed) == (2, 0, 0)
    for slug in slugs:
        ours, session = project / "dist" / slug, built_packs / "dist" / slug
        files = sorted(p.relative_to(session) for p in session.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
        printed = [name for name in files if name.suffix == ".pdf"]  # printed again, by the stub this time
        written = [name for name in files if name.suffix in (".html", ".txt")]
        # The CGV, each printed letter of the ladder and each of its documents; the manifest records their hashes.
        ladder = load_default(ROOT)
        expected = 1 + sum(stage.printed for stage in ladder.stages) + len(ladder.documents)
        assert len(printed) == expected and len(written) == len(files) - expected - 1
        assert all((ours / name).read_bytes().startswith(b"%PDF-stub") for name in printed)
        assert {n: (ours / n).read_bytes() for n in written} == {n: (session / n).read_bytes() for n in written}
        manifest = json.loads((ours / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["build_key"] == json.loads((session / "manifest.json").read_text())["build_key"]


def test_one_failing_pack_does_not_spoil_the_others(project, no_pdf):
    # A render-time failure (division by zero in a clause text) for one company only…
    edit(project / "clauses" / "payment_term" / "standard.yaml", "text: |\n", "text: |\n  {{ 100 // (days + 1 - 1) if days else 100 // days }}\n")
    add_company(project, "en-panne", replace=[("payment_term: {days: 45, end_of_month: false}",
                                               "payment_term: {days: 0, end_of_month: false}")])
    # …and a validation failure for another.
    add_company(project, "mal-saisie", replace=[("market: b2b", "market: b2z")])
    result, rendered, reused, failed = build(project, jobs="2")  # forked workers keep the stub
    assert result.returncode == 1
    assert failed == 2 and rendered == 2
    # The render failure is now caught when the profile is validated, located in the clause text.
    assert "le texte ne peut pas être rendu pour en-panne" in result.stderr.replace("\u00a0", " ")
    assert "[clause-text-render]" in result.stderr
    assert "companies/mal-saisie.yaml" in result.stderr
    assert "Traceback" not in result.stderr
    for slug in ("atelier-lyonnais", "boutique-en-ligne"):
        manifest = json.loads((project / "dist" / slug / "manifest.json").read_text())
        assert "cgv.pdf" in manifest["outputs"]
    assert not (project / "dist" / "en-panne").exists()


@pytest.mark.slow  # two shard runs and a merge over five packs
def test_shard_runs_and_merge_cover_every_company(project, no_pdf):
    for i in range(3):
        add_company(project, f"filiale-{i}")
    built = set()
    for index in (1, 2):
        result = run_main(project, "all", "--no-site", "--jobs", "1", "--shard", f"{index}/2")
        assert result.returncode == 0, result.stderr
        shard = json.loads((project / "dist" / f"index-shard-{index}-of-2.json").read_text())
        assert not built & set(shard["packs"])
        built |= set(shard["packs"])
    assert built == {p.stem for p in (project / "companies").glob("*.yaml")}
    assert run_main(project, "merge").returncode == 0
    merged = json.loads((project / "dist" / "index.json").read_text())
    assert set(merged["packs"]) == built
    assert run_main(project, "all", "--shard", "3/2").returncode == 2


def test_a_pack_built_by_the_pack_command_is_reused_by_all(project, no_pdf):
    assert run_main(project, "pack", "companies/boutique-en-ligne.yaml").returncode == 0
    _, rendered, reused, failed = build(project)
    assert (rendered, reused, failed) == (1, 1, 0)


def test_a_logo_replaced_under_the_same_name_rebuilds_its_pack(project, no_pdf):
    from PIL import Image

    logo = project / "data" / "logo.png"
    Image.new("RGB", (40, 20), "navy").save(logo)
    edit(project / "companies" / "atelier-lyonnais.yaml", "  email:", "  logo: data/logo.png\n  email:")
    build(project)
    assert build(project)[1:3] == (0, 2)  # nothing changed: both reused
    before = manifests(project)
    Image.new("RGB", (40, 20), "darkred").save(logo)  # same path, other bytes
    _, rendered, reused, _ = build(project)
    assert (rendered, reused) == (1, 1) and rendered_now(project, before) == {"atelier-lyonnais"}
