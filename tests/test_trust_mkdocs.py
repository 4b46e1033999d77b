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


def test_no_link_leads_out_of_the_project(root):
    """A symbolic link in templates/, clauses/ or docs/ to a file of the machine: located refusal, and
    nothing of the file is printed."""
    secret = root.parent / "secret.txt"
    secret.write_text("mot de passe : hunter2\n", encoding="utf-8")
    links = (("templates/letters/fuite.html", "template-link"), ("clauses/purpose/fuite.yaml", "file-link"),
             ("docs/playbook/fuite.md", "site-link"))
    for file, rule in links:  # one at a time: each is found where it is
        (root / file).symlink_to(secret)
        result = run_main(root, "validate")
        assert result.returncode == 1 and "hunter2" not in result.stdout + result.stderr
        assert any(line.startswith(f"{file}:1:1: ") and line.endswith(f"[{rule}]")
                   for line in result.stderr.splitlines()), (file, result.stderr)
        (root / file).unlink()


def test_a_template_linked_out_is_never_rendered(root, tmp_path):
    from cgvkit.core.templating import render

    secret = tmp_path / "secret.html"
    secret.write_text("hunter2", encoding="utf-8")
    (root / "templates" / "fuite.html").symlink_to(secret)
    with pytest.raises(Exception) as exc:
        render(root, "fuite.html")
    assert "hunter2" not in str(exc.value) and "lien symbolique" in str(exc.value)


def test_a_fifo_or_a_huge_file_is_refused_before_it_is_read(root):
    import os

    os.mkfifo(root / "companies" / "tube.yaml")
    result = run_main(root, "validate")  # would block forever on the FIFO
    assert result.returncode == 1
    assert any(line.startswith("companies/tube.yaml:1:1: ") and line.endswith("[file-kind]")
               for line in result.stderr.splitlines()), result.stderr
    (root / "companies" / "tube.yaml").unlink()
    huge = root / "clauses" / "purpose" / "enorme.yaml"
    huge.write_text("id: x\nvaleurs:\n" + "  - 1234567890\n" * 800_000, encoding="utf-8")
    result = run_main(root, "validate")  # would cost gigabytes to parse
    assert any(line.startswith("clauses/purpose/enorme.yaml:1:1: ") and line.endswith("[file-kind]")
               for line in result.stderr.splitlines()), result.stderr
