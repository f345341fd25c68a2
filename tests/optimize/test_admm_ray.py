"""ADMM shards and standalone bills on a two-node Ray cluster (``ray.cluster_utils.Cluster``).

Small on purpose (CI: a 2-core machine): one community of 12 peers × 24 intervals; the cluster is
shut down after the module. Speed is measured by ``flexunity bench clearing --engine ray``.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from flexunity.optimize import check_feasible, clear, solve_dispatch
from flexunity.optimize.admm import solve_admm
from flexunity.optimize.benchmark import generated_community

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # starts a Ray cluster (about 15 s): not in make test-quick


@pytest.fixture(scope="module")
def cluster(ray_cluster: Any) -> Any:
    return ray_cluster


@pytest.fixture(scope="module")
def community() -> Any:
    warnings.filterwarnings("ignore", category=UserWarning)
    return generated_community(12, 24, {"battery": 0.5, "ev": 0.3})


def test_shards_as_actors_on_two_nodes_give_the_in_process_answer(cluster: Any, community: Any) -> None:
    assert len(ray.nodes()) == 2
    local, r_local = solve_admm(community, workers=2, engine="local")
    remote, r_remote = solve_admm(community, workers=2, engine="ray")
    assert r_remote.engine == "ray" and r_remote.shards == 2
    assert r_remote.iterations == r_local.iterations
    assert remote.objective == pytest.approx(local.objective, rel=1e-9)
    assert check_feasible(community, remote.to_dict()) == []
    assert remote.x == pytest.approx(local.x, abs=1e-9)
    assert remote.objective >= solve_dispatch(community).objective - 1e-7


def test_clear_on_ray_distributes_standalone_bills(cluster: Any, community: Any) -> None:
    seen: list[tuple[str, int, int]] = []
    result = clear(community, engine="ray", workers=2, progress=lambda *a: seen.append(a))
    assert result.engine == "ray"
    reference = clear(community)
    for pid, bill in reference.standalone_bills.items():
        assert bill is not None and result.standalone_bills[pid] is not None
        assert result.standalone_bills[pid].total == pytest.approx(bill.total, abs=1e-9)  # type: ignore[union-attr]
    assert ("standalone bills", 12, 12) in seen
    assert any(stage == "ADMM passes" for stage, _, _ in seen)


def test_many_communities_run_as_ray_tasks(cluster: Any, tmp_path: Any) -> None:
    import shutil
    from pathlib import Path

    from flexunity.cli.clear_many import clear_folder

    golden = Path(__file__).parent / "golden"
    for name in ("pv_consumer.json", "battery_arbitrage.json"):
        shutil.copy(golden / name, tmp_path / name)
    seen: list[int] = []
    rows = clear_folder(
        tmp_path, tmp_path / "out", engine="ray", progress=lambda s, done, n: seen.append(done)
    )
    assert [r["scenario"] for r in rows] == ["battery_arbitrage", "pv_consumer"]
    assert all("error" not in r and Path(r["result"]).is_file() for r in rows)
    assert seen == [0, 1, 2]
    assert ray.is_initialized()  # the module's cluster was joined, not shut down


def test_dantzig_wolfe_shards_as_actors_give_the_exact_optimum(cluster: Any, community: Any) -> None:
    from flexunity.optimize.dantzig_wolfe import GAP, solve_dantzig_wolfe

    local, r_local = solve_dantzig_wolfe(community, shards=2, engine="local")
    remote, r_remote = solve_dantzig_wolfe(community, shards=2, engine="ray")
    assert r_remote.engine == "ray" and r_remote.shards == 2 and r_remote.converged
    assert r_remote.iterations == r_local.iterations and r_remote.certified_gap <= GAP
    assert remote.objective == pytest.approx(solve_dispatch(community).objective, rel=1e-9)
    assert check_feasible(community, remote.to_dict()) == []
    assert remote.x == pytest.approx(local.x, abs=1e-9)
