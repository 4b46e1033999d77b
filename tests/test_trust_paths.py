"""Nothing lost: hostile company file names, `-o` aimed at what is not an output, a swap killed
halfway, two runs on one output, and Ctrl-C or a kill in the middle of `all --jobs N`."""

from __future__ import annotations

import contextlib
import hashlib
import io
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, default_ctrl_c, kit_env, run_main

from cgvkit.cli import main
from cgvkit.commands.destination import checked_output
from cgvkit.commands.output import Usage
from cgvkit.core import files
from cgvkit.core.files import staged_dir, tidy

COMPANY = "companies/atelier-lyonnais.yaml"
LEDGER = "ledgers/example.csv"


def tree(folder: Path) -> dict:
    """Every file under `folder` (hidden ones too) and a hash of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- company slugs -------------------------------------------------------------------------------

HOSTILE_NAMES = [
    pytest.param("..yaml", id="dot"),
    pytest.param(".yaml", id="hidden"),
    pytest.param("relances.yaml", id="reserved-relances"),
    pytest.param("index.yaml", id="reserved-index"),
    pytest.param("index.json.yaml", id="index-json"),
    pytest.param("index-shard-1-of-2.yaml", id="index-shard"),
    pytest.param("a%2e.yaml", id="percent"),
    pytest.param("a#b.yaml", id="hash"),
    pytest.param(" acme.yaml", id="leading-space"),
    pytest.param("acme .yaml", id="trailing-space"),
    pytest.param("ac\nme.yaml", id="newline"),
    pytest.param("Acme.yaml", id="uppercase"),
    pytest.param("façades.yaml", id="accent"),
    pytest.param("-acme.yaml", id="leading-hyphen"),
    pytest.param("ac--me.yaml", id="double-hyphen"),
    pytest.param("a.b.yaml", id="inner-dot"),
    pytest.param("a" * 65 + ".yaml", id="too-long"),
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_company_file_name_is_refused_and_nothing_is_written(project, name):
    shutil.copy(project / COMPANY, project / "companies" / name)
    shown, stem = (text.replace("\n", "\\n") for text in (name, Path(name).stem))
    result = run_main(project, "validate")
    assert result.returncode == 1
    line = next(line for line in result.stderr.splitlines() if line.endswith("[company-slug]"))
    assert line.startswith(f"companies/{shown}:1:1: nom de fichier refusé\u00a0: «\u00a0{stem}\u00a0»\u202f; ")
    assert "Traceback" not in result.stderr
    result = run_main(project, "pack", f"companies/{name}")
    assert result.returncode == 1 and "[company-slug]" in result.stderr
    assert not (project / "dist").exists()


@pytest.mark.parametrize("name", ["acme", "acme-2", "2026", "sarl-dupont-et-fils", "a" * 64])
def test_plain_slugs_are_accepted(project, name):
    shutil.copy(project / COMPANY, project / "companies" / f"{name}.yaml")
    result = run_main(project, "validate", f"companies/{name}.yaml")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_all_reports_a_hostile_name_and_builds_the_others(built_packs, tmp_path):
    root = shutil.copytree(built_packs, tmp_path / "project")
    shutil.copy(root / COMPANY, root / "companies" / "..yaml")
    shutil.copy(root / COMPANY, root / "companies" / "relances.yaml")
    result = run_main(root, "all", "--no-site", "--jobs", "1")
    assert result.returncode == 1
    assert "companies/..yaml:1:1:" in result.stderr and "companies/relances.yaml:1:1:" in result.stderr
    assert "réutilisé(s), 2 en échec" in result.stdout and "0 pack(s) construit(s)" in result.stdout
    packs = sorted(p.stem for p in (built_packs / "companies").glob("*.yaml"))
    built = sorted(p.name for p in (root / "dist").iterdir() if (p / "manifest.json").is_file())
    assert built == packs and not (root / "dist" / "relances.yaml").exists()


# --- where -o may write --------------------------------------------------------------------------

def _user_folder(root: Path) -> str:
    (root / "mes-documents").mkdir()
    (root / "mes-documents" / "contrat.txt").write_text("à garder", encoding="utf-8")
    return "mes-documents"


def _fake_pack(root: Path) -> str:
    (root / "faux").mkdir()
    (root / "faux" / "manifest.json").write_text('{"name": "pas le kit"}', encoding="utf-8")
    (root / "faux" / "notes.txt").write_text("à garder", encoding="utf-8")
    return "faux"


def _symlink(root: Path) -> str:
    (root / "lien").symlink_to(root / "clauses")
    return "lien"


def _a_file(root: Path) -> str:
    (root / "notes.txt").write_text("à garder", encoding="utf-8")
    return "notes.txt"


def _below_a_file(root: Path) -> str:
    return f"{_a_file(root)}/pack"


def _dist_with_pack(root: Path) -> str:
    (root / "dist" / "relances").mkdir(parents=True)
    return "dist"


HOSTILE_OUTPUTS = [
    pytest.param("clauses", id="clauses"),
    pytest.param("clauses/payment_term", id="inside-clauses"),
    pytest.param("clauses/nouveau", id="new-inside-clauses"),
    pytest.param("companies", id="companies"),
    pytest.param("templates", id="templates"),
    pytest.param("docs", id="docs"),
    pytest.param("docs/playbook", id="inside-docs"),
    pytest.param("schemas", id="schemas"),
    pytest.param("data", id="data"),
    pytest.param("ladder", id="ladder"),
    pytest.param(".", id="dot-project-root"),
    pytest.param("{root}", id="absolute-project-root"),
    pytest.param("..", id="parent-of-root"),
    pytest.param("/", id="filesystem-root"),
    pytest.param(_a_file, id="existing-file"),
    pytest.param(_below_a_file, id="below-a-file"),
    pytest.param(_user_folder, id="user-folder"),
    pytest.param(_fake_pack, id="foreign-manifest"),
    pytest.param(_symlink, id="symlink"),
    pytest.param(_dist_with_pack, id="dist-itself"),
]


@pytest.mark.parametrize("command", ["pack", "dunning"])
@pytest.mark.parametrize("output", HOSTILE_OUTPUTS)
def test_o_never_replaces_what_is_not_an_output(project, command, output):
    target = output(project) if callable(output) else output.format(root=project)
    before = tree(project)
    args = [COMPANY, "-o", target]
    if command == "dunning":
        args += ["--ledger", LEDGER, "--date", "2026-06-15"]
    result = run_main(project, command, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"usage : -o {target}\u00a0: ")
    assert "rien n’a été écrit" in result.stderr and "Traceback" not in result.stderr
    assert tree(project) == before


def test_pack_into_clauses_leaves_the_clause_library_intact(project):
    library = tree(project / "clauses")
    result = run_main(project, "pack", COMPANY, "-o", "clauses")
    assert result.returncode == 2
    assert tree(project / "clauses") == library and len(library) > 10


def test_o_refuses_the_current_folder_even_empty(project, tmp_path):
    here = tmp_path / "ici"
    here.mkdir()
    err = io.StringIO()
    with contextlib.chdir(here), contextlib.redirect_stderr(err):
        code = main(["--root", str(project), "pack", str(project / COMPANY), "-o", "."])
    assert code == 2 and "usage : -o .\u00a0: " in err.getvalue()
    assert list(here.iterdir()) == []


def test_o_refuses_a_dunning_run_for_a_pack_and_the_reverse(project):
    (project / "run").mkdir()
    (project / "run" / "plan.json").write_text('{"company": "x", "date": "2026-06-15", "debtors": []}')
    (project / "pack").mkdir()
    (project / "pack" / "manifest.json").write_text('{"kit_version": "0", "company": "x", "outputs": {}}')
    with contextlib.chdir(project):
        with pytest.raises(Usage):
            checked_output(Path("run"), project, "pack")
        with pytest.raises(Usage):
            checked_output(Path("pack"), project, "dunning")
        assert checked_output(Path("run"), project, "dunning") == project / "run"
        assert checked_output(Path("pack"), project, "pack") == project / "pack"


def test_o_accepts_a_new_or_empty_folder(project):
    (project / "vide").mkdir()
    with contextlib.chdir(project):
        assert checked_output(Path("vide"), project, "pack") == project / "vide"
        assert checked_output(Path("dist/run/2026"), project, "dunning") == project / "dist/run/2026"
        assert checked_output(Path("dist/acme"), project, "pack") == project / "dist/acme"


# --- the swap: killed halfway, and two runs at once ----------------------------------------------

@pytest.fixture(params=["exchange", "two-renames"])
def swap(request, monkeypatch):
    """Both ways of swapping: the atomic exchange (Linux) and the two renames elsewhere."""
    if request.param == "two-renames":
        monkeypatch.setattr(files, "_renameat2", None)
    elif files._renameat2 is None:
        pytest.skip("renameat2 is not available here")
    return request.param


def _killed_swap(folder: Path) -> int:
    """What a run killed between its two renames leaves: `.pack.old-PID`, no `pack`, and junk."""
    pid = dead_pid()
    old = folder / f".pack.old-{pid}"
    old.mkdir(parents=True)
    (old / "cgv.pdf").write_text("the previous pack")
    (folder / f".pack.staging-{pid}").mkdir()
    (folder / f".pack.staging-{pid}" / "cgv.pdf").write_text("half written")
    (folder / ".pack.lock").write_text("")
    return pid


def test_a_failed_run_after_a_killed_swap_gives_the_previous_output_back(tmp_path, swap):
    _killed_swap(tmp_path)
    with pytest.raises(RuntimeError), staged_dir(tmp_path / "pack") as stage:
        (stage / "cgv.pdf").write_text("new")
        raise RuntimeError("the build fails")
    assert (tmp_path / "pack" / "cgv.pdf").read_text() == "the previous pack"
    assert hidden(tmp_path) == []


def test_a_run_after_a_killed_swap_replaces_and_cleans(tmp_path, swap):
    _killed_swap(tmp_path)
    with staged_dir(tmp_path / "pack") as stage:
        assert (tmp_path / "pack" / "cgv.pdf").read_text() == "the previous pack"  # put back first
        (stage / "cgv.pdf").write_text("new")
    assert (tmp_path / "pack" / "cgv.pdf").read_text() == "new"
    assert hidden(tmp_path) == []


def test_tidy_recovers_a_whole_folder_and_spares_live_runs(tmp_path):
    _killed_swap(tmp_path)
    live = tmp_path / f".other.staging-{os.getppid()}"  # a running process's staging folder
    live.mkdir()
    tidy(tmp_path)
    assert (tmp_path / "pack" / "cgv.pdf").read_text() == "the previous pack"
    assert hidden(tmp_path) == [live.name]


def _write_slowly(target: str, who: str, log) -> None:
    with staged_dir(Path(target)) as stage:
        log.append(("in", who, time.monotonic()))
        for i in range(20):
            (stage / f"part-{i}").write_text(who)
            time.sleep(0.005)
        log.append(("out", who, time.monotonic()))


def _check_one_writer_at_a_time(target: Path, log) -> None:
    events = sorted(log, key=lambda e: e[2])
    assert [e[0] for e in events] == ["in", "out", "in", "out"]
    assert events[0][1] == events[1][1] and events[2][1] == events[3][1]
    assert {p.read_text() for p in target.iterdir()} == {events[3][1]}  # the last one, whole
    assert len(list(target.iterdir())) == 20
    assert hidden(target.parent) == []


def test_two_threads_on_one_output_wait_for_each_other(tmp_path, swap):
    target = tmp_path / "pack"
    log: list = []
    threads = [threading.Thread(target=_write_slowly, args=(str(target), who, log)) for who in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _check_one_writer_at_a_time(target, log)


def test_two_processes_on_one_output_wait_for_each_other(tmp_path):
    target = tmp_path / "pack"
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager:
        log = manager.list()
        workers = [context.Process(target=_write_slowly, args=(str(target), who, log)) for who in "ab"]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
        assert [w.exitcode for w in workers] == [0, 0]
        _check_one_writer_at_a_time(target, list(log))


@pytest.mark.slow
def test_all_after_a_killed_swap_reuses_the_pack_put_back(built_packs, tmp_path):
    root = shutil.copytree(built_packs, tmp_path / "project")
    dist = root / "dist"
    pid = dead_pid()
    before = tree(dist / "atelier-lyonnais")
    (dist / "atelier-lyonnais").rename(dist / f".atelier-lyonnais.old-{pid}")
    (dist / f".boutique-en-ligne.staging-{pid}").mkdir()
    result = run_main(root, "all", "--no-site", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert "0 pack(s) construit(s)" in result.stdout and "0 en échec" in result.stdout
    assert tree(dist / "atelier-lyonnais") == before
    assert hidden(dist) == []


# --- Ctrl-C and kill during `all --jobs 2` -------------------------------------------------------

def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def _start_batch(root: Path) -> tuple[subprocess.Popen, set[int]]:
    """`all --jobs 2` on six companies (enough that it is still running when the test sees the
    first pack being written, even on a busy machine), in its own session."""
    for i in (1, 2, 3, 4):
        shutil.copy(root / COMPANY, root / "companies" / f"filiale-{i}.yaml")
    batch = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "all", "--no-site", "--jobs", "2"], cwd=root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                             env=kit_env(), preexec_fn=default_ctrl_c)
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and batch.poll() is None:
        workers |= _children(batch.pid)
        if (root / "dist").is_dir() and any(".staging-" in p.name for p in (root / "dist").iterdir()):
            return batch, workers | _children(batch.pid)
        time.sleep(0.02)
    batch.kill()
    pytest.fail("no worker started writing a pack")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_ctrl_c_stops_the_workers_and_says_what_was_kept(project):
    batch, workers = _start_batch(project)
    assert workers
    os.killpg(batch.pid, signal.SIGINT)  # what a terminal sends to the whole foreground group
    _, err = batch.communicate(timeout=60)
    assert batch.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    line = next(line for line in err.splitlines() if line.startswith("interrompu"))
    kept = int(line.split("\u00a0: ")[1].split()[0])
    assert line == f"interrompu\u00a0: {kept} pack(s) terminé(s) conservé(s), les autres sont inchangés"
    packs = [p for p in (project / "dist").iterdir() if not p.name.startswith(".")]
    assert len(packs) == kept and all((p / "manifest.json").is_file() for p in packs)
    assert hidden(project / "dist") == []
    time.sleep(0.2)
    assert not [pid for pid in workers if _running(pid)]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux parent-death signal")
def test_killing_the_main_process_ends_its_workers(project):
    batch, workers = _start_batch(project)
    assert workers
    batch.kill()
    batch.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and [pid for pid in workers if _running(pid)]:
        time.sleep(0.1)
    assert not [pid for pid in workers if _running(pid)]
    # The next run finds what the killed one left aside and clears it.
    tidy(project / "dist")
    assert hidden(project / "dist") == []


def test_ctrl_c_in_a_one_job_run_says_what_was_kept(project, monkeypatch):
    from cgvkit.documents import batch

    def build_one(project, company, dist, force=False):
        if company.slug == "boutique-en-ligne":
            raise KeyboardInterrupt
        return batch.Outcome(company.slug, "rendered")

    monkeypatch.setattr(batch, "build_one", build_one)
    result = run_main(project, "all", "--no-site", "--jobs", "1")
    assert result.returncode == 130
    assert result.stderr.strip() == ("interrompu\u00a0: 1 pack(s) terminé(s) conservé(s), les autres sont "
                                     "inchangés")
    assert not (project / "dist" / "index.json").exists()


def test_an_index_file_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "index.json"
    files.replace_file(target, "{}\n")
    # A run that dies while writing (here: the rename fails) leaves the previous index and no leftover.
    monkeypatch.setattr(files.os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left")))
    with pytest.raises(OSError):
        files.replace_file(target, '{"packs": {}}\n')
    monkeypatch.undo()
    assert target.read_text() == "{}\n" and sorted(p.name for p in tmp_path.iterdir()) == ["index.json"]
    # What a killed run (a dead process) left beside it is removed by the next write.
    (tmp_path / ".index.json.staging-999999999").write_text("half")
    files.replace_file(target, '{"packs": {}}\n')
    assert target.read_text() == '{"packs": {}}\n' and sorted(p.name for p in tmp_path.iterdir()) == ["index.json"]
