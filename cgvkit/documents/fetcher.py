"""What WeasyPrint may read while it prints: files of the allowed folders and `data:` URLs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from cgvkit.documents.engine import URLFetcher


class ProjectFetcher(URLFetcher):
    """Serves `file:` URLs inside the allowed folders and `data:` URLs; refuses everything else.

    Refused URLs are recorded so tests (and callers) can prove nothing left the project.
    """

    def __init__(self, allowed: list[Path]):
        super().__init__(allowed_protocols={"file", "data"})
        self.allowed = [p.resolve() for p in allowed]
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme == "data":
            return super().fetch(url, headers)
        if parsed.scheme == "file":
            target = Path(unquote(parsed.path)).resolve()
            if any(target.is_relative_to(folder) for folder in self.allowed) and target.is_file():
                return super().fetch(url, headers)
        self.refused.append(url)
        raise ValueError(f"ressource hors du projet refusée : {url}")
