"""The import rules of docs/architecture.md, checked by walking every import statement.

The rules are written once, as the import-linter contracts in ``pyproject.toml``
(``[tool.importlinter]``, run by ``lint-imports`` in ``.ci/run``); this module reads the stage
order and the allowed ckepe modules from them and checks them again with its own walker
(and the rules import-linter cannot say: no module takes a ``_private`` name of another):

- no import cycle inside ``ckepe`` or inside ``merl_core``;
- ``merl_core``'s stages in order: ``data`` → ``models`` → ``train`` → ``upstream`` →
  ``eval`` → ``cli``; a module imports its own stage and earlier ones only (the package's
  root modules, ``errors`` and ``paths``, come before every stage);
- ``ckepe`` imports nothing of ``merl_core``, and ``torch`` only inside the function that
  runs the optional transformers LLM engine;
- the library (``merl_core`` outside ``merl_core.cli``) never imports ``merl_core.cli`` and
  reaches ckepe only through ``ckepe.promptfile``, ``ckepe.fileio``, ``ckepe.errors``,
  ``ckepe.labelsets`` (the label sets that split files are checked against) and
  ``ckepe.registry`` (the dataset registry);
- no module imports a ``_private`` name from another module (tests and benchmarks too), nor
  reaches one through a module it imported (``R._split``; tests may, to inject faults).

Imports inside functions count: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IMPORTLINTER = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
CONTRACTS = {c["id"]: c for c in IMPORTLINTER["contracts"]}
PACKAGES = tuple(IMPORTLINTER["root_packages"])


def _stages() -> tuple[str, ...]:
    """merl_core's stages, earliest first, from the ``stages`` layers contract (its last layer,
    the package's root modules, comes before every stage and is left out)."""
    contract = CONTRACTS["stages"]
    (container,) = contract["containers"]
    layers = [f"{container}.{layer}" for layer in reversed(contract["layers"])]
    return tuple(layers[1:])


def _library_may_use_ckepe() -> set[str]:
    """The ckepe modules the library may import: the ``library-ckepe-contract``'s exceptions."""
    return {rule.split(" -> ")[1] for rule in CONTRACTS["library-ckepe-contract"]["ignore_imports"]}


STAGES = _stages()
LIBRARY_MAY_USE_CKEPE = _library_may_use_ckepe()


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported (resolved to a module where the name is one)
    names: tuple[str, ...]  # names taken from it with ``from … import``
    line: int
    top: bool = True  # at module level (False: inside a function, run on first use)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py"))


SCRIPTS = ("tests", "benchmarks", "studies")  # checked for private imports, not for the stages
KNOWN = {module_name(p) for p in python_files(*PACKAGES, *SCRIPTS)}


def imports_of(path: Path) -> list[Import]:
    """Every import statement of a file, relative imports resolved."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lazy = {
        id(n)
        for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        for n in ast.walk(f)
    }  # fmt: skip
    out: list[Import] = []
    for node in ast.walk(tree):
        top = id(node) not in lazy
        if isinstance(node, ast.Import):
            out += [Import(mod, a.name, (), node.lineno, top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            names = tuple(a.name for a in node.names)
            subs = [f"{base}.{n}" for n in names if f"{base}.{n}" in KNOWN]
            out += [Import(mod, s, (), node.lineno, top) for s in subs]
            rest = tuple(n for n in names if f"{base}.{n}" not in KNOWN)
            if rest or not subs:
                out.append(Import(mod, base, rest, node.lineno, top))
    return out


ALL = [imp for p in python_files(*PACKAGES, *SCRIPTS) for imp in imports_of(p)]


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _cycles(package: str) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for imp in ALL:
        if _within(imp.module, package) and _within(imp.target, package):
            if imp.target != imp.module and imp.target in KNOWN:
                graph.setdefault(imp.module, set()).add(imp.target)
            # importing ``a.b.c`` runs ``a.b``'s ``__init__`` first: an edge to every package
            # above the target that is not above the importer (``ckepe.verify`` importing
            # ``ckepe.audit.x`` runs ``ckepe.audit``, which may import ``ckepe.verify`` back)
            parts = imp.target.split(".")
            for n in range(1, len(parts)):
                parent = ".".join(parts[:n])
                if parent in KNOWN and not _within(imp.module, parent):
                    graph.setdefault(imp.module, set()).add(parent)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_contracts_say_what_the_architecture_says() -> None:
    """The contracts read here are the documented ones (a contract edited away fails here)."""
    assert STAGES == ("merl_core.data", "merl_core.models", "merl_core.train",
                      "merl_core.upstream", "merl_core.eval", "merl_core.cli")  # fmt: skip
    assert LIBRARY_MAY_USE_CKEPE == {"ckepe.promptfile", "ckepe.fileio", "ckepe.errors",
                                     "ckepe.labelsets", "ckepe.registry"}  # fmt: skip
    assert CONTRACTS["library-not-cli"]["forbidden_modules"] == ["merl_core.cli"]
    assert set(CONTRACTS["ckepe-light"]["forbidden_modules"]) == {"merl_core", "torch"}
    assert CONTRACTS["ckepe-light"]["source_modules"] == ["ckepe"]
    assert {c["type"] for c in CONTRACTS.values()} >= {"layers", "private_modules",
                                                        "acyclic_siblings"}  # fmt: skip


def test_lint_imports_keeps_every_contract() -> None:
    """import-linter itself (the dev extra) keeps every contract of pyproject.toml."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle(package: str) -> None:
    assert _cycles(package) == []


