"""Fixtures of the audit tests: one small community on eth-tester per module, and its clean round."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from audit_world import World, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield make_world(tmp_path_factory.mktemp("audit-world"))


@pytest.fixture(scope="module")
def clean_round(world: World) -> tuple[int, dict[str, Any]]:
    """A round cleared, posted and settled by the honest oracle."""
    return world.run_round()


@pytest.fixture
def store_copy(world: World, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(world.store, tmp_path / "store"))
