"""The rooms' import rules (docs/architecture.md), checked on the source, function-level imports included.

- imports point one way: a room imports only rooms of a lower tier (or its own tier's, without a
  cycle between rooms): model <- data, optimize, markets, allocation, chain <- record <- oracle,
  audit <- demo, web <- cli;
- the audit imports nothing from the oracle (it re-derives what it checks with its own code);
- only flexunity/chain imports web3, eth_*, solcx or ape.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "flexunity"
TIER = {
    "errors": 0, "model": 0, "units": 0,
    "data": 1, "optimize": 1, "markets": 1, "allocation": 1, "chain": 1, "report": 1,
    "record": 2, "lab": 2,
    "oracle": 3, "audit": 3,
    "demo": 4, "web": 4,
    "cli": 5, "__main__": 6, "__init__": 0,
}  # fmt: skip
CHAIN_LIBRARIES = ("web3", "eth_", "solcx", "ape")
# Modules outside chain/ that still import a chain library directly (issue 12 paid the last of them).
CHAIN_LIBRARY_DEBT: set[str] = set()


def imports() -> dict[str, list[str]]:
    """Every module's imported module names, by path relative to the package."""
    out: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        names: list[str] = []
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.append(node.module)
        out[path.relative_to(PACKAGE).as_posix()] = names
    return out


def room(relative: str) -> str:
    return relative.split("/")[0].removesuffix(".py")


def flexunity_room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "flexunity" and len(parts) > 1 else None


def test_every_room_has_a_tier() -> None:
    assert {room(path) for path in imports()} <= set(TIER)


def test_no_room_imports_a_higher_one() -> None:
    wrong = [
        f"{path} imports {name}"
        for path, names in imports().items()
        for name in names
        if (target := flexunity_room(name)) and TIER.get(target, 99) > TIER[room(path)]
    ]
    assert wrong == []


def test_the_audit_imports_nothing_from_the_oracle() -> None:
    wrong = [
        f"{path} imports {name}"
        for path, names in imports().items()
        if room(path) == "audit"
        for name in names
        if flexunity_room(name) == "oracle"
    ]
    assert wrong == []


def test_rooms_of_one_tier_form_no_cycle() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for path, names in imports().items():
        for name in names:
            target = flexunity_room(name)
            if target and target != room(path):
                edges[room(path)].add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in edges[start])

    assert sorted(r for r in list(edges) if reaches(r, r, set())) == []


def test_only_chain_imports_chain_libraries() -> None:
    users = {
        path
        for path, names in imports().items()
        if room(path) != "chain"
        and any(name.split(".")[0] in CHAIN_LIBRARIES or name.startswith("eth_") for name in names)
    }
    assert users - CHAIN_LIBRARY_DEBT == set(), "a new module outside chain/ imports web3 or eth_*"
    assert CHAIN_LIBRARY_DEBT - users == set(), "a debt was paid: remove it from CHAIN_LIBRARY_DEBT"


def test_every_module_imports_first_without_a_cycle() -> None:
    """Each module imported first, alone, in a fresh interpreter's view of the package: a cycle
    between modules (even through an import inside a function run at import time) fails here."""
    import subprocess
    import sys

    modules = sorted(
        ".".join(("flexunity", *path.with_suffix("").relative_to(PACKAGE).parts)).removesuffix(".__init__")
        for path in PACKAGE.rglob("*.py")
        if path.name != "__main__.py"  # runs the CLI
    )
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        f"for name in {modules!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'flexunity' or m.startswith('flexunity.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError as exc:\n"
        "        failed.append(f'{name}: {exc}')\n"
        "print('\\n'.join(failed))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
