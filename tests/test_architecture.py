"""The package's layers only look down, and no module uses another module's private names.

The import graph is read with :mod:`ast` from the source (module-level and function-level imports
alike; imports under ``if TYPE_CHECKING:`` only name types and are not counted). Each module of
``sdmodels`` belongs to one layer of :data:`LAYERS`; a module may import modules of its own layer
or of layers below it, never of a layer above, and the graph has no cycles. A new module must be
given a layer here: that is the moment to decide where it sits.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sdmodels"

#: Layers from the bottom up, by module prefix (the longest matching prefix decides).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("sdmodels.errors", "sdmodels._paths", "sdmodels._toml", "sdmodels._common",
                    "sdmodels.units", "sdmodels._cachefile", "sdmodels._diagnose",
                    "sdmodels._pysd_build", "sdmodels._startup", "sdmodels._lock")),
    ("compiler", ("sdmodels.compiler",)),
    ("inputs and result conventions", (
        "sdmodels.results", "sdmodels.scenarios", "sdmodels.uncertainty", "sdmodels.profiles",
        "sdmodels.metadata", "sdmodels.export", "sdmodels._html", "sdmodels.distributed",
        "sdmodels.posterior")),
    ("batch core", ("sdmodels.batch",)),
    ("engine", ("sdmodels.engine",)),
    ("model", ("sdmodels.model",)),
    ("analyses", (
        "sdmodels.montecarlo", "sdmodels.sensitivity", "sdmodels.calibration",
        "sdmodels.attribution", "sdmodels.discovery", "sdmodels.compare", "sdmodels.testing",
        "sdmodels.loops")),
    ("figures", ("sdmodels.plots", "sdmodels.loop_diagrams")),
    ("result accessor", ("sdmodels.accessor",)),
    ("front ends", ("sdmodels.cli", "sdmodels.dashboard")),
    ("public API", ("sdmodels",)),
]


#: Cycles known and left to their owners, each with the reason; the test fails on any other cycle,
#: and on one of these once it is gone (so that the entry is removed).
KNOWN_CYCLES: dict[frozenset[str], str] = {
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            # the package itself is the top layer, not a prefix of every module
            inside = module.startswith(prefix + ".") and prefix != "sdmodels"
            if (module == prefix or inside) and len(prefix) > best:
                best, rank = len(prefix), i
    if rank < 0:
        raise LookupError(module)
    return rank


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (
            (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
            or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
        ):
            for child in node.body:
                skip.update(id(n) for n in ast.walk(child))
    return skip


class Imports:
    """What one module imports from the package: modules, and private names used from them."""

    def __init__(self, module: str, path: Path) -> None:
        self.module = module
        self.edges: dict[str, int] = {}  # imported module -> line
        self.private: list[tuple[str, str, int]] = []  # (module, name, line)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_nodes(tree)
        is_package = path.name == "__init__.py"
        aliases: dict[str, str] = {}  # local name -> sdmodels module
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "sdmodels":
                        self._edge(alias.name, node.lineno)
                        if alias.asname:
                            aliases[alias.asname] = alias.name
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(node, is_package)
                if base is None or base.split(".")[0] != "sdmodels":
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in MODULES:
                        self._edge(sub, node.lineno)
                        aliases[alias.asname or alias.name] = sub
                        continue
                    self._edge(base, node.lineno)
                    if _is_private(alias.name):
                        self.private.append((base, alias.name, node.lineno))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and _is_private(node.attr)
                    and f"{aliases[node.value.id]}.{node.attr}" not in MODULES):
                self.private.append((aliases[node.value.id], node.attr, node.lineno))

    def _absolute(self, node: ast.ImportFrom, is_package: bool) -> str | None:
        if not node.level:
            return node.module
        parts = self.module.split(".") if is_package else self.module.split(".")[:-1]
        parts = parts[: len(parts) - node.level + 1]
        return ".".join([*parts, *([node.module] if node.module else [])])

    def _edge(self, target: str, line: int) -> None:
        while target not in MODULES and "." in target:
            target = target.rsplit(".", 1)[0]
        if target != self.module:
            self.edges.setdefault(target, line)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


GRAPH = {m: Imports(m, p) for m, p in MODULES.items()}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer() -> None:
    missing = []
    for module in MODULES:
        try:
            layer_of(module)
        except LookupError:
            missing.append(module)
    assert not missing, f"give these modules a layer in tests/test_architecture.py: {missing}"


def test_no_import_cycles() -> None:
    edges = {m: set(imp.edges) for m, imp in GRAPH.items()}
    cycles = _cycles(edges)
    new = [c for c in cycles if frozenset(c) not in KNOWN_CYCLES]
    assert not new, "import cycles (function-level imports included): " + "; ".join(
        " <-> ".join(c) for c in new)
    gone = [sorted(c) for c in KNOWN_CYCLES if sorted(c) not in cycles]
    assert not gone, f"these cycles are gone: remove them from KNOWN_CYCLES: {gone}"


def test_layers_only_look_down() -> None:
    upward = []
    for module, imp in GRAPH.items():
        here = layer_of(module)
        for target, line in imp.edges.items():
            if layer_of(target) > here:
                upward.append(f"{module}:{line} imports {target} "
                              f"({LAYERS[here][0]} -> {LAYERS[layer_of(target)][0]})")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_module_imports_the_package_itself() -> None:
    offenders = [f"{m}:{line}" for m, imp in GRAPH.items() if m != "sdmodels"
                 for target, line in imp.edges.items() if target == "sdmodels"]
    assert not offenders, f"modules importing the top-level package: {offenders}"


def _package(module: str) -> str:
    return module.rsplit(".", 1)[0]


def test_no_private_names_of_other_modules() -> None:
    """Private names stay in their module, or at most in the private modules of one subpackage
    (``sdmodels.compiler._builder`` may use a helper of ``sdmodels.compiler._names``)."""
    uses = [f"{m}:{line} uses {target}.{name}" for m, imp in GRAPH.items()
            for target, name, line in imp.private
            if target != m and not (_package(m) == _package(target) != "sdmodels")]
    assert not uses, "private names used across modules:\n" + "\n".join(uses)


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    """The graph reader finds a function-level import, an aliased private use and a cycle."""
    source = (
        "from sdmodels import engine as eng\n"
        "def f():\n"
        "    from sdmodels.model import load_model\n"
        "    return eng._hidden\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(source)
    probe = Imports("sdmodels.results", path)
    assert set(probe.edges) == {"sdmodels.engine", "sdmodels.model"}
    assert ("sdmodels.engine", "_hidden", 4) in probe.private
    assert layer_of("sdmodels.model") > layer_of("sdmodels.results")
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


@pytest.mark.parametrize("module", ["sdmodels.batch", "sdmodels.engine", "sdmodels.distributed"])
def test_core_never_imports_dask_at_module_level(module: str) -> None:
    """dask is optional: the batch core and the dask executor import it only when used."""
    for name, imp in GRAPH.items():
        if name == module or name.startswith(module + "."):
            tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                             else [node.module or ""])
                    assert not any(n.split(".")[0] in ("dask", "distributed") for n in names), (
                        f"{name} imports dask at module level")
