"""Fixtures of the fault-injection tier (marker ``faults``): one anvil community per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fault_world import FaultWorld, make_fault_world

from flexunity.chain.devnet import start_anvil
from flexunity.demo.prepare import private_chain_id


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultWorld]:
    node = start_anvil(chain_id=private_chain_id())
    try:
        built = make_fault_world(node, tmp_path_factory.mktemp("faults"))
        try:
            yield built
        finally:
            built.stop_watchers()
            built.proxy.close()
    finally:
        node.stop()
