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

import contextlib
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import Wei

from flexunity.chain.deployment import deploy, use_local_signer
from flexunity.chain.manifest import Manifest
from flexunity.chain.rpc import Sender, send_from_many
from flexunity.demo.community import (
    ETHER,
    Gas,
    PeerWallet,
    RoleKeys,
    deposit_for,
    key_for,
    setup_peers,
    sign_orders,
)
from flexunity.errors import InputError
from flexunity.oracle.chainio import OracleChain
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateDB, Step
from flexunity.record.orders import round_config
from flexunity.record.store import FolderStore

Reporter = Callable[[str], None]
GATE_SECONDS = 3600  # orders are open for an hour of devnet time
DEFAULT_DAY = "2026-06-15"  # a June weekday: PV surplus, so the community trades (any --date works)


@dataclass
class DemoOptions:
    pilot: str | None = "corby"
    peers: int | None = None  # a generated community of this size instead of a pilot
    intervals: int = 48
    rounds: int = 1
    day: str | None = None
    out: Path = Path("demo-out")
    network: str = "anvil"
    seed: int = 0
    challenge_window: int = 600
    settle_batch: int = 100
    relay_batch: int = 50
    audit: bool = True
    plot: bool = True
    withdraw: bool = True
    revenue: bool = True  # step 7: balancing-market revenue, shared and paid out on chain
    revenue_rule: str = "pro-rata"
    revenue_product: str | None = None  # None: the first preset in the round's currency that fits
    keep_devnet: bool = False  # leave anvil running afterwards (its pid in DemoResult.devnet_pid)


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


class Timer:
    def __init__(self, wall: dict[str, float], report: Reporter) -> None:
        self.wall, self.report = wall, report

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.wall[name] = self.wall.get(name, 0.0) + elapsed
        self.report(f"[done] {name} ({elapsed:.2f} s)")


def build_scenario(options: DemoOptions, day: str) -> dict[str, Any]:
    from flexunity.data.scenario_io import scenario_from_dict, scenario_to_dict

    if options.peers is not None:
        from flexunity.data.generator import generate_community

        raw = generate_community(options.peers, options.intervals, seed=options.seed, start=day)
    else:
        from flexunity.data.pilots.registry import build_pilot

        raw = build_pilot(options.pilot or "corby", day, seed=options.seed)
    return scenario_to_dict(scenario_from_dict(raw))


# --- devnet control ----------------------------------------------------------------------------


@contextlib.contextmanager
def devnet(network: str, kept: list[int] | None = None) -> Iterator[tuple[Web3, str | None]]:
    """The demo's chain; with ``kept`` (a list), anvil is left running afterwards and its pid appended."""
    if network == "anvil" and kept is not None:
        from flexunity.chain.devnet import start_anvil

        node = start_anvil(chain_id=private_chain_id(), gas_limit=100_000_000)
        kept.append(node.process.pid)
        yield node.web3(timeout=120), node.rpc_url
    elif network == "anvil":
        from flexunity.chain.devnet import anvil

        with anvil(chain_id=private_chain_id(), gas_limit=100_000_000) as node:
            yield node.web3(timeout=120), node.rpc_url
    elif network == "eth-tester":
        from flexunity.chain.devnet import eth_tester_web3

        yield eth_tester_web3(), None
    else:
        raise InputError(f"unknown devnet {network!r}: anvil or eth-tester")


def private_chain_id() -> int:
    """A chain id of its own for each devnet run.

    Two processes that pick the same free port at the same moment could otherwise both talk to one
    anvil (each checks only that the node answers with the chain id it expects) and mix their nonces.
    """
    return 31_337_000 + secrets.randbelow(1_000_000)


def advance_time(w3: Web3, seconds: int) -> int:
    """Move a devnet's clock forward by ``seconds`` and mine a block; return the new block time."""
    if hasattr(w3.provider, "endpoint_uri"):
        w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    else:
        now = int(w3.eth.get_block("latest")["timestamp"])
        w3.provider.make_request("testing_timeTravel", [now + seconds])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return int(w3.eth.get_block("latest")["timestamp"])


