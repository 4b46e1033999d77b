"""Shared fixtures: private copies of the example project, the kit run in-process, one shared build.

- `project`: a fresh copy of the example project (no kit code) in tmp, with the tests' own rate
  table (tests/data/rates.yaml) in place of data/rates.yaml, so a new half-year added to the real
  table breaks no test.
- `run_main(root, *args)`: the command line in this process (what almost every test uses);
  `run_cli(root, *args)`: `python build.py ARGS` in a new process, for the few end-to-end tests.
- `built_packs`: the example project plus a company with a hostile name, built once per session
  by `python build.py all --jobs 2` (packs with their PDFs, then the site); tests read it (they
  may write only dist/run*/ and ledgers/bad*.csv in it).
- `no_pdf`: PDF printing replaced by a stub file, for tests about builds rather than print.

Markers: `slow` (prints PDFs, builds several packs or the site; every test using `built_packs` gets
it automatically) and `browser` (Chromium). `make check` runs `-m "not slow and not browser"`.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEST_RATES = Path(__file__).resolve().parent / "data" / "rates.yaml"
# What a law firm keeps in its own repository; the kit (cgvkit/, build.py) is not copied.
PROJECT_PARTS = ("clauses", "companies", "data", "schemas", "templates", "docs", "mkdocs.yml", "ladder", "ledgers")
HOSTILE = "<script>alert(1)</script> {{ 7*7 }} *Gras* & Cie"
HOSTILE_SLUG = "zz-echappement"


def copy_project(target: Path, parts=PROJECT_PARTS) -> Path:
    """Copy the example project into `target`, with the tests' frozen rate table."""
    target.mkdir(parents=True, exist_ok=True)
    for name in parts:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=_not_copied, copy_function=_copy_or_link)
        elif source.exists():
            shutil.copy2(source, target / name)
    if (target / "data").is_dir():
        shutil.copy2(TEST_RATES, target / "data" / "rates.yaml")
    return target


FONTS = ROOT / "templates" / "fonts"
_GENERATED = shutil.ignore_patterns("__pycache__", "generated", "entreprises", "json")


def _not_copied(folder: str, names: list[str]) -> set[str]:
    """Generated files, the examples' record of published CGV versions (data/cgv/): a test edits the
    example profiles as a lawyer drafting new CGV would, not as one rewriting CGV already published
    (tests/test_cgv_versions.py publishes its own versions), and the example selling to both markets:
    the tests count on the two single-market examples, and that one has its own tests."""
    skipped = set(_GENERATED(folder, names))
    if Path(folder) == ROOT / "data":
        skipped.add("cgv")
    if Path(folder) == ROOT / "companies":  # the example selling to both markets: tests/test_markets.py
        skipped.add(TWO_MARKETS_EXAMPLE)
    return skipped


TWO_MARKETS_EXAMPLE = "cave-des-halles.yaml"


def _copy_or_link(source: str, target: str) -> None:
    """Fonts (two thirds of the project's bytes, only ever read) are hard-linked, the rest copied:
    a test may rewrite any other file of its copy."""
    if Path(source).parent == FONTS:
        try:
            os.link(source, target)
            return
        except OSError:  # another file system
            pass
    shutil.copy2(source, target)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items):
    """A test that reads the shared build is slow (it costs the build), whatever file it is in."""
    for item in items:
        if "built_packs" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.xdist_group("built_packs"))  # `-n 2 --dist loadgroup`: built once


@pytest.fixture
def project(tmp_path) -> Path:
    """A fresh copy of the project in a temporary folder."""
    return copy_project(tmp_path / "project")


def default_ctrl_c() -> None:
    """`preexec_fn` of a child the test stops with Ctrl-C: it gets SIGINT and SIGQUIT as a terminal
    user's command does, whatever this process ignores at the moment (while any thread of it waits
    in C's system(), the whole process ignores both, and a child started then would inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def serve(root: Path, built: Path) -> tuple[subprocess.Popen, str]:
    """`python build.py serve` on `root` with the packs of `built` (serve prints none after its
    start), once it says where the site is: the process, stopped by `stop_with_ctrl_c`, and the URL."""
    shutil.copytree(built / "dist", root / "dist")
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--address", f"127.0.0.1:{port}"],
                               cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**kit_env(), "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"},
                               preexec_fn=default_ctrl_c)
    try:
        wait_for_line(process, "site servi sur", 120)
    except BaseException:
        stop_with_ctrl_c(process)
        raise
    return process, f"http://127.0.0.1:{port}/"


def stop_with_ctrl_c(process: subprocess.Popen) -> str:
    """Ctrl-C, then the process's whole output; a process that does not stop fails the test with
    every thread's stack (PYTHONFAULTHANDLER prints them on SIGABRT) and is not left running."""
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        pytest.fail(f"le processus ne s’est pas arrêté sur Ctrl-C ; sortie : {process.communicate()[0]}")


