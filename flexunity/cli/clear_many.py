"""``flexunity clear DIR --many``: every scenario in a folder cleared as an independent job.

A scenario is a ``*.json`` file in DIR or a sub-folder holding ``scenario.json``. With Ray (engine
"ray", or "auto" when Ray is installed) each one is a Ray task on the cluster that ``--address``
names (default: a local one, shut down afterwards); otherwise they run one after the other. Each
job writes ``OUT/<name>.result.json``; a job that fails (bad file, infeasible community) is
reported in its row and does not stop the others.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flexunity.errors import InputError, UserError


def find_scenarios(folder: Path) -> list[Path]:
    """Scenario files and scenario folders directly inside ``folder``, sorted by name."""
    found = [p for p in folder.iterdir() if p.suffix == ".json" and p.is_file()]
    found += [p for p in folder.iterdir() if p.is_dir() and (p / "scenario.json").is_file()]
    if not found:
        raise InputError("no scenarios here (*.json files or folders with scenario.json)", where=str(folder))
    return sorted(found, key=lambda p: p.name)


def clear_one(path: str, out_dir: str, pricing: str | None, engine: str) -> dict[str, Any]:
    """Load, clear and write one scenario; a summary row (with ``error`` on a user mistake)."""
    from flexunity.data.scenario_io import load_scenario
    from flexunity.optimize import clear

    start = time.perf_counter()
    name = Path(path).stem if Path(path).is_file() else Path(path).name
    row: dict[str, Any] = {"scenario": name, "source": path}
    try:
        sc = load_scenario(path)
        result = clear(sc, pricing or sc.community.pricing, engine=engine)
    except UserError as exc:
        return row | {"error": str(exc), "seconds": time.perf_counter() - start}
    doc = result.to_dict()
    target = Path(out_dir) / f"{name}.result.json"
    target.write_text(json.dumps(doc, indent=1) + "\n")
    return row | {
        "peers": len(sc.peers),
        "objective": result.objective,
        "saving": result.kpis.get("saving"),
        "engine": result.engine,
        "result": str(target),
        "seconds": time.perf_counter() - start,
    }


def clear_folder(
    folder: Path,
    out_dir: Path,
    *,
    pricing: str | None = None,
    engine: str = "auto",
    address: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Clear every scenario of ``folder`` into ``out_dir``; one summary row each, in name order."""
    from flexunity.optimize.engines import ray_available

    paths = find_scenarios(folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda stage, done, total: None)
    use_ray = engine == "ray" or (engine == "auto" and ray_available())
    inner = "highs" if engine in ("auto", "ray") else engine  # one job: one community on one CPU
    jobs = [(str(p), str(out_dir), pricing, inner) for p in paths]
    rows: dict[str, dict[str, Any]] = {}
    report("scenarios", 0, len(jobs))
    for row in _run_on_ray(jobs, address) if use_ray else (clear_one(*job) for job in jobs):
        rows[row["source"]] = row
        report("scenarios", len(rows), len(jobs))
    return [rows[str(p)] for p in paths]


def _run_on_ray(
    jobs: list[tuple[str, str, str | None, str]], address: str | None
) -> Iterator[dict[str, Any]]:
    """Every job as a Ray task; rows as they finish."""
    import ray

    from flexunity.optimize.ray_runtime import ray_session

    with ray_session(address):
        task = ray.remote(num_cpus=1)(clear_one)
        pending = [task.remote(*job) for job in jobs]  # type: ignore[attr-defined]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
