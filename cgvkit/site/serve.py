"""`serve`: the playbook site on a local address, rebuilt and reloaded in the browser as files change.

MkDocs' own live-reload server does the serving and the reloading. Each rebuild reloads the
project, regenerates the generated pages in memory and writes only those whose text changed;
MkDocs then rebuilds only the changed pages (its "dirty" build). Packs are built once at start
when missing; later edits do not reprint PDFs (`python build.py all` does).
"""

from __future__ import annotations

import html
import logging
import os
import re
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

# The failure banner `serve` puts on the last good pages (one block, removed by the next build).
BANNER = re.compile(r'<div role="alert" class="cgvkit-build-error".*?</div>', re.DOTALL)

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
        self.failed = False  # the last build failed: the pages carry its banner

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
        from mkdocs.exceptions import MkDocsException

        started = time.perf_counter()
        try:
            changed = self.regenerate(build_packs=not self.built_once)
            check_config(self.root / "mkdocs.yml", self.root)
            config = load_config(str(self.root / "mkdocs.yml"), site_dir=str(self.site_dir))
            config["markdown_extensions"].append(SafeMarkdownExtension())  # the same inert pages as `site`
            config.site_url = self.url
            build(config, serve_url=self.url, dirty=self.built_once and not self.failed)
        except KitError as exc:
            self._failed(exc.problems, "corrigez les erreurs ci-dessus")
            return
        except (MkDocsException, OSError) as exc:  # a mkdocs.yml MkDocs cannot read: said, never a hang
            self._failed([], f"MkDocs n’a pas pu construire le site ({exc})")
            return
        fold_search_index(self.site_dir)
        self.failed = False
        pages = f"{len(changed)} page(s) générée(s) modifiée(s)" if self.built_once else "site complet"
        self.say_line(f"reconstruit en {time.perf_counter() - started:.1f} s ({pages})".replace(".", ",", 1))
        self.built_once = True

    def _failed(self, problems: list, what: str) -> None:
        """Say why, keep the last good pages and show the failure on each of them (a banner the next
        successful build removes: it rebuilds every page)."""
        self.say(problems)
        self.say_line(f"reconstruction abandonnée : {what} ; la page reste la précédente")
        self.failed = True
        lines = [str(p) for p in problems] or [what]
        banner = ('<div role="alert" class="cgvkit-build-error" style="background:#b71c1c;color:#fff;padding:1em;'
                  'font:14px/1.4 sans-serif;white-space:pre-wrap">' + html.escape(
                      "Reconstruction du site abandonnée : la page affichée est la précédente.\n" + "\n".join(lines[:20]))
                  + "</div>")
        for page in self.site_dir.rglob("*.html"):
            text = page.read_text(encoding="utf-8")
            text = BANNER.sub("", text)
            at = text.find(">", text.find("<body")) + 1
            if at > 0:
                page.write_text(text[:at] + banner + text[at:], encoding="utf-8")

    def say_line(self, text: str) -> None:
        print(text, flush=True)

    @property
    def hosts(self) -> set[str]:
        """The Host headers of the address served (and its name when it is the loopback)."""
        names = {self.host, "localhost", "127.0.0.1", "[::1]"} if self.host in ("127.0.0.1", "localhost", "::1") \
            else {self.host}
        return {f"{name}:{self.port}" for name in names}

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

            def serve_request(server, environ, start_response):
                # Only requests to the address it serves (a page of another site could otherwise reach
                # it under its own name, DNS rebinding): 421 for any other Host.
                if environ.get("HTTP_HOST", "") not in self.hosts:
                    start_response("421 Misdirected Request", [("Content-Type", "text/plain; charset=utf-8")])
                    return ["hôte refusé : ce serveur ne répond qu’à son adresse\n".encode()]
                return super().serve_request(environ, start_response)

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
