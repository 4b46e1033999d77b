"""`serve`: the playbook site on a local address, rebuilt as files change and reloaded in the browser.

The kit serves the site itself (Python's http.server) from a folder that only ever holds a complete
build; MkDocs builds it through its command line (site/mkdocs.py), with the plugins of mkdocs.yml,
the kit's sanitiser among them, exactly as `python build.py site` and a bare `mkdocs build` do.

- A watcher polls the project's files (docs/ but docs/generated/, mkdocs.yml, clauses/, companies/…).
  On a change it regenerates docs/generated/ (rewriting only the pages whose text changed), checks
  mkdocs.yml, runs `mkdocs build` into a work folder (`--dirty` after a good build: only the changed
  pages), and copies what changed into the served folder.
- A failed build leaves the served folder as it was: every page then carries a banner saying why,
  until a build succeeds. Requests never wait for a build, whatever mkdocs.yml holds.
- Each page carries a small script that waits for the next build (`/.cgvkit/version`) and reloads.
- A request whose Host header is not the address served gets 421: a page of another site cannot
  reach this one under a name of its own pointed at this machine (DNS rebinding).

Packs are built once at start when missing; later edits do not reprint PDFs (`python build.py all` does).
"""

from __future__ import annotations

import html
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cgvkit.core.errors import KitError, Problem, os_reason
from cgvkit.model.project import load_project
from cgvkit.site import companies as company_pages
from cgvkit.site.build import generate
from cgvkit.site.hosts import host_allowed
from cgvkit.site.mkdocs import TIMEOUT, command, environment, problems, require_plugin
from cgvkit.site.mkdocsconfig import check_config

