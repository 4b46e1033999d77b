"""The package's imports run one way: each layer may import only itself and the layers below.

    core → sources → law → model → documents → dunning → site → commands → cli
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cgvkit"
LAYERS = ("core", "sources", "law", "model", "documents", "dunning", "site", "commands", "cli", "__main__")


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """Every cgvkit module `name` imports, wherever the import statement sits."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)
    known = modules()
    return {m for m in found if m in known and m != name}


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return -1  # the package itself (__version__): below everything
    return LAYERS.index(parts[1])


def test_every_module_belongs_to_a_layer():
    for name in modules():
        parts = name.split(".")
        assert len(parts) == 1 or parts[1] in LAYERS, f"{name} is in no layer"


def test_no_upward_import_and_nothing_imports_cli():
    upward = []
    for name, path in modules().items():
        for target in imports(name, path):
            if target.split(".")[1:2] == ["cli"] and name != "cgvkit.__main__":
                upward.append(f"{name} imports {target}")
            elif layer(target) > layer(name):
                upward.append(f"{name} imports {target} ({LAYERS[layer(target)]} is above "
                              f"{LAYERS[layer(name)] if layer(name) >= 0 else 'the package'})")
    assert upward == []


def test_no_import_cycle():
    graph = {name: imports(name, path) for name, path in modules().items()}
    # A package's __init__ is not an edge back from its own modules.
    graph = {n: {t for t in ts if not n.startswith(t + ".")} for n, ts in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(" → ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_checker_sees_an_upward_import(tmp_path):
    """The walk itself works: a planted upward import is found."""
    planted = tmp_path / "x.py"
    planted.write_text("from cgvkit.site.build import build_site\nfrom ..model import company\n")
    found = imports("cgvkit.core.x", planted)
    assert {"cgvkit.site.build", "cgvkit.model.company"} <= found
    assert max(layer(m) for m in found) > layer("cgvkit.core.x")
