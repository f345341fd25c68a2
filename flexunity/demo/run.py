"""``flexunity demo``: whole community rounds on a local devnet, from deployment to withdrawals.

Steps (each timed, its gas counted): start a devnet; deploy; create one wallet per peer (keys from a
seed), fund, mint test tokens, approve and deposit, enrol; then per round: publish the round config
and open the round, peers sign their orders and the CM relays them in batches, gate closure (the
devnet's clock is moved forward), the oracle clears, stores the result document, posts it, the
challenge window is passed (clock moved again), the oracle settles in batches; then (step 7) the CM
offers the round's flexibility to a balancing product, the activation is simulated, the revenue is
shared by the declared rule and deposited into the RevenueDistributor, and the peers claim it
(flexunity/oracle/revenue.py; ``revenue=False`` skips it); finally the peers withdraw, the summary is
printed and the audit runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flexunity.chain.accounts import LocalAccount
from flexunity.chain.contracts.crowd import withdraw_each
from flexunity.chain.node import Web3, advance_time
from flexunity.demo.community import Gas, PeerWallet
from flexunity.demo.options import DEFAULT_DAY, DemoOptions, Reporter, Timer, build_scenario
from flexunity.demo.prepare import Community, devnet, open_round_with_orders, prepare
from flexunity.errors import InputError
from flexunity.oracle.chainio import OracleChain
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateDB, Step


@dataclass
class RoundOutcome:
    round_id: int
    result_hash: str
    document: Path
    timings: dict[str, float]
    gate_to_settled_s: float
    state: dict[str, Any]


@dataclass
class DemoResult:
    options: DemoOptions
    chain_id: int
    rpc_url: str | None
    manifest_path: Path
    store: Path
    peers: list[PeerWallet]
    wall: dict[str, float] = field(default_factory=dict)
    gas: Gas = field(default_factory=Gas)
    rounds: list[RoundOutcome] = field(default_factory=list)
    scenario: dict[str, Any] = field(default_factory=dict)
    withdrawn: int = 0
    audit: list[Any] | None = None
    audit_note: str = ""
    plot: Path | None = None
    notes: list[str] = field(default_factory=list)
    revenue: list[Any] = field(default_factory=list)  # DistributionOutcome per round
    devnet_pid: int | None = None  # anvil left running (keep_devnet)


def run_demo(options: DemoOptions, report: Reporter = print) -> DemoResult:
    """Run the whole pipeline; return every figure the summary prints."""
    options.out.mkdir(parents=True, exist_ok=True)
    day = options.day or DEFAULT_DAY
    wall: dict[str, float] = {}
    timer = Timer(wall, report)
    with timer.step("scenario"):
        scenario = build_scenario(options, day)
    started = time.perf_counter()
    kept: list[int] | None = [] if options.keep_devnet else None
    with devnet(options.network, kept) as (w3, rpc_url):
        wall["devnet"] = time.perf_counter() - started
        result = _run_on(w3, rpc_url, options, scenario, timer, report)
    result.devnet_pid = kept[0] if kept else None
    return result


def _run_on(
    w3: Web3,
    rpc_url: str | None,
    options: DemoOptions,
    scenario: dict[str, Any],
    timer: Timer,
    report: Reporter,
) -> DemoResult:
    gas = Gas()
    community = prepare(w3, rpc_url, options, scenario, timer, gas, report)
    chain, roles = community.chain, community.roles
    result = DemoResult(
        options,
        community.manifest.chain_id,
        rpc_url,
        community.manifest_path,
        community.store.folder,
        community.wallets,
        wall=timer.wall,
        gas=gas,
        scenario=scenario,
    )
    state_file = options.out / "oracle-state.sqlite"
    for stale in (
        state_file,
        state_file.with_name(state_file.name + "-wal"),
        state_file.with_name(state_file.name + "-shm"),
    ):
        stale.unlink(missing_ok=True)  # a fresh devnet: the previous run's state belongs to a chain now gone
    runner = RoundRunner(chain, community.store, StateDB(state_file), report=report)
    first_day = date.fromisoformat(options.day or DEFAULT_DAY)
    for k in range(options.rounds):
        if k:  # round k clears the next day's forecasts
            with timer.step("scenario"):
                scenario = build_scenario(options, str(first_day + timedelta(days=k)))
        result.rounds.append(_one_round(community, runner, scenario, options, timer, result, report))
        if options.revenue:
            result.revenue.append(_revenue(community, result.rounds[-1], options, timer, report, runner.db))
    if options.withdraw:
        with timer.step("withdrawals"):
            accounts = [w.account for w in community.wallets] + [roles.cm]
            accounts += [roles.supplier] if roles.supplier.address != roles.cm.address else []
            result.withdrawn = _withdraw_all(chain, accounts, result.gas)
    for step, used in chain.gas.items():
        result.gas.by_step[step] = result.gas.by_step.get(step, 0) + used
        result.gas.txs[step] = result.gas.txs.get(step, 0) + chain.txs[step]
    if options.plot:
        result.plot = _plot(result, options.out)
    if options.audit:
        with timer.step("audit"):
            result.audit, result.audit_note = _audit(
                community.manifest_path, community.store.folder, chain.w3
            )
    return result


def _one_round(
    community: Community,
    runner: RoundRunner,
    scenario: dict[str, Any],
    options: DemoOptions,
    timer: Timer,
    result: DemoResult,
    report: Reporter,
) -> RoundOutcome:
    w3 = community.chain.w3
    round_id, gate = open_round_with_orders(community, scenario, timer)
    with timer.step("gate closure (devnet clock)"):
        advance_time(w3, gate - community.chain.now() + 1)
    started = time.perf_counter()
    with timer.step("oracle: verify, clear, store, post"):
        state = runner.run(round_id, wait=False)
    window_s = 0.0
    if state.step is not Step.DONE:
        before = result.wall.get("challenge window (devnet clock)", 0.0)
        with timer.step("challenge window (devnet clock)"):
            advance_time(w3, options.challenge_window + 1)
        window_s = result.wall["challenge window (devnet clock)"] - before
    with timer.step("oracle: settle"):
        state = runner.run(round_id, wait=False)
    if state.step is not Step.DONE:
        raise InputError(f"round {round_id} stopped at {state.step.value}")
    elapsed = time.perf_counter() - started - window_s
    report(f"round {round_id}: gate closure to settled in {elapsed:.2f} s (challenge window excluded)")
    return RoundOutcome(
        round_id,
        state.data["result_hash"],
        runner.store.path(state.data["result_hash"]),
        state.data.get("timings", {}),
        elapsed,
        state.data,
    )


def _revenue(
    community: Community,
    outcome: RoundOutcome,
    options: DemoOptions,
    timer: Timer,
    report: Reporter,
    db: StateDB,
) -> Any:
    """Step 7: offer, simulated activation (seeded), delivery, sharing, deposit with a root, claims."""
    from flexunity.oracle.revenue import STEP_CLAIMS, STEP_DEPOSIT, RevenuePlan, distribute_revenue

    with timer.step(STEP_DEPOSIT):
        done = distribute_revenue(
            community.chain,
            community.store,
            round_id=outcome.round_id,
            result_hash=outcome.result_hash,
            plan=RevenuePlan(
                product=options.revenue_product,
                rule=options.revenue_rule,
                seed=options.seed + outcome.round_id,
            ),
            claimers=[w.account for w in community.wallets],
            db=db,  # persisted and resumable like the round's steps: at most one distribution per round
            report=report,
        )
    timer.wall[STEP_CLAIMS] = timer.wall.get(STEP_CLAIMS, 0.0) + done.seconds.get("claims", 0.0)
    timer.wall[STEP_DEPOSIT] -= done.seconds.get("claims", 0.0)
    return done


def _withdraw_all(chain: OracleChain, accounts: list[LocalAccount], gas: Gas) -> int:
    mined, withdrawn = withdraw_each(chain.clients, accounts, chain.decoder)
    gas.add("withdrawals", mined)
    return withdrawn


def _plot(result: DemoResult, out: Path) -> Path | None:
    try:
        from flexunity.report import plots
    except ImportError:
        result.notes.append("no plot: flexunity.report.plots is not available")
        return None
    plot_day = getattr(plots, "plot_day", None)
    if plot_day is None or not result.rounds:
        result.notes.append("no plot: flexunity.report.plots has no plot_day yet")
        return None
    import json

    document = json.loads(result.rounds[-1].document.read_text())
    try:
        return Path(plot_day(document["scenario"], document["clearing"], out / "round-day.png"))
    except Exception as exc:  # a plot must never sink the demo: say why it is missing
        result.notes.append(f"no plot: {type(exc).__name__}: {exc}")
        return None


def _audit(manifest_path: Path, store: Path, w3: Web3) -> tuple[list[Any] | None, str]:
    try:
        from flexunity.audit import audit_rounds
    except ImportError:
        return None, "flexunity.audit is not available: audit skipped"
    try:
        return list(audit_rounds(manifest_path, store, rounds=None, w3=w3)), ""
    except Exception as exc:  # the audit room's failure must be shown, not end the demo's summary
        return None, f"the audit raised {type(exc).__name__}: {exc}"
