"""The package's imports run one way: each layer may import only itself and the layers below.

    core → sources → law → model → documents → dunning → site → commands → cli

Types too: a lower layer never names a higher one's types, neither through an import under
`if TYPE_CHECKING:` nor in an annotation (`"cgvkit.model.company.Company"`, written as a string or not).
Nor by a module's name written as text (`importlib.import_module("cgvkit.documents.letters")`,
`sys.modules["cgvkit.site.build"]`): a name that reaches a module is an import.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cgvkit"
MODULE_TEXT = re.compile(r"cgvkit(?:\.\w+)+")
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


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def _type_expressions(tree: ast.AST) -> Iterator[ast.expr]:
    """Annotations, and the types written as text in `cast("…", …)` and `TypeVar(…, bound="…")`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            yield node.annotation
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            yield node.returns
        elif isinstance(node, ast.AnnAssign):
            yield node.annotation
        elif isinstance(node, ast.Call) and _dotted(node.func) in ("cast", "typing.cast") and node.args:
            yield node.args[0]
        elif isinstance(node, ast.Call) and _dotted(node.func) in ("TypeVar", "typing.TypeVar"):
            yield from (k.value for k in node.keywords if k.arg == "bound")


def _chains(tree: ast.AST) -> Iterator[str]:
    """Every whole dotted name (`cgvkit.model.company.Company`, not its parts) in `tree`."""
    nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.Attribute, ast.Name))]
    inner = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)}
    for node in nodes:
        dotted = _dotted(node) if id(node) not in inner else None
        if dotted:
            yield dotted


def _names_in(expression: ast.expr) -> Iterator[str]:
    """Every dotted name of a type expression, those written as strings ("cgvkit.model.X") included."""
    yield from _chains(expression)
    for node in ast.walk(expression):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value.strip(), mode="eval").body
            except SyntaxError:
                continue  # a Literal["…"] value, not a type
            yield from _names_in(parsed)


def references(name: str, path: Path) -> set[str]:
    """Every cgvkit module `name` names in code or in a type (`cgvkit.model.company.Company` names
    cgvkit.model.company), besides what it imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    dotted = set(_chains(tree))
    dotted.update(n for expression in _type_expressions(tree) for n in _names_in(expression))
    dotted.update(n.value for n in ast.walk(tree)  # a module named as text, for importlib or sys.modules
                  if isinstance(n, ast.Constant) and isinstance(n.value, str) and MODULE_TEXT.fullmatch(n.value))
    known = modules()
    found = set()
    for reference in dotted:
        parts = reference.split(".")
        named = [".".join(parts[:i]) for i in range(len(parts), 1, -1) if ".".join(parts[:i]) in known]
        if parts[0] == "cgvkit" and named:
            found.add(named[0])  # the module itself, not the packages above it
    return found - {name}


def upward(name: str, path: Path) -> list[str]:
    """What `name` imports or names from above its layer, and any import of cli.py."""
    found = []
    for target in sorted(imports(name, path) | references(name, path)):
        if target.split(".")[1:2] == ["cli"] and name != "cgvkit.__main__":
            found.append(f"{name} imports {target}")
        elif layer(target) > layer(name):
            found.append(f"{name} imports {target} ({LAYERS[layer(target)]} is above "
                         f"{LAYERS[layer(name)] if layer(name) >= 0 else 'the package'})")
    return found


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
    assert [line for name, path in modules().items() for line in upward(name, path)] == []


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


def test_the_checker_sees_an_upward_import_made_for_types_only(tmp_path):
    """An import under `if TYPE_CHECKING:` is an import: law/ may not know model/'s classes that way."""
    planted = tmp_path / "x.py"
    planted.write_text("from __future__ import annotations\n\nfrom typing import TYPE_CHECKING\n\n"
                       "if TYPE_CHECKING:\n    from cgvkit.model.company import Company\n\n\n"
                       "def judge(company: Company) -> None: ...\n")
    assert upward("cgvkit.law.x", planted) == ["cgvkit.law.x imports cgvkit.model.company (model is above law)"]


def test_the_checker_sees_a_higher_type_named_in_an_annotation(tmp_path):
    """A type named by its dotted path, as a string or not, needs no import: it is refused all the same."""
    planted = tmp_path / "x.py"
    planted.write_text(
        "import cgvkit.core.errors\nfrom typing import TypeVar, cast\n\n"
        "T = TypeVar('T', bound='cgvkit.documents.pack.Pack')\n\n\n"
        "def judge(company: 'cgvkit.model.company.Company') -> list['cgvkit.dunning.plan.Plan']:\n"
        "    found: cgvkit.site.build.Page | None = None\n"
        "    return cast('list[cgvkit.commands.rates.X]', found)\n\n\n"
        "def lower(source: 'cgvkit.sources.yamlsource.Source', kind: 'Literal[\"b2b\", \"tag:x\"]') -> None: ...\n")
    assert upward("cgvkit.law.x", planted) == [
        "cgvkit.law.x imports cgvkit.commands.rates (commands is above law)",
        "cgvkit.law.x imports cgvkit.documents.pack (documents is above law)",
        "cgvkit.law.x imports cgvkit.dunning.plan (dunning is above law)",
        "cgvkit.law.x imports cgvkit.model.company (model is above law)",
        "cgvkit.law.x imports cgvkit.site.build (site is above law)",
    ]


def test_the_checker_sees_a_higher_module_named_as_text(tmp_path):
    """`importlib.import_module("cgvkit.documents.letters")` or `__import__(…)` reaches a module without an
    import statement: model/ may read the letter templates as data, never call documents/ to render them."""
    planted = tmp_path / "x.py"
    planted.write_text("import importlib\nimport sys\n\n\n"
                       "def render(stage):\n"
                       "    letters = importlib.import_module('cgvkit.documents.letters')\n"
                       "    site = sys.modules['cgvkit.site.build']\n"
                       "    return letters, site, __import__('cgvkit.core.errors'), 'cgvkit.model is fine in prose'\n")
    assert upward("cgvkit.model.x", planted) == [
        "cgvkit.model.x imports cgvkit.documents.letters (documents is above model)",
        "cgvkit.model.x imports cgvkit.site.build (site is above model)",
    ]
