"""The clearing benchmark reports its figures (printed by `flexunity bench clearing`, never asserted)."""

from __future__ import annotations

from flexunity.optimize.benchmark import random_community, run_clearing_benchmark


def test_benchmark_reports_size_times_and_memory() -> None:
    out = run_clearing_benchmark(peers=4, intervals=8, seed=1)
    assert {"build_s", "solve_s", "recover_s", "variables", "constraints", "peak_mem_mb"} <= set(out)
    ref = run_clearing_benchmark(peers=4, intervals=8, seed=1, formulation="per-peer")
    assert ref["variables"] > 4 * 8 * 4 and ref["constraints"] >= 4 * 8
    assert 0 < out["variables"] < ref["variables"]  # the aggregated LP is smaller, same optimum
    assert abs(out["objective"] - ref["objective"]) < 1e-6


def test_random_community_is_reproducible_from_its_seed() -> None:
    a, b = random_community(5, 12, seed=3), random_community(5, 12, seed=3)
    assert [p.load_kw.tolist() for p in a.peers] == [p.load_kw.tolist() for p in b.peers]
