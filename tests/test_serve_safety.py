"""`serve` answers only to its own address, and a broken build is shown in the page itself (a banner
on the last good pages), never a hang; the next good build takes the banner away."""

from __future__ import annotations

import http.client
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
