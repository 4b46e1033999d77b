"""mkdocs.yml is read by the kit's safe reader before MkDocs reads it: no Python tag, no hook, no
plugin, Markdown extension or theme folder that runs code or copies files, located French errors."""

from __future__ import annotations

import pytest
from conftest import copy_project, run_main


@pytest.fixture
def root(tmp_path):
    return copy_project(tmp_path / "p")


def edit(root, old: str, new: str) -> int:
    path = root / "mkdocs.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1  # the line of the change


def refused(result, rule: str, line: int) -> str:
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    found = [s for s in result.stderr.splitlines() if s.startswith(f"mkdocs.yml:{line}:") and s.endswith(f"[{rule}]")]
    assert found, result.stderr
    return found[0]


@pytest.mark.parametrize("command", ["validate", "site"])
def test_a_python_tag_is_never_built(root, command):
    line = edit(root, "site_name: Recouvrement — guide interne",
                "site_name: !!python/object/apply:os.system [\"touch PWNED\"]")
    refused(run_main(root, command), "yaml-syntax", line)
    assert not (root / "PWNED").exists() and not (root / "site").exists()


@pytest.mark.parametrize("old,new,shown", [
    ("plugins:\n", "hooks:\n  - hooks.py\nplugins:\n", "hooks"),
    ("  - offline\n", "  - offline\n  - macros\n", "macros"),
    ("  - pymdownx.details\n", "  - pymdownx.details\n  - pymdownx.snippets:\n      base_path: [/etc]\n",
     "pymdownx.snippets"),
    ("  name: material\n", "  name: material\n  custom_dir: overrides\n", "custom_dir"),
    ("docs_dir: docs\n", "docs_dir: ../../etc\n", "docs_dir"),
    ("  - assets/stylesheets/generated.css\n", "  - https://cdn.example.com/x.css\n", "https://"),
    ("use_directory_urls: false\n", "use_directory_urls: false\nINHERIT: ../autre.yml\n", "INHERIT"),
])
def test_code_or_files_from_outside_are_refused_where_they_stand(root, old, new, shown):
    edit(root, old, new)
    lines = (root / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if shown in text)  # where the lawyer looks
    refused(run_main(root, "validate"), "mkdocs-config", line)


def test_mkdocs_own_tags_are_read_as_values(root):
    edit(root, "site_name: Recouvrement — guide interne", "site_name: !ENV [CGVKIT_SITE_NAME, 'Recouvrement']")
    result = run_main(root, "validate")
    assert result.returncode == 0, result.stderr
