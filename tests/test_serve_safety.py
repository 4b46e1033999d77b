"""`serve` answers only to its own address, and a broken build is shown in the page itself (a banner
on the last good pages), never a hang; the next good build takes the banner away."""

from __future__ import annotations

import http.client
import re
import time
import urllib.request

from conftest import edit, serve, stop_with_ctrl_c

PAGE = "index.html"


def get(site: str, path: str, host: str | None = None) -> tuple[int, str]:
    address = site.split("//", 1)[1].rstrip("/")
    connection = http.client.HTTPConnection(address, timeout=30)
    connection.request("GET", "/" + path, headers={"Host": host} if host else {})
    response = connection.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


def wait_for(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_only_its_own_address_and_a_failed_build_shown_in_the_page(project, built_packs):
    process, site = serve(project, built_packs)
    try:
        port = site.rsplit(":", 1)[1].rstrip("/")
        assert get(site, PAGE)[0] == 200
        assert get(site, PAGE, f"localhost:{port}")[0] == 200
        status, body = get(site, PAGE, f"evil.example:{port}")
        assert status == 421 and "hôte refusé" in body
        # A mkdocs.yml the kit refuses (a hook would run code): the last good page stays, with the reason.
        edit(project / "mkdocs.yml", "plugins:\n", "hooks:\n  - crochet.py\nplugins:\n")
        wait_for(lambda: "cgvkit-build-error" in get(site, PAGE)[1], "no banner after a failed build")
        body = get(site, PAGE)[1]
        assert "Reconstruction du site abandonnée" in body and "mkdocs-config" in body and "<h1" in body
        edit(project / "mkdocs.yml", "hooks:\n  - crochet.py\nplugins:\n", "plugins:\n")
        wait_for(lambda: "cgvkit-build-error" not in get(site, PAGE)[1], "the banner stayed after a good build")
        assert urllib.request.urlopen(site + PAGE, timeout=30).status == 200
    finally:
        output = stop_with_ctrl_c(process)
    assert process.returncode == 0, output
    assert "Traceback" not in output and "reconstruction abandonnée" in output


def raw(site: str, request: bytes) -> str:
    """A request written by hand (no Host header, or two): the status line of the answer."""
    import socket

    host, port = site.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(request)
        return connection.makefile("rb").readline().decode("latin-1")


def test_the_host_header_must_name_the_address_served(project, built_packs):
    process, site = serve(project, built_packs)
    try:
        port = site.rsplit(":", 1)[1].rstrip("/")
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
            assert get(site, PAGE, host)[0] == 200, host
        for host in ("evil.example", f"127.0.0.1.evil.example:{port}", f"localhost.evil.example:{port}",
                     f"127.0.0.1:{int(port) + 1}", f"127.0.0.1:{port}@evil.example", "", f"evil.example:{port}"):
            status, body = get(site, PAGE, host or " ")
            assert status in (400, 421) and "hôte refusé" in body, (host, status)
            assert get(site, "assets/stylesheets/generated.css", host or " ")[0] in (400, 421)  # files too
            assert get(site, ".cgvkit/version?v=0", host or " ")[0] in (400, 421)
        assert raw(site, b"GET /index.html HTTP/1.0\r\n\r\n").split()[1] == "400"
        assert raw(site, f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n".encode()
                   ).split()[1] == "400"
        assert get(site, ".cgvkit/version?v=autre")[1].strip().isdigit()  # a page's reload request
    finally:
        output = stop_with_ctrl_c(process)
    assert process.returncode == 0 and "Traceback" not in output, output


def test_a_mkdocs_yml_mkdocs_refuses_never_hangs_and_shows_in_the_page(project, built_packs):
    """A mkdocs.yml the kit's check accepts but MkDocs refuses: from the start (no good build yet, the page
    says so), then while serving (the last good page stays, with the banner); each time fixed, gone."""
    yml = project / "mkdocs.yml"
    good = yml.read_text(encoding="utf-8")
    yml.write_text(good.replace("use_directory_urls: false", "use_directory_urls: peut-être"), encoding="utf-8")

    def quick(path: str = PAGE) -> tuple[int, str]:
        started = time.monotonic()
        answer = get(site, path)
        assert time.monotonic() - started < 5, "serve kept a request waiting"
        return answer

    process, site = serve(project, built_packs)
    try:
        status, body = quick()
        assert status == 404 and "cgvkit-build-error" in body and "use_directory_urls" in body, body
        yml.write_text(good, encoding="utf-8")
        wait_for(lambda: quick()[0] == 200, "the fixed mkdocs.yml was never built")
        assert "cgvkit-build-error" not in quick()[1]
        yml.write_text(re.sub(r"(?m)^site_description: .*$", "site_description: [une, liste]", good), encoding="utf-8")
        wait_for(lambda: "cgvkit-build-error" in quick()[1], "no banner on the last good page")
        status, body = quick()
        assert status == 200 and "<h1" in body and "site_description" in body
        assert quick("playbook/telephone.html")[0] == 200  # every page of the last good site is still there
        yml.write_text(good, encoding="utf-8")
        wait_for(lambda: "cgvkit-build-error" not in quick()[1], "the banner stayed after a good build")
    finally:
        output = stop_with_ctrl_c(process)
    assert process.returncode == 0, output
    assert "Traceback" not in output and "site_description" in output and "reconstruction abandonnée" in output
