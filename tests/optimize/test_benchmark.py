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


def test_a_mix_benchmarks_the_realistic_generator_and_counts_flexible_peers() -> None:
    none = run_clearing_benchmark(peers=30, intervals=48, seed=2, mix=_mix(0.0))
    every = run_clearing_benchmark(peers=30, intervals=48, seed=2, mix=_mix(1.0))
    assert none["flexible_peers"] == 0  # PV is paid for export: no peer needs variables
    assert every["flexible_peers"] == 30
    assert none["variables"] < every["variables"]
    per_peer = run_clearing_benchmark(peers=30, intervals=48, seed=2, mix=_mix(1.0), formulation="per-peer")
    assert abs(per_peer["objective"] - every["objective"]) < 1e-6 * max(1.0, abs(every["objective"]))


def test_bench_clearing_rejects_a_bad_mix_without_a_traceback() -> None:
    from click.testing import CliRunner

    from flexunity.cli import cli

    out = CliRunner().invoke(cli, ["bench", "clearing", "--peers", "4", "--mix", "solar=0.5"])
    assert out.exit_code == 2 and "bad mix item 'solar=0.5'" in out.output
    assert "Traceback" not in out.output


def _mix(share: float) -> dict[str, float]:
    return {
        "business": 0.0,
        "pv": 1.0,
        "battery": share,
        "ev": share,
        "curtailable": share,
        "shiftable": share,
    }
