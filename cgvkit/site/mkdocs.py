"""Running MkDocs in strict mode, its warnings turned into the kit's located problems."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from cgvkit.core.errors import KitError, Problem
from cgvkit.site.safemarkdown import SafeMarkdownExtension
from cgvkit.site.searchfold import fold_search_index

_DOC_FILE = re.compile(r"^Doc file '([^']+)'")


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _problem(message: str) -> Problem:
    found = _DOC_FILE.match(message)
    where = f"docs/{found.group(1)}" if found else "mkdocs.yml"
    return Problem(where, 1, 1, "", f"MkDocs (mode strict) : {message}", "site-strict")


def build_strict(config_file: Path, site_dir: Path) -> None:
    """`mkdocs build --strict` into `site_dir`; any warning raises KitError naming it.

    The pages are made inert by SafeMarkdownExtension, added here rather than in mkdocs.yml so
    that a project's own configuration cannot leave it out.
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    logger = logging.getLogger("mkdocs")
    handler = _Collect()
    logger.addHandler(handler)
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # MkDocs' messages go to the kit's report, not to stray handlers
    try:
        config = load_config(str(config_file), site_dir=str(site_dir), strict=True)
        config["markdown_extensions"].append(SafeMarkdownExtension())  # whatever mkdocs.yml lists
        build(config)
        fold_search_index(Path(site_dir))
    except MkDocsException as exc:
        messages = handler.messages or [str(exc)]
        raise KitError([_problem(m) for m in dict.fromkeys(messages)]) from None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
    if handler.messages:  # strict mode aborts on warnings; never accept a silent one either
        raise KitError([_problem(m) for m in dict.fromkeys(handler.messages)])
