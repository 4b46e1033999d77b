"""What the kit's printing is compared with: a plain WeasyPrint loop over the same HTML files, in a
process of its own (shared by benchmarks/packs.py and benchmarks/dunning_run.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def bare_weasyprint(folder: Path, templates: Path) -> tuple[float, int, int]:
    """Print every HTML file under `folder` to /dev/null: (seconds, documents, pages)."""
    code = f"""
import time
from pathlib import Path
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
fonts = FontConfiguration()
documents = pages = 0
started = time.perf_counter()
for html in sorted(Path({str(folder)!r}).rglob('*.html')):
    doc = HTML(filename=str(html), base_url={str(templates)!r} + '/').render(font_config=fonts)
    doc.write_pdf('/dev/null')
    documents += 1
    pages += len(doc.pages)
print(time.perf_counter() - started, documents, pages)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, documents, pages = out.stdout.split()
    return float(seconds), int(documents), int(pages)
