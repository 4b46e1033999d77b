"""mkdocs.yml read safely before MkDocs reads it.

MkDocs reads its configuration with PyYAML's full loader, which builds Python objects from tags
such as `!!python/object/apply`; and its `hooks:`, plugins, Markdown extensions, theme folders and
`INHERIT:` load code or files. The kit checks the file first with its own safe reader: plain YAML
plus MkDocs' `!ENV` and `!relative` tags, and only the plugins, extensions and theme it knows. The
kit's own plugin `cgvkit-safe` (site/plugin.py), which makes the pages inert, must be there, as is.
"""

from __future__ import annotations

from pathlib import Path

from cgvkit.core.errors import KitError, Problem
from cgvkit.sources.yamlsource import Source, load_file

TAGS = ("!ENV", "!relative")
SAFE_PLUGIN = "cgvkit-safe"
PLUGINS = frozenset({SAFE_PLUGIN, "search", "offline", "tags"})
# Python-Markdown's own extensions and pymdown-extensions that only change how text is marked up
# (not `pymdownx.snippets`, which copies any file of the machine into a page).
EXTENSIONS = frozenset({
    "abbr", "admonition", "attr_list", "def_list", "footnotes", "md_in_html", "tables", "toc", "meta",
    "sane_lists", "smarty", "fenced_code", "codehilite", "nl2br", "wikilinks", "extra",
    "pymdownx.details", "pymdownx.superfences", "pymdownx.tabbed", "pymdownx.tasklist", "pymdownx.highlight",
    "pymdownx.inlinehilite", "pymdownx.mark", "pymdownx.tilde", "pymdownx.caret", "pymdownx.keys",
    "pymdownx.smartsymbols", "pymdownx.betterem", "pymdownx.critic", "pymdownx.emoji",
})
THEMES = frozenset({"material", "mkdocs", "readthedocs"})
REFUSED_KEYS = {
    "hooks": "les « hooks » exécutent du code Python du projet",
    "INHERIT": "« INHERIT » ferait lire un autre fichier de configuration",
}


def _names(entries) -> list[tuple[int, str]]:
    """(index, name) of each entry of a `plugins:` or `markdown_extensions:` list."""
    found = []
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict) and len(entry) == 1:
            found.append((i, str(next(iter(entry)))))
        elif isinstance(entry, str):
            found.append((i, entry))
        else:
            found.append((i, repr(entry)))
    return found


def _inside(value, root: Path) -> bool:
    return isinstance(value, str) and "://" not in value and (root / value).resolve().is_relative_to(root.resolve())


def config_problems(source: Source, root: Path) -> list[Problem]:
    data = source.data if isinstance(source.data, dict) else {}
    problems = []

    def refuse(path: tuple, message: str) -> None:
        problems.append(source.problem(path, message, "mkdocs-config"))

    for key, why in REFUSED_KEYS.items():
        if key in data:
            refuse((key,), f"clé refusée : {why} ; le kit ne l’exécute pas")
    plugins = data.get("plugins", [])
    if isinstance(plugins, dict):
        plugins = [{name: value} for name, value in plugins.items()]
    for i, name in _names(plugins):
        if name not in PLUGINS:
            refuse(("plugins", i), f"extension de MkDocs « {name} » refusée (permises : {', '.join(sorted(PLUGINS))}) : "
                   "un plugin exécute du code")
        elif name == SAFE_PLUGIN and isinstance(plugins[i], dict) and next(iter(plugins[i].values())):
            refuse(("plugins", i), f"le plugin « {SAFE_PLUGIN} » ne prend aucune option : « enabled: false » ou une "
                   "autre option laisserait des pages sans nettoyage")
    if SAFE_PLUGIN not in {name for _, name in _names(plugins)}:
        refuse(("plugins",), f"le plugin « {SAFE_PLUGIN} » manque dans « plugins » : sans lui, MkDocs publierait les "
               "pages sans les nettoyer (gestionnaires d’événements, liens javascript:) ; ajoutez la ligne "
               f"« - {SAFE_PLUGIN} » en tête de la liste")
    for i, name in _names(data.get("markdown_extensions", [])):
        if name not in EXTENSIONS:
            refuse(("markdown_extensions", i), f"extension Markdown « {name} » refusée : seules les extensions de mise "
                   "en forme connues du kit sont permises")
    theme = data.get("theme")
    name = theme.get("name") if isinstance(theme, dict) else theme
    if name not in THEMES:
        refuse(("theme",), f"thème « {name} » refusé (permis : {', '.join(sorted(THEMES))})")
    if isinstance(theme, dict) and "custom_dir" in theme:
        refuse(("theme", "custom_dir"), "« custom_dir » refusé : les gabarits d’un thème s’exécutent hors du bac à "
               "sable")
    for key in ("docs_dir", "site_dir"):
        if key in data and not _inside(data[key], root):
            refuse((key,), f"« {key} » doit être un dossier du projet")
    for key in ("extra_javascript", "extra_css"):
        for i, entry in enumerate(data.get(key) or []):
            path = entry.get("path") if isinstance(entry, dict) else entry
            if not isinstance(path, str) or "://" in path or path.startswith("//"):
                refuse((key, i), "seuls des fichiers du dossier docs/ sont permis, aucune adresse extérieure")
    return problems


def docs_links(docs: Path, root: Path) -> list[Problem]:
    """Links under docs/ whose target lies outside the project: MkDocs would copy that file into site/."""
    problems = []
    for path in sorted(docs.rglob("*")) if docs.is_dir() else ():
        if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
            problems.append(Problem(path.relative_to(root).as_posix(), 1, 1, "", "lien symbolique vers un fichier hors "
                                    "du projet : le site ne le publie pas", "site-link"))
    return problems


def check_config(path: Path, root: Path) -> None:
    """Raise KitError (located) unless mkdocs.yml is plain YAML the kit lets MkDocs read, and no file of
    docs/ links out of the project."""
    if path.is_symlink() or not path.is_file():
        raise KitError([Problem("mkdocs.yml", 1, 1, "", "mkdocs.yml doit être un fichier ordinaire du projet",
                                "mkdocs-config")])
    problems = config_problems(load_file(path, root, TAGS), root) + docs_links(root / "docs", root)
    if problems:
        raise KitError(problems)
