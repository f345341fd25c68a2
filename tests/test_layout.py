"""Test modules need unique basenames: pytest imports them by basename (rootdir-relative, no packages)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def test_test_module_basenames_are_unique() -> None:
    tests = Path(__file__).parent
    names = Counter(p.name for p in tests.rglob("*.py") if p.name not in {"conftest.py", "__init__.py"})
    assert [name for name, count in names.items() if count > 1] == []