# Project folders whose edits change the site (docs/ is watched apart, without docs/generated/).
WATCHED = ("clauses", "companies", "data", "ladder", "schemas", "templates/site")
POLL = 0.2  # seconds between two looks at the project's files
WAIT = 20  # seconds a page's request for the next build is held before it asks again
VERSION = "/.cgvkit/version"
DIRTY = "MkDocs : A 'dirty' build is being performed"  # MkDocs' warning on every `--dirty` build: asked for
SHOWN = 20  # problems listed in a banner; the terminal has them all
RELOAD = ('<script>(function(){var v="%d";function ask(){fetch("' + VERSION + '?v="+v,{cache:"no-store"})'
          '.then(function(r){if(!r.ok)throw r;return r.text()}).then(function(t){if(t.trim()!==v)'
          'location.reload();else ask()}).catch(function(){setTimeout(ask,1000)})}ask()})();</script>')


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
        self.root, self.host, self.port, self.say = root, host.strip("[]"), port, say
        self.work: Path | None = None  # a temporary folder of its own while it runs
        self.built_once = False  # packs built and pages generated once
        self.dirty_ok = False  # build_dir holds a good build: the next one may rebuild changed pages only
        self.state = threading.Condition()  # guards the three below; notified at each new version
        self.version, self.failed, self.shown = 0, False, []
        self.stopping = threading.Event()
        self.child: subprocess.Popen | None = None

    # --- building --------------------------------------------------------------------------------

    def regenerate(self, build_packs: bool) -> tuple[list[str], list[Problem]]:
        """Generated pages rewritten where they changed, and the problems of the companies set aside."""
        project = load_project(self.root, lenient=True, letter_texts=False)
        set_aside = [p for ps in project.failed.values() for p in ps]
        self.say(project.warnings + set_aside)
        published = []
        dist = self.root / "dist"
        for company in sorted(project.companies, key=lambda c: c.slug):
            if build_packs:
                published.append(company_pages.ensure_pack(project, company, dist))
            elif (dist / company.slug / "manifest.json").is_file():
                published.append(company_pages.published(company, dist))
        with tempfile.TemporaryDirectory(prefix="cgvkit-pages-") as scratch:
            generate(project, published, Path(scratch))
            return sync_tree(Path(scratch), self.root / "docs" / "generated"), set_aside

    def mkdocs(self, dirty: bool) -> list[Problem]:
        """`mkdocs build` into build_dir (stoppable: its process is kept); its warnings, or KitError."""
        require_plugin()
        self.dirty_ok = False  # until this build succeeds
        process = subprocess.Popen(command(self.root / "mkdocs.yml", self.build_dir, strict=False, dirty=dirty),
                                   cwd=self.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   env=environment(), start_new_session=True)  # Ctrl-C is for serve alone
        self.child = process
        try:
            _, log = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise KitError([Problem("mkdocs.yml", 1, 1, "", f"MkDocs : construction arrêtée après {TIMEOUT} s",
                                    "site-mkdocs")]) from None
        except BaseException:  # Ctrl-C during the first build: MkDocs stops with serve
            process.kill()
            process.wait()
            raise
        finally:
            self.child = None
        found = [p for p in problems(log, process.returncode, strict=False) if not p.message.startswith(DIRTY)]
        if process.returncode or any(p.severity == "error" for p in found):
            raise KitError(found)
        self.dirty_ok = True
        return found

    def build(self, full: bool = False) -> None:
        """One rebuild; whatever happens, the served folder holds a complete site and the pages say
        how the build went."""
        started, first = time.perf_counter(), self.version == 0
        try:
            changed, set_aside = self.regenerate(build_packs=not self.built_once)
            self.built_once = True
            check_config(self.root / "mkdocs.yml", self.root)
            removed = any(not (self.root / "docs" / "generated" / name).exists() for name in changed)
            warnings = self.mkdocs(dirty=self.dirty_ok and not (full or removed))
            updated = sync_tree(self.build_dir, self.served)
        except KitError as exc:
            return self.failure(exc.problems, "corrigez les erreurs ci-dessus")
        except OSError as exc:
            where = f"{exc.filename} : " if exc.filename else ""
            return self.failure([], f"{where}lecture ou écriture impossible ({os_reason(exc)})")
        except Exception:  # a fault of the kit: said with its trace, and serve goes on
            if self.stopping.is_set():
                return
            self.say_line(traceback.format_exc().rstrip())
            return self.failure([], "erreur inattendue du kit (trace ci-dessus)")
        self.say(warnings)
        self.publish(set_aside + warnings, failed=False, updated=bool(updated))
        pages = "site complet" if first else f"{len(changed)} page(s) générée(s) modifiée(s)"
        self.say_line(f"reconstruit en {time.perf_counter() - started:.1f} s ({pages})".replace(".", ",", 1))

    def failure(self, found: list[Problem], what: str) -> None:
        if self.stopping.is_set():  # the build was stopped with serve: nothing to say
            return
        self.say(found)
        self.say_line(f"reconstruction abandonnée : {what} ; la page reste la précédente")
        self.publish(found or [what], failed=True, updated=True)

    def publish(self, found: list, failed: bool, updated: bool) -> None:
        """A new version for the open pages (they reload) when the site or its banner changed."""
        shown = [str(p) for p in found]
        with self.state:
            if not updated and (failed, shown) == (self.failed, self.shown) and self.version:
                return
            self.version, self.failed, self.shown = self.version + 1, failed, shown
            self.state.notify_all()

    def snapshot(self) -> dict[str, tuple[int, int]]:
        """Size and modification time of every file whose edit changes the site."""
        found = {}
        folders = [self.root / "docs"] + [self.root / name for name in WATCHED]
        for path in [self.root / "mkdocs.yml"] + [Path(d) / f for folder in folders for d, dirs, files in
                                                  _walk(folder, skip=self.root / "docs" / "generated")
                                                  for f in files]:
            try:
                stat = path.stat()
            except OSError:
                continue
            found[str(path)] = (stat.st_mtime_ns, stat.st_size)
        return found

    def watch(self, seen: dict) -> None:
        """Rebuild on every change after `seen`; a new mkdocs.yml or a removed file rebuilds every page."""
        while not self.stopping.wait(POLL):
            now = self.snapshot()
            if now != seen:
                yml = str(self.root / "mkdocs.yml")
                full = now.get(yml) != seen.get(yml) or not now.keys() >= seen.keys()
                seen = now
                self.build(full=full)

    def stop(self) -> None:
        self.stopping.set()
        child = self.child
        if child is not None and child.poll() is None:
            child.kill()
        with self.state:
            self.state.notify_all()

    # --- serving ---------------------------------------------------------------------------------

    def allowed(self, header: str) -> bool:
        """Is `header` (a request's Host) this server's address? (hosts.py)"""
        return host_allowed(header, self.host, self.port)

    def page(self, text: str) -> str:
        """An HTML page as served: the banner of the last build if it went wrong, and the reload script."""
        with self.state:
            version, failed, shown = self.version, self.failed, self.shown
        extra = (banner(shown, failed) if shown else "") + RELOAD % version
        at = text.rfind("</body>")
        return text[:at] + extra + text[at:] if at >= 0 else text + extra

    def next_version(self, known: str) -> int:
        """The version after `known`, once there is one (or the current one after WAIT seconds)."""
        with self.state:
            self.state.wait_for(lambda: str(self.version) != known or self.stopping.is_set(), timeout=WAIT)
            return self.version

    def say_line(self, text: str) -> None:
        print(text, flush=True)

    @property
    def url(self) -> str:
        return f"http://{f'[{self.host}]' if ':' in self.host else self.host}:{self.port}/"

    def ready(self) -> None:
        self.say_line(f"site servi sur {self.url} (rechargé à chaque modification) ; Ctrl-C pour arrêter")

    def bind(self) -> ThreadingHTTPServer:
        """The listening socket (OSError if the address cannot be had: `serve` says so before building)."""
        server_class = _HTTPServer6 if ":" in self.host else _HTTPServer
        return server_class((self.host, self.port), partial(_Handler, self))

    @property
    def build_dir(self) -> Path:
        assert self.work is not None
        return self.work / "build"  # MkDocs' output

    @property
    def served(self) -> Path:
        assert self.work is not None
        return self.work / "site"  # what is served: a copy of the last good build

    def run(self, httpd: ThreadingHTTPServer) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="cgvkit-serve-"))
        self.served.mkdir()
        watcher = threading.Thread(target=self.watch, args=(self.snapshot(),), name="cgvkit-watch", daemon=True)
        try:
            self.build()
            watcher.start()  # from the snapshot taken before the first build: no edit is missed
            self.ready()
            try:
                httpd.serve_forever(poll_interval=0.2)
            except KeyboardInterrupt:
                self.say_line("serveur arrêté")
        finally:
            self.stop()
            if watcher.is_alive():
                watcher.join(timeout=10)
            httpd.server_close()
            shutil.rmtree(self.work, ignore_errors=True)


