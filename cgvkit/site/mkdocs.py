"""MkDocs run through its documented command line, `mkdocs build`, its warnings turned into located problems.

MkDocs' Python functions (`load_config`, `commands.build.build`) are not part of its documented API;
its command line is. The kit runs `python -m mkdocs build` from the same Python, its own code first
on the path, so MkDocs loads the kit's plugin `cgvkit-safe` (site/plugin.py) from mkdocs.yml exactly
as a bare `mkdocs build` does: nothing is added to the configuration behind the user's back.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import cgvkit
from cgvkit.core.errors import KitError, Problem
from cgvkit.site.mkdocsconfig import SAFE_PLUGIN

_DOC_FILE = re.compile(r"^Doc file '([^']+)'")
_LOG = re.compile(r"^(WARNING|ERROR)\s+-\s+(.*)$")
TIMEOUT = 600  # seconds: the whole site builds in about two


def _problem(message: str, severity: str = "error", strict: bool = True) -> Problem:
    found = _DOC_FILE.match(message)
    where = f"docs/{found.group(1)}" if found else "mkdocs.yml"
    if strict:  # `site`: any warning stops the build
        return Problem(where, 1, 1, "", f"MkDocs (mode strict) : {message}", "site-strict")
    return Problem(where, 1, 1, "", f"MkDocs : {message}", "site-mkdocs", severity)


def command(config_file: Path, site_dir: Path, *, strict: bool, dirty: bool = False) -> list[str]:
    """The `mkdocs build` command line, run by this Python."""
    return [sys.executable, "-m", "mkdocs", "build", "--config-file", str(config_file), "--site-dir", str(site_dir),
            "--strict" if strict else "--no-strict", "--dirty" if dirty else "--clean"]


def environment() -> dict:
    """The environment of `mkdocs build`: this kit's code first on the path (the plugin MkDocs loads is
    this one), and no notice of the theme's authors in the kit's output."""
    kit = str(Path(cgvkit.__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [kit, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}


def require_plugin() -> None:
    """The kit's plugin must be installed where MkDocs looks for plugins (the kit's entry points)."""
    if not entry_points(group="mkdocs.plugins", name=SAFE_PLUGIN):
        raise KitError([Problem("mkdocs.yml", 1, 1, "plugins", f"le plugin « {SAFE_PLUGIN} » n’est pas installé dans "
                                f"ce Python ({sys.prefix}) : lancez « make venv », ou « pip install --no-deps -e . » "
                                "dans le dossier du kit", "site-plugin")])


def problems(output: str, returncode: int, strict: bool) -> list[Problem]:
    """MkDocs' warnings and errors in its log (stderr), each once; a failure with none says its last line.
    In strict mode every one is an error."""
    found = []
    for line in output.splitlines():
        match = _LOG.match(line)
        if match:
            found.append(_problem(match.group(2), "error" if match.group(1) == "ERROR" else "warning", strict))
    if returncode and not any(p.severity == "error" for p in found):
        last = next((line for line in reversed(output.splitlines()) if line.strip()), "")
        found.append(_problem(f"échec sans message (code {returncode}) {last}".strip(), "error", strict))
    return list(dict.fromkeys(found))


def build_strict(config_file: Path, site_dir: Path) -> None:
    """`mkdocs build --strict` into `site_dir`; any warning raises KitError naming it."""
    require_plugin()
    try:
        result = subprocess.run(command(config_file, site_dir, strict=True), cwd=config_file.parent,
                                capture_output=True, text=True, env=environment(), timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise KitError([_problem(f"la construction du site a dépassé {TIMEOUT} s et a été arrêtée")]) from None
    found = problems(result.stderr, result.returncode, strict=True)
    if found:  # strict mode aborts on warnings; never accept a silent one either
        raise KitError(found)
