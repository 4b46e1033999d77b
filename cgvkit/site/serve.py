"""`serve`: the playbook site on a local address, rebuilt and reloaded in the browser as files change.

MkDocs' own live-reload server does the serving and the reloading. Each rebuild reloads the
project, regenerates the generated pages in memory and writes only those whose text changed;
MkDocs then rebuilds only the changed pages (its "dirty" build). Packs are built once at start
when missing; later edits do not reprint PDFs (`python build.py all` does).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from cgvkit.core.errors import KitError
from cgvkit.model.project import load_project
from cgvkit.site import companies as company_pages
from cgvkit.site.build import generate
from cgvkit.site.mkdocsconfig import check_config
from cgvkit.site.safemarkdown import SafeMarkdownExtension
from cgvkit.site.searchfold import fold_search_index

# Project folders whose edits change the site (docs/ is watched apart, without docs/generated/).
WATCHED = ("clauses", "companies", "data", "ladder", "schemas", "templates/site")


def sync_tree(source: Path, target: Path) -> list[str]:
    """Make `target` hold exactly the files of `source`, rewriting only those that differ."""
    changed = []
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file()}
    for relative in sorted(wanted):
        new = (source / relative).read_bytes()
        path = target / relative
        if path.is_file() and path.read_bytes() == new:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        temporary.write_bytes(new)
        os.replace(temporary, path)
        changed.append(relative.as_posix())
    for path in sorted(target.rglob("*"), reverse=True):
        relative = path.relative_to(target)
        if path.is_file() and relative not in wanted:
            path.unlink()
            changed.append(relative.as_posix())
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed


class Server:
    """The project's site, served from a temporary folder and rebuilt on every change."""

    def __init__(self, root: Path, host: str, port: int, say):
        self.root, self.host, self.port, self.say = root, host, port, say
        self.site_dir = Path(tempfile.mkdtemp(prefix="cgvkit-serve-"))
        self.built_once = False

    def regenerate(self, build_packs: bool) -> list[str]:
        """Generated pages rewritten where they changed; problems reported, the last good pages kept."""
        project = load_project(self.root, lenient=True)
        self.say(project.warnings + [p for ps in project.failed.values() for p in ps])
        published = []
        dist = self.root / "dist"
        for company in sorted(project.companies, key=lambda c: c.slug):
            if build_packs:
                published.append(company_pages.ensure_pack(project, company, dist))
            elif (dist / company.slug / "manifest.json").is_file():
                published.append(company_pages.published(company, dist))
        with tempfile.TemporaryDirectory(prefix="cgvkit-pages-") as scratch:
            generate(project, published, Path(scratch))
            return sync_tree(Path(scratch), self.root / "docs" / "generated")

    def build(self) -> None:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        started = time.perf_counter()
        try:
            changed = self.regenerate(build_packs=not self.built_once)
        except KitError as exc:
            self.say(exc.problems)
            self.say_line("reconstruction abandonnée : corrigez les erreurs ci-dessus, la page reste la précédente")
            return
        try:
            check_config(self.root / "mkdocs.yml", self.root)
        except KitError as exc:
            self.say(exc.problems)
            self.say_line("reconstruction abandonnée : corrigez mkdocs.yml, la page reste la précédente")
            return
        config = load_config(str(self.root / "mkdocs.yml"), site_dir=str(self.site_dir))
        config["markdown_extensions"].append(SafeMarkdownExtension())  # the same inert pages as `site`
        config.site_url = self.url
        build(config, serve_url=self.url, dirty=self.built_once)
        fold_search_index(self.site_dir)
        pages = f"{len(changed)} page(s) générée(s) modifiée(s)" if self.built_once else "site complet"
        self.say_line(f"reconstruit en {time.perf_counter() - started:.1f} s ({pages})".replace(".", ",", 1))
        self.built_once = True

    def say_line(self, text: str) -> None:
        print(text, flush=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def ready(self) -> None:
        self.say_line(f"site servi sur {self.url} (rechargé à chaque modification) ; Ctrl-C pour arrêter")

    def run(self) -> None:
        from mkdocs.livereload import LiveReloadServer

        class Announced(LiveReloadServer):
            """Says where the site is once it is there: MkDocs starts serving only after binding the
            address and taking its first snapshot of the watched files. Said earlier, a file saved
            at once was in that snapshot: no change seen, the page never updated."""

            def serve_forever(server, poll_interval: float = 0.5) -> None:
                self.ready()
                super().serve_forever(poll_interval)

        logging.getLogger("mkdocs").setLevel(logging.ERROR)  # our own French lines instead
        server = Announced(builder=self.build, host=self.host, port=self.port, root=str(self.site_dir))
        try:
            self.build()
            docs = self.root / "docs"
            server.watch(str(docs), recursive=False)
            for folder in sorted(p for p in docs.iterdir() if p.is_dir() and p.name != "generated"):
                server.watch(str(folder))
            for name in WATCHED:
                if (self.root / name).is_dir():
                    server.watch(str(self.root / name))
            server.watch(str(self.root / "mkdocs.yml"), recursive=False)
            try:
                server.serve()
            except KeyboardInterrupt:
                self.say_line("serveur arrêté")
            finally:
                server.shutdown()
        finally:
            shutil.rmtree(self.site_dir, ignore_errors=True)