def banner(shown: list[str], failed: bool) -> str:
    """The block at the top of every page after a build that failed or had problems."""
    title = ("Reconstruction du site abandonnée : la page affichée est la précédente. Corrigez ce qui suit, "
             "elle se mettra à jour d’elle-même." if failed else "Site reconstruit, avec ces problèmes à corriger :")
    items = [html.escape(line) for line in shown[:SHOWN]]
    if len(shown) > SHOWN:
        items.append(f"… et {len(shown) - SHOWN} autre(s) : voir le terminal de « serve »")
    kind, colour = ("error", "#b71c1c") if failed else ("warning", "#8d4e00")
    return (f'<div role="alert" class="cgvkit-build-{kind}" style="position:sticky;top:0;z-index:100;'
            f'background:{colour};color:#fff;padding:.8em 1em;font:14px/1.4 sans-serif;max-height:40vh;'
            f'overflow:auto"><strong>{html.escape(title)}</strong><ul style="margin:.4em 0 0;padding-left:1.2em">'
            + "".join(f'<li style="white-space:pre-wrap">{item}</li>' for item in items) + "</ul></div>")


def _walk(folder: Path, skip: Path):
    for directory, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "__pycache__" and Path(directory, d) != skip]
        yield directory, dirs, files


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a page's pending request for the next build does not hold serve at exit

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a page closed or reloaded meanwhile: nothing
            super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(SimpleHTTPRequestHandler):
    """Files of the served folder; pages with their banner and reload script; only to the right Host."""

    def version_string(self) -> str:
        return "cgvkit-serve"

    def __init__(self, site: Server, *args, **kwargs):
        self.site = site
        super().__init__(*args, directory=str(site.served), **kwargs)

    def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")  # a rebuilt sheet or script is fetched again
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def do_GET(self):  # noqa: N802 (http.server's API)
        self.answer(body=True)

    def do_HEAD(self):  # noqa: N802 (http.server's API)
        self.answer(body=False)

    def answer(self, body: bool) -> None:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or not self.site.allowed(hosts[0]):
            status = HTTPStatus.MISDIRECTED_REQUEST if len(hosts) == 1 else HTTPStatus.BAD_REQUEST
            return self.reply(status, "text/plain", f"hôte refusé : ce serveur ne répond qu’à son adresse, "
                                                    f"{self.site.url}\n", body)
        url = urlsplit(self.path)
        if url.path == VERSION:
            known = parse_qs(url.query).get("v", [""])[0]
            return self.reply(HTTPStatus.OK, "text/plain", str(self.site.next_version(known)), body)
        path = Path(self.translate_path(self.path))
        if path.is_dir() and url.path.endswith("/"):
            path = path / "index.html"
        if path.suffix == ".html" or url.path.endswith("/"):
            if path.is_file():
                return self.reply(HTTPStatus.OK, "text/html", self.site.page(path.read_text(encoding="utf-8")), body)
            return self.reply(HTTPStatus.NOT_FOUND, "text/html", self.site.page(MISSING), body)
        return super().do_GET() if body else super().do_HEAD()

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND)

    def reply(self, status: HTTPStatus, kind: str, text: str, body: bool) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)


MISSING = ('<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Page introuvable</title></head>'
           '<body><h1>Page introuvable</h1><p>Cette page n’existe pas dans le site construit.</p></body></html>')
