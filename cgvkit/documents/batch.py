"""Every company's pack: in parallel worker processes, incremental, optionally one CI shard.

Each worker loads the project once and keeps its Jinja environment, stylesheets and fonts
for all the packs it builds. A pack whose build key (buildkey.py) matches the manifest
already in dist/ is reused without rendering anything.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from cgvkit.core.errors import KitError, Problem, os_reason
from cgvkit.core.files import replace_file, tidy
from cgvkit.documents.buildkey import pack_key

_WORKER: dict = {}
_PR_SET_PDEATHSIG = 1


@dataclass
class Outcome:
    slug: str
    status: str  # "rendered", "reused" or "failed"
    pages: int = 0
    problems: list = field(default_factory=list)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a batch: the packs finished before it are kept, the others untouched."""

    def __init__(self, outcomes: list):
        super().__init__()
        self.outcomes = outcomes

    @property
    def kept(self) -> int:
        return sum(o.status != "failed" for o in self.outcomes)


@dataclass
class Report:
    outcomes: list
    seconds: float

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def pages(self) -> int:
        return sum(o.pages for o in self.outcomes if o.status == "rendered")


def in_shard(slug: str, shard: tuple[int, int] | None) -> bool:
    """Stable, disjoint split: a company always falls in the same shard of N."""
    if shard is None:
        return True
    index, total = shard
    return int(hashlib.sha256(slug.encode()).hexdigest(), 16) % total == index - 1


def parse_shard(text: str) -> tuple[int, int]:
    index, _, total = text.partition("/")
    if not (index.isdigit() and total.isdigit() and 1 <= int(index) <= int(total)):
        raise ValueError(text)
    return int(index), int(total)


def build_one(project, company, dist: Path, force: bool = False) -> Outcome:
    """Build or reuse one pack; errors are returned, never raised, so the batch goes on."""
    from cgvkit.documents.pack import build_pack

    out = dist / company.slug
    try:
        key = pack_key(project, company)
        if not force and _up_to_date(out, key):
            return Outcome(company.slug, "reused")
        manifest = build_pack(project, company, out, key)
        return Outcome(company.slug, "rendered", manifest.get("pages", 0))
    except KitError as exc:
        return Outcome(company.slug, "failed", problems=exc.problems)
    except OSError as exc:  # a read-only or full dist/: the previous pack is left as it was
        problem = Problem(company.source.file, 1, 1, "", f"pack non écrit dans « {exc.filename or out} » "
                          f"({os_reason(exc)}) : le pack précédent reste en place", "pack-write")
        return Outcome(company.slug, "failed", problems=[problem])
    except Exception as exc:  # a bug or an engine failure in one pack must not sink the others
        problem = Problem(company.source.file, 1, 1, "", f"échec de la construction du pack : {exc!r}",
                          "pack-failed")
        return Outcome(company.slug, "failed", problems=[problem])


def _up_to_date(out: Path, key: str) -> bool:
    manifest = out / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return recorded.get("build_key") == key and all((out / name).is_file() for name in recorded.get("outputs", {}))


def _init_worker(root: str, paths: list[str], parent: int) -> None:
    from cgvkit.documents.pdf import fonts_of_this_process
    from cgvkit.model.project import load_project

    _follow_parent(parent)
    fonts_of_this_process()  # never the parent's font folder, shared with the sibling workers
    # The parent has checked and rendered the texts already: the worker only needs the objects.
    project = load_project(Path(root), [Path(p) for p in paths], lenient=True, render_checks=False)
    _WORKER["project"] = project
    _WORKER["companies"] = {c.slug: c for c in project.companies}


def _follow_parent(parent: int) -> None:
    """A worker ends with the main process: Ctrl-C is the main process's to handle (it stops
    the workers), and a main process that dies, even by SIGKILL, takes its workers with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _mask(signal.SIG_UNBLOCK)
    try:  # Linux: the kernel sends SIGKILL when the parent dies
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # died before the line above
        os._exit(1)

    def watch() -> None:  # elsewhere, and as a second guard
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _work(slug: str, dist: str) -> Outcome:
    # Only stale packs reach a worker (build_all settles the others), hence force=True.
    return build_one(_WORKER["project"], _WORKER["companies"][slug], Path(dist), force=True)


def build_all(project, dist: Path, jobs: int | None = None, shard=None, force: bool = False,
              progress=None) -> Report:
    """Build every valid company's pack of the shard; `progress(outcome)` is called as each ends."""
    started = time.perf_counter()
    tidy(dist)  # outputs a killed run left aside are put back before they are judged
    stale, outcomes = [], []
    for company in (c for c in project.companies if in_shard(c.slug, shard)):
        # Up-to-date packs are settled here, so a no-change rebuild starts no worker at all.
        if not force and _up_to_date(dist / company.slug, pack_key(project, company)):
            outcomes.append(Outcome(company.slug, "reused"))
            progress and progress(outcomes[-1])
        else:
            stale.append(company)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(stale) or 1))
    try:
        if jobs == 1:
            for company in stale:
                outcomes.append(build_one(project, company, dist, force=True))
                progress and progress(outcomes[-1])
        else:
            _build_in_pool(project, stale, dist, jobs, outcomes, progress)
    except KeyboardInterrupt:
        # A worker stopped between its swap and its report still finished its pack: count it.
        done = {o.slug for o in outcomes}
        outcomes += [Outcome(c.slug, "rendered") for c in stale
                     if c.slug not in done and _up_to_date(dist / c.slug, pack_key(project, c))]
        raise Interrupted(sorted(outcomes, key=lambda o: o.slug)) from None
    outcomes.sort(key=lambda o: o.slug)
    return Report(outcomes, time.perf_counter() - started)


