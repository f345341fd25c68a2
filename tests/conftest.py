"""Fixtures shared by every test tier.

Tiers (markers, see pyproject.toml): unmarked tests are pure Python; ``chain`` tests run on the
in-process eth-tester chain; ``devnet`` tests run against anvil started on a free loopback port and
always stopped in teardown, whatever the test did; ``slow`` tests are left out of ``make test-quick``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings
from web3 import Web3

from flexunity.chain.devnet import Anvil, eth_tester_web3, start_anvil

# In CI (.ci/run sets CI) every property test draws the same examples each run (Hypothesis's
# derandomize): a red CI is a reproducible failure, never a lucky draw; locally each run explores
# new examples. Counter-examples found locally become explicit @example cases or strict xfails.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def eth_tester_w3() -> Web3:
    """A web3 on a fresh in-process py-evm chain with ten funded, unlocked accounts."""
    return eth_tester_web3()


@pytest.fixture(scope="module")
def anvil_node() -> Iterator[Anvil]:
    """An anvil devnet on a free loopback port, shared by one test module and always stopped."""
    node = start_anvil()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def anvil_w3(anvil_node: Anvil) -> Web3:
    return anvil_node.web3()


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[object]:
    """A two-node Ray cluster on this machine (``ray.cluster_utils.Cluster``, one CPU per node),
    joined by this test process for one test module (about 15 s to start); shut down after it, so
    no other module finds Ray initialised (engines.choose_engine would then pick dw-ray)."""
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    nodes.add_node(num_cpus=1)
    ray.init(address=nodes.address, log_to_driver=False)
    try:
        yield nodes
    finally:
        ray.shutdown()
        nodes.shutdown()
