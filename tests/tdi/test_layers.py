"""The layering, stated in one line and checked here (issue 11):

    tdi plumbing  ←  accounts, projects  ←  committees  ←  tdi.reports, demo, api  ←  tdi.urls, tdi.settings

A module imports from its own layer or the layers to its left, never to its right; the read
side (`tdi.reports`), the read API (`api`) and the demo loader are the packages that import
both apps. Imports made inside functions count as much as the others: they are how import
cycles hide. Imports for type checkers only
(`if TYPE_CHECKING:`) never run and do not count.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tdi", "accounts", "projects", "committees", "demo", "api")
# The layers, left to right: a module may import from its layer and those before it.
LAYERS = [
    ("plumbing", ("tdi",)),
    ("registry", ("accounts", "projects")),
    ("committees", ("committees",)),
    ("reports", ("tdi.reports", "demo", "api")),
    ("wiring", ("tdi.urls", "tdi.settings", "tdi.wsgi", "tdi.asgi")),
]
# Import cycles between modules that are still to be broken: each must go, and the test fails
# when one is gone so that the list only shrinks.
KNOWN_CYCLES: set[frozenset[str]] = set()


def layer_of(module: str) -> int | None:
    """The index of the layer of a module of ours (the longest prefix wins), None for others."""
    best, found = -1, None
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    return found


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that a module imports, anywhere in it (a name imported from a
    package counts as its submodule when it is one)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text(), str(path))
    for block in ast.walk(tree):  # imports for type checkers only never run
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test):
            block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names]
            targets = [t if t in known else base for t in targets]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    modules = sources()
    known = set(modules)
    return {module: imports_of(module, path, known) for module, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), set()
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_module_is_in_a_layer():
    assert [m for m in sources() if layer_of(m) is None] == []


def test_no_module_imports_from_a_layer_to_its_right():
    wrong = defaultdict(list)
    for module, targets in graph().items():
        for target in sorted(targets):
            if layer_of(target) > layer_of(module):
                wrong[module].append(target)
    assert dict(wrong) == {}


def test_no_import_cycle_between_modules():
    found = cycles(graph())
    assert found - KNOWN_CYCLES == set(), "new import cycles"
    assert KNOWN_CYCLES - found == set(), "cycles broken: take them off KNOWN_CYCLES"


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("tdi.pdf", "plumbing"),
        ("projects.models.registry", "registry"),
        ("committees.views", "committees"),
        ("tdi.reports.views", "reports"),
        ("demo.loader", "reports"),
        ("tdi.urls", "wiring"),
    ],
)
def test_the_layers_are_read_as_stated(module, layer):
    assert LAYERS[layer_of(module)][0] == layer