def _build_in_pool(project, stale: list, dist: Path, jobs: int, outcomes: list, progress) -> None:
    paths = [str(c.path) for c in stale]
    # Workers start with Ctrl-C blocked, so none sees it before it ignores it (_follow_parent).
    _mask(signal.SIG_BLOCK)
    pool = None
    try:
        pool = ProcessPoolExecutor(jobs, initializer=_init_worker,
                                   initargs=(str(project.root), paths, os.getpid()))
        futures = [pool.submit(_work, c.slug, str(dist)) for c in stale]
        _mask(signal.SIG_UNBLOCK)
        for future in as_completed(futures):
            outcomes.append(future.result())
            progress and progress(outcomes[-1])
        pool.shutdown()
    except BaseException:
        if pool is not None:
            _stop(pool, dist)
        _mask(signal.SIG_UNBLOCK)
        raise


def _mask(how) -> None:
    if hasattr(signal, "pthread_sigmask"):  # POSIX
        signal.pthread_sigmask(how, {signal.SIGINT})


def _stop(pool: ProcessPoolExecutor, dist: Path) -> None:
    """End the workers now; the packs they were writing stay as they were before the run."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()
    for process in workers:
        process.join(10)
    tidy(dist)  # their staging folders, and a pack set aside mid-swap put back


def prune_removed(dist: Path, kept: set) -> list[str]:
    """Delete the packs in dist/ of companies whose profile no longer exists; their slugs.

    Only folders the kit wrote as a pack (its manifest names the folder's own company) go;
    a company whose profile is broken keeps its last good pack (its slug is in `kept`).
    """
    removed = []
    if not dist.is_dir():
        return removed
    for folder in sorted(p for p in dist.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.name in kept:
            continue
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(manifest, dict) and manifest.get("company") == folder.name and "outputs" in manifest \
                and "build_key" in manifest:
            shutil.rmtree(folder)
            removed.append(folder.name)
    return removed


def write_index(dist: Path, report: Report, shard=None) -> Path:
    """An index of this run's packs (one per shard), merged later by `merge_indexes`."""
    name = "index.json" if shard is None else f"index-shard-{shard[0]}-of-{shard[1]}.json"
    entries = {}
    for outcome in report.outcomes:
        manifest = dist / outcome.slug / "manifest.json"
        entry = {"status": outcome.status}
        if outcome.status != "failed" and manifest.is_file():
            data = json.loads(manifest.read_text(encoding="utf-8"))
            entry.update({k: data[k] for k in ("effective_date", "market", "build_key") if k in data})
        entries[outcome.slug] = entry
    path = dist / name
    replace_file(path, json.dumps({"shard": list(shard) if shard else None, "packs": entries},
                                  ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return path


def merge_indexes(dist: Path, root: Path | None = None) -> Path:
    """Combine the shard indexes found in `dist` into `dist/index.json`.

    Refused, with every problem located: no shard index at all, an index that is not the kit's
    JSON, shards of different splits, a missing shard (a CI job that failed), a pack in two shards.
    """
    named = lambda path: _relative(path, root)  # noqa: E731
    paths = sorted(dist.glob("index-shard-*-of-*.json"))
    if not paths:
        raise KitError([Problem(named(dist), 1, 1, "", "aucun index de lot (index-shard-I-of-N.json) dans ce "
                                "dossier : lancez d’abord « all --shard I/N » pour chaque lot", "shard-none")])
    problems, packs, seen, totals = [], {}, {}, set()
    for path in paths:
        index = _read_shard(path, named(path), problems)
        if index is None:
            continue
        (number, total), entries = index
        seen[number] = path
        totals.add(total)
        for slug, entry in entries.items():
            if slug in packs:
                problems.append(Problem(named(path), 1, 1, slug, f"le pack « {slug} » figure dans deux lots",
                                        "shard-overlap"))
            packs[slug] = entry
    if len(totals) > 1:
        problems.append(Problem(named(dist), 1, 1, "", "les index viennent de découpages différents ("
                                + ", ".join(f"{t} lots" for t in sorted(totals)) + ")", "shard-mixed"))
    elif totals and not problems:
        total = totals.pop()
        missing = [str(i) for i in range(1, total + 1) if i not in seen]
        if missing:
            problems.append(Problem(named(dist), 1, 1, "", f"index du ou des lots {', '.join(missing)} sur {total} "
                                    "manquant(s) : un lot a échoué ou n’a pas été téléchargé", "shard-missing"))
    if problems:
        raise KitError(problems)
    target = dist / "index.json"
    replace_file(target, json.dumps({"shard": None, "packs": packs}, ensure_ascii=False, indent=2,
                                    sort_keys=True) + "\n")
    return target


def _relative(path: Path, root: Path | None) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() if root else str(path)
    except ValueError:
        return str(path)


def _read_shard(path: Path, name: str, problems: list) -> tuple | None:
    """((I, N), packs) of one shard index written by `write_index`; a located problem otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        where = (getattr(exc, "lineno", 1), getattr(exc, "colno", 1))
        problems.append(Problem(name, *where, "", "index de lot illisible (JSON invalide ou tronqué) : "
                                "relancez ce lot", "shard-corrupt"))
        return None
    shard = data.get("shard") if isinstance(data, dict) else None
    packs = data.get("packs") if isinstance(data, dict) else None
    if not (isinstance(shard, list) and len(shard) == 2 and all(type(n) is int for n in shard)
            and 1 <= shard[0] <= shard[1] and isinstance(packs, dict)
            and all(isinstance(entry, dict) for entry in packs.values())):
        problems.append(Problem(name, 1, 1, "", "index de lot incomplet : les clés « shard » ([I, N]) et "
                                "« packs » sont attendues, telles que « all --shard I/N » les écrit", "shard-corrupt"))
        return None
    return (shard[0], shard[1]), packs