def fund_roles(w3: Web3, roles: RoleKeys) -> None:
    """The node's first (unlocked) account pays ether to the locally generated role keys."""
    rich = w3.eth.accounts[0]
    for account in roles.all():
        amount = 5000 * ETHER if account is roles.admin else 100 * ETHER  # the admin funds the peers
        tx = w3.eth.send_transaction({"from": rich, "to": account.address, "value": Wei(amount)})
        w3.eth.wait_for_transaction_receipt(tx)


# --- the demo ---------------------------------------------------------------------------------


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


@dataclass
class Community:
    """A deployed devnet community: the CM's chain adapter, the peers' wallets and the role keys."""

    chain: OracleChain
    roles: RoleKeys
    wallets: list[PeerWallet]
    manifest: Manifest
    manifest_path: Path
    store: FolderStore


def prepare(
    w3: Web3,
    rpc_url: str | None,
    options: DemoOptions,
    scenario: dict[str, Any],
    timer: Timer,
    gas: Gas,
    report: Reporter,
    roles: RoleKeys | None = None,
) -> Community:
    """Deploy, then create, fund, enrol and deposit for one wallet per peer.

    ``roles``: the role keys (one account may hold several roles); default: one key per role from the seed.
    """
    seed = f"flexunity-demo/{scenario['name']}/{options.seed}"
    roles = roles or RoleKeys.generate(seed)
    with timer.step("deploy"):
        fund_roles(w3, roles)
        use_local_signer(w3, roles.admin)
        manifest, _ = deploy(
            w3,
            roles.role_accounts(),
            network=options.network,
            rpc_url=rpc_url,
            challenge_window=options.challenge_window,
        )
        manifest_path = manifest.save(options.out / "manifest.json")
    store = FolderStore(options.out / "store")
    chain = OracleChain.from_manifest(w3, manifest, roles.cm, store=store)
    chain.settle_batch_size, chain.relay_batch_size = options.settle_batch, options.relay_batch
    decimals = chain.token_decimals()
    wallets = [
        PeerWallet(
            p["id"], key_for(f"{seed}/peer/{p['id']}"), p, deposit_for(p, scenario, decimals, options.rounds)
        )
        for p in scenario["peers"]
    ]
    with timer.step("wallets, deposits, enrolment"):
        admin = Sender(w3, roles.admin, chain.decoder)
        float_money = 10**decimals * 10_000
        extra = [(roles.cm, float_money)]
        if roles.supplier.address != roles.cm.address:
            extra.append((roles.supplier, float_money))
        setup_peers(chain, admin, wallets, scenario, gas, extra_accounts=extra, report=report)
    return Community(chain, roles, wallets, manifest, manifest_path, store)


def open_round_with_orders(community: Community, scenario: dict[str, Any], timer: Timer) -> tuple[int, int]:
    """Publish the config, open the next round, relay every peer's signed order; (round id, gate)."""
    chain = community.chain
    with timer.step("open round"):
        gate = chain.now() + GATE_SECONDS
        next_round = len(chain.open_rounds()) + 1
        config = round_config(
            scenario, next_round, token_decimals=chain.token_decimals(), token_symbol=chain.token_symbol()
        )
        config_hash = community.store.put_json(config)
        seconds = int(scenario["interval_minutes"]) * 60
        round_id = chain.open_round(gate, gate, seconds, int(scenario["intervals"]), config_hash)
    with timer.step("orders"):
        chain.relay(sign_orders(chain, community.wallets, scenario, round_id, gate))
    return round_id, gate


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
    escrow = chain.clients.escrow.contract.functions
    amounts = [(a, int(escrow.withdrawable(a.address).call())) for a in accounts]
    calls = [(a, escrow.withdraw(amount, a.address), "withdraw") for a, amount in amounts if amount > 0]
    if not calls:
        return 0
    first = calls[0]
    limit = int(first[1].estimate_gas({"from": first[0].address}) * 1.3) + 20_000
    gas.add("withdrawals", send_from_many(chain.w3, calls, gas=limit, decoder=chain.decoder))
    return sum(amount for _, amount in amounts)


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