def test_the_walker_sees_a_cycle_and_a_private_import() -> None:
    """The checks can fail: a cycle and a private import written here are found."""
    ALL.extend([Import("merl_core.fake_a", "merl_core.fake_b", (), 1),
                Import("merl_core.fake_b", "merl_core.fake_a", (), 1)])  # fmt: skip
    KNOWN.update({"merl_core.fake_a", "merl_core.fake_b"})
    try:
        assert ["merl_core.fake_a", "merl_core.fake_b"] in _cycles("merl_core")
    finally:
        del ALL[-2:]
        KNOWN.difference_update({"merl_core.fake_a", "merl_core.fake_b"})
    # a module importing a submodule whose package's __init__ imports that module back
    ALL.extend([Import("ckepe.fake_low", "ckepe.fake_pkg.leaf", (), 1),
                Import("ckepe.fake_pkg", "ckepe.fake_low", (), 1)])  # fmt: skip
    KNOWN.update({"ckepe.fake_low", "ckepe.fake_pkg", "ckepe.fake_pkg.leaf"})
    try:
        assert ["ckepe.fake_low", "ckepe.fake_pkg"] in _cycles("ckepe")
    finally:
        del ALL[-2:]
        KNOWN.difference_update({"ckepe.fake_low", "ckepe.fake_pkg", "ckepe.fake_pkg.leaf"})
    bad = Import("tests.x", "merl_core.train.pretrain", ("_private",), 1)
    assert _private_imports([bad]) == [bad]


def _stage(module: str) -> int | None:
    """A merl_core module's stage (-1: the package's root modules), None outside merl_core."""
    found = [i for i, stage in enumerate(STAGES) if _within(module, stage)]
    return found[0] if found else (-1 if _within(module, "merl_core") else None)


def _against_the_stages(imports: list[Import]) -> list[Import]:
    out = []
    for imp in imports:
        here, there = _stage(imp.module), _stage(imp.target)
        if here is not None and there is not None and there > here:
            out.append(imp)
    return out


def test_merl_core_imports_follow_the_stages() -> None:
    assert _against_the_stages(ALL) == []
    # the check can fail: data reaching into models, a root module into eval
    bad = [Import("merl_core.data.x", "merl_core.models.text", (), 1, top=False),
           Import("merl_core.errors", "merl_core.eval.runner", (), 1)]  # fmt: skip
    assert _against_the_stages(bad) == bad
    assert _against_the_stages([Import("merl_core.eval.x", "merl_core.data.cache", (), 1)]) == []


def test_ckepe_imports_nothing_of_merl_core_nor_torch() -> None:
    ckepe = [i for i in ALL if _within(i.module, "ckepe")]
    assert [i for i in ckepe if _within(i.target, "merl_core")] == []
    # torch only inside a function: the optional transformers engine of the local LLM
    # imports it when it runs, never when ckepe is imported
    assert [i for i in ckepe if _within(i.target, "torch") and i.top] == []


def test_library_never_imports_the_cli_and_uses_only_the_ckepe_contract() -> None:
    library = [i for i in ALL if _within(i.module, "merl_core")
               and not _within(i.module, "merl_core.cli")]  # fmt: skip
    assert library, "the walker found no merl_core module"
    assert [i for i in library if _within(i.target, "merl_core.cli")] == []
    ckepe = [i for i in library if _within(i.target, "ckepe")]
    assert [i for i in ckepe if i.target not in LIBRARY_MAY_USE_CKEPE] == []


def _private_imports(imports: list[Import]) -> list[Import]:
    """``from x import _name`` where x is another module of this repository."""
    return [
        i for i in imports
        if i.target != i.module and i.target.split(".")[0] in (*PACKAGES, *SCRIPTS)
        and any(n.startswith("_") and not n.startswith("__") for n in i.names)
    ]  # fmt: skip


# Known violations waiting for their owner (each must still exist: fixed ones are removed).
PENDING: set[tuple[str, str, str]] = set()


def test_no_module_imports_a_private_name_of_another() -> None:
    # benchmarks/_common is a private module of the benchmarks (the study writes its results
    # through it too); its public names are fine, a _name of theirs is not.
    found = {(i.module, i.target, n) for i in _private_imports(ALL) for n in i.names
             if n.startswith("_")}  # fmt: skip
    assert found - PENDING == set()
    assert PENDING <= found, "a pending violation is fixed: remove it from PENDING"


def private_attributes(source: str, mod: str) -> list[tuple[str, str, str]]:
    """``(mod, other module, name)`` for each ``alias._name`` in ``source`` where ``alias`` is
    another module of this repository that it imported."""
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update({a.asname: a.name for a in node.names if a.asname and a.name in KNOWN})
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names
                            if f"{node.module}.{a.name}" in KNOWN})  # fmt: skip
    return [
        (mod, aliases[n.value.id], n.attr)
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
        and n.value.id in aliases and aliases[n.value.id] != mod
        and n.attr.startswith("_") and not n.attr.startswith("__")
    ]  # fmt: skip


def test_no_module_reaches_a_private_name_through_another_module() -> None:
    found = [f for p in python_files(*PACKAGES, "benchmarks", "studies")
             for f in private_attributes(p.read_text("utf-8"), module_name(p))]  # fmt: skip
    assert found == []
    # the check can fail: the reach-ins eval.compare made into the runner are found
    reach_in = "from merl_core.eval import runner as R\n\nR._split(R._cache_root(1))\n"
    assert sorted(private_attributes(reach_in, "merl_core.eval.compare")) == [
        ("merl_core.eval.compare", "merl_core.eval.runner", "_cache_root"),
        ("merl_core.eval.compare", "merl_core.eval.runner", "_split"),
    ]


@pytest.mark.parametrize("module", ["ckepe.promptfile", "ckepe.fileio", "ckepe.errors"])
def test_the_ckepe_contract_imports_without_torch(module: str) -> None:
    code = f"import sys, {module}; print('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