def kit_env() -> dict:
    """The environment of a subprocess that imports the kit from this checkout."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`python build.py ARGS` as a user runs it from the project folder, in a new process (slow:
    kept for a few end-to-end tests)."""
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=root, capture_output=True,
                          text=True, timeout=600, env=kit_env())


def clear_caches() -> None:
    """Forget what the kit cached per process by path (templates, schemas, tree hashes): tests edit
    files. Caches keyed by content (compiled clause texts) stay: an edited text is a new key."""
    for module in [m for name, m in sys.modules.items() if name.startswith("cgvkit") and m]:
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and not getattr(value, "keyed_by_content", False):
                value.cache_clear()


def run_main(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`python build.py ARGS` in this process, from the project folder: same result, no start-up."""
    from cgvkit.cli import main

    clear_caches()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(root), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--root", str(root), *args])
        except SystemExit as exc:  # argparse's wrong usage
            code = exc.code
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_line(process, text: str, seconds: float) -> str:
    """What `process` printed up to the first line holding `text`; fails after `seconds` or if it ends.
    (A line that never comes blocks the read: callers stop the process in a `finally`.)"""
    seen = ""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen += line
        if text in line:
            return seen
        if process.poll() is not None:
            break
    raise AssertionError(f"« {text} » jamais affiché ; sortie : {seen}")


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact snippet in a file; fail loudly if the snippet is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def stub_pdf(html, target, root, when, identifier):
    """Stands in for `write_pdf`: a small file derived from the HTML's identifier, one page."""
    from cgvkit.documents.pdf import Printed

    Path(target).write_bytes(b"%PDF-stub " + identifier.encode("ascii") + b"\n")
    return Printed(1, [])


@pytest.fixture
def no_pdf(monkeypatch):
    """PDF printing replaced by `stub_pdf` (inherited by forked build workers)."""
    import cgvkit.documents.pdf

    monkeypatch.setattr(cgvkit.documents.pdf, "write_pdf", stub_pdf)


def add_hostile_company(root: Path) -> None:
    """A copy of an example profile whose name is markup and template syntax."""
    source = sorted((root / "companies").glob("*.yaml"))[0]
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["company"]["name"] = HOSTILE
    (root / "companies" / f"{HOSTILE_SLUG}.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="session")
def built_packs(tmp_path_factory) -> Path:
    """The example project (plus the hostile company) built once per session, end to end, by
    `python build.py all --jobs 2`: every pack with its PDFs in two worker processes, then the
    site. A stale generated page is planted first: the build must remove it. Read-only for
    tests, except dist/run* folders and ledgers/bad*.csv."""
    root = copy_project(tmp_path_factory.mktemp("built") / "project")
    add_hostile_company(root)
    (root / "docs" / "generated").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "generated" / "perime.md").write_text("# Page périmée\n", encoding="utf-8")
    result = run_cli(root, "all", "--jobs", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 pack(s) construit(s), 0 réutilisé(s), 0 en échec" in result.stdout
    assert "Traceback" not in result.stderr
    return root


@pytest.fixture(scope="session")
def rate_table(tmp_path_factory):
    """The tests' rate table, loaded as the kit loads a project's data/rates.yaml."""
    from cgvkit.law.rates import RateTable

    root = tmp_path_factory.mktemp("rates")
    for folder, source in (("schemas", ROOT / "schemas" / "rates.yaml"), ("data", TEST_RATES)):
        (root / folder).mkdir()
        shutil.copy2(source, root / folder / "rates.yaml")
    return RateTable.load(root / "data" / "rates.yaml", root)


class _InTheTable(date):
    """Today, as the command line reads it in tests: a day the tests' rate table covers."""

    @classmethod
    def today(cls):
        return cls(2026, 6, 15)


@pytest.fixture(autouse=True)
def today_in_the_rate_table(request, monkeypatch):
    """The command line reads today's date once; `validate` and `all` warn when its half-year is missing
    from the rate table, and check the CGV against the law of that day. Tests use their own frozen
    table, so their output must not depend on the day they run: the command line's today is
    2026-06-15 unless a test passes `--date`. Opt out with `@pytest.mark.real_today`."""
    if request.node.get_closest_marker("real_today") is None:
        import cgvkit.cli as cli

        monkeypatch.setattr(cli, "date", _InTheTable)
