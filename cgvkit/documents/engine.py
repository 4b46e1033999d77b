"""WeasyPrint, imported without its slow search for the system libraries on Linux.

WeasyPrint opens GObject, Pango, HarfBuzz and fontconfig through cffi, trying several names for each
(Windows, macOS and Linux spellings). cffi hands every name that does not open as such to
`ctypes.util.find_library`, which on Linux runs `ldconfig -p`, then gcc and ld, in subprocesses:
about 0.25 s of every command that prints, for names that are not Linux's. WeasyPrint's lists hold
the Linux sonames (`libpango-1.0.so.0`…), which the dynamic loader opens by itself, so the search
is switched off while WeasyPrint loads. Should that fail (libraries only the search finds), the
import is done again the ordinary way.
"""

from __future__ import annotations

import ctypes.util
import io
import sys
from contextlib import contextmanager, redirect_stdout


@contextmanager
def _no_library_search():
    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = search


def _import_weasyprint() -> None:
    if sys.platform.startswith("linux") and "weasyprint" not in sys.modules:
        try:
            # WeasyPrint prints an installation hint before its last try: not for this first one.
            with _no_library_search(), redirect_stdout(io.StringIO()):
                import weasyprint  # noqa: F401
            return
        except OSError:
            for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
                del sys.modules[name]
    import weasyprint  # noqa: F401


_import_weasyprint()

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher  # noqa: E402

__all__ = ["CSS", "HTML", "FontConfiguration", "URLFetcher"]
