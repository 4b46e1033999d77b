"""WeasyPrint loads without searching the system for its libraries, and still loads when only the
search would find them. Each case runs in a new process: the import happens once per process."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import kit_env

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")]

PRINT = """
from cgvkit.documents.engine import HTML
pdf = HTML(string="<p>Délai de paiement : 30 jours</p>").write_pdf()
print("pdf" if pdf.startswith(b"%PDF") else "no pdf")
"""


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=kit_env())


def test_weasyprint_loads_without_the_library_search():
    result = run("""
import ctypes.util
searched = []
search = ctypes.util.find_library
def recorded(name):
    searched.append(name)
    return search(name)
ctypes.util.find_library = recorded
""" + PRINT + """
print(searched, ctypes.util.find_library is recorded)
""")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["pdf", "[] True"]


def test_weasyprint_falls_back_on_the_search_when_the_loader_alone_fails():
    result = run("""
import ctypes.util
import cffi
search, dlopen = ctypes.util.find_library, cffi.FFI.dlopen
def only_with_the_search(self, name, flags=0):
    if ctypes.util.find_library is not search:
        raise OSError(f"{name}: not found by the dynamic loader alone")
    return dlopen(self, name, flags)
cffi.FFI.dlopen = only_with_the_search
""" + PRINT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["pdf"]  # WeasyPrint's installation hint was not shown
