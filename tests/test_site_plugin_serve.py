"""A bare `mkdocs serve` answers only its own address, as `python build.py serve` does: the plugin
`cgvkit-safe` wraps the application of the server MkDocs passes to its `on_serve` event, so a page of
another site pointing a name of its own at this machine (DNS rebinding) reads nothing."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from wsgiref.util import setup_testing_defaults

import pytest
from conftest import copy_project, kit_env
from mkdocs.livereload import LiveReloadServer

from cgvkit.site.plugin import SafePlugin

MKDOCS = Path(sys.executable).parent / "mkdocs"


def ask(app, host: str | None, path: str = "/") -> tuple[str, bytes]:
    environ = {"PATH_INFO": path, **({"HTTP_HOST": host} if host is not None else {})}
    setup_testing_defaults(environ)
    if host is None:
        environ.pop("HTTP_HOST")
    said = []
    body = b"".join(app(environ, lambda status, headers: said.append(status)))
    return said[0], body


@pytest.mark.parametrize(("host", "port", "header", "answer"), [
    ("127.0.0.1", 8000, "127.0.0.1:8000", "200 OK"),
    ("127.0.0.1", 8000, "localhost:8000", "200 OK"),
    ("127.0.0.1", 8000, "[::1]:8000", "200 OK"),
    ("127.0.0.1", 8000, "evil.example:8000", "421 Misdirected Request"),
    ("127.0.0.1", 8000, "evil.example", "421 Misdirected Request"),
    ("127.0.0.1", 8000, "127.0.0.1:8001", "421 Misdirected Request"),
    ("127.0.0.1", 8000, "127.0.0.1:8000,evil.example", "421 Misdirected Request"),  # two Host headers
    ("127.0.0.1", 8000, None, "400 Bad Request"),
    ("0.0.0.0", 8000, "192.168.1.20:8000", "200 OK"),
    ("0.0.0.0", 8000, "intranet.example:8000", "421 Misdirected Request"),
])
def test_the_served_application_checks_the_host(tmp_path, host, port, header, answer):
    (tmp_path / "index.html").write_text("<p>accueil</p>", encoding="utf-8")
    server = LiveReloadServer(builder=lambda: None, host=host, port=port, root=str(tmp_path))
    returned = SafePlugin().on_serve(server, config=SimpleNamespace(dev_addr=(host, port)), builder=None)
    assert returned is server
    status, body = ask(server.get_app(), header)
    assert status == answer
    if answer == "200 OK":
        assert b"accueil" in body
    else:
        assert "hôte refusé" in body.decode() and b"accueil" not in body


@pytest.mark.slow
def test_a_bare_mkdocs_serve_answers_only_its_address(tmp_path):
    root = copy_project(tmp_path / "p")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([str(MKDOCS), "serve", "-a", f"127.0.0.1:{port}"], cwd=root,
                               env={**kit_env(), "NO_MKDOCS_2_WARNING": "1"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def get(host: str, path: str = "/") -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, body = get(f"127.0.0.1:{port}")
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, "mkdocs serve n’a pas démarré"
                time.sleep(0.3)
        assert status == 200 and b"<html" in body
        assert get(f"localhost:{port}")[0] == 200
        for path in ("/", "/livereload/1/1"):  # the pages and MkDocs' reload requests alike
            status, body = get(f"rebinding.example:{port}", path)
            assert status == 421 and "hôte refusé" in body.decode() and b"<html" not in body
    finally:
        process.terminate()
        process.wait(timeout=30)
