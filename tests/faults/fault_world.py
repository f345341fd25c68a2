"""The fault-injection tier's world: a community on anvil, the real oracle process, a cuttable link.

``FaultWorld`` deploys the audit's small community (tests/audit/audit_world.py: 4 peers, 4 hourly
intervals from 16:00, a balancing product sized for it) on an anvil devnet, and runs the oracle as
the user does: ``python -m flexunity oracle run|revenue`` in a subprocess, through ``NodeProxy`` (a
TCP relay between the oracle and anvil that a test can cut and restore). Checks read the chain and
run the audit; they never read the oracle's log.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit_world import RAW_SCENARIO, TINY_DOWN, WINDOW
from eth_account.signers.local import LocalAccount

from flexunity.audit import audit_rounds
from flexunity.chain.devnet import Anvil
from flexunity.chain.fanout import send_from_many
from flexunity.chain.node import advance_time
from flexunity.chain.rpc import Sender
from flexunity.data.scenario_io import scenario_from_dict, scenario_to_dict
from flexunity.demo.community import Gas
from flexunity.demo.options import DemoOptions, Timer
from flexunity.demo.prepare import Community, open_round_with_orders, prepare
from flexunity.oracle.revenue import leaves_of
from flexunity.oracle.state import StateDB, Step

FLEXUNITY = [sys.executable, "-m", "flexunity"]


class NodeProxy:
    """A TCP relay on a free loopback port to ``upstream``; ``cut`` drops every connection and refuses
    new ones (connection refused, as a dead node), ``restore`` listens again on the same port."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self.restore()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restore(self) -> None:
        if self._server is not None:
            return
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._server is not None:
                with contextlib.suppress(OSError):
                    self._server.shutdown(socket.SHUT_RDWR)
                self._server.close()
                self._server = None
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns = []

    close = cut

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


@dataclass
class FaultWorld:
    node: Anvil
    community: Community
    out: Path
    scenario: dict[str, Any]
    proxy: NodeProxy
    products: Path
    watchers: list[subprocess.Popen[str]] = field(default_factory=list)

    def stop_watchers(self) -> None:
        """Kill every watch-mode oracle this world started and that still runs (test teardown)."""
        for process in self.watchers:
            if process.poll() is None:
                process.kill()
                process.wait(20)

    @property
    def w3(self) -> Any:
        return self.community.chain.w3

    @property
    def chain(self) -> Any:
        return self.community.chain

    # --- rounds -----------------------------------------------------------------------------------

    def open_round(self, *, close_gate: bool = True) -> int:
        round_id, gate = open_round_with_orders(self.community, self.scenario, Timer({}, lambda _: None))
        if close_gate:
            advance_time(self.w3, gate - self.chain.now() + 1)
        return round_id

    def pass_window(self) -> None:
        advance_time(self.w3, WINDOW + 1)

    # --- the oracle process -------------------------------------------------------------------------

    def command(
        self, verb: str, state: Path, round_id: int, *extra: str, rpc: str | None = None
    ) -> list[str]:
        manifest = self.community.manifest_path
        base = [*FLEXUNITY, "oracle", verb, "--manifest", str(manifest), "--private-key-env", "CM_KEY"]
        base += ["--rpc", rpc or self.proxy.url, "--store", str(self.community.store.folder)]
        base += ["--state", str(state), "--round", str(round_id), *extra]
        return base

    def env(self, crash: str | None = None, lock_dir: Path | None = None) -> dict[str, str]:
        env = {**os.environ, "CM_KEY": self.community.roles.cm.key.hex()}
        env.pop("FLEXUNITY_ORACLE_CRASH_AT", None)
        if crash:
            env["FLEXUNITY_ORACLE_CRASH_AT"] = crash
        env["FLEXUNITY_LOCK_DIR"] = str(lock_dir or self.out / "locks")
        return env

    def run(
        self, state: Path, round_id: int, *, crash: str | None = None, lock_dir: Path | None = None,
        timeout: float = 240,
    ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        """``oracle run --once`` for one round (settlement in batches of 2 leaves)."""
        command = self.command("run", state, round_id, "--once", "--batch-size", "2")
        return subprocess.run(
            command, env=self.env(crash, lock_dir), capture_output=True, text=True, timeout=timeout
        )

    def watch(
        self, state: Path, round_id: int, log: Path, lock_dir: Path | None = None
    ) -> subprocess.Popen[str]:
        """``oracle run`` in watch mode (poll 0.5 s); its output goes to ``log``."""
        command = self.command("run", state, round_id, "--poll", "0.5", "--batch-size", "2")
        handle = log.open("w")
        process = subprocess.Popen(
            command, env=self.env(None, lock_dir), stdout=handle, stderr=subprocess.STDOUT, text=True
        )
        self.watchers.append(process)
        return process

    def revenue(
        self, state: Path, round_id: int, *, crash: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = self.command(
            "revenue", state, round_id, "--products", str(self.products), "--product", "TINY-DOWN",
            "--seed", "1",
        )  # fmt: skip
        return subprocess.run(command, env=self.env(crash), capture_output=True, text=True, timeout=240)

    # --- what the chain says ------------------------------------------------------------------------

    def events(self, contract: str, event: str, **filters: Any) -> list[Any]:
        client = getattr(self.chain.clients, contract).contract
        return list(getattr(client.events, event)().get_logs(from_block=0, argument_filters=filters or None))

    def posts(self, round_id: int) -> int:
        return len(self.events("clearing", "ResultPosted", roundId=round_id))

    def applied_once(self, round_id: int) -> bool:
        """Every leaf of the round's final result applied exactly once, and the round settled once."""
        applied = Counter(
            e["args"]["index"] for e in self.events("escrow", "SettlementApplied", roundId=round_id)
        )
        count = self.chain.result_state(round_id).leaf_count
        settled = self.events("escrow", "RoundSettled", roundId=round_id)
        return sorted(applied) == list(range(count)) and set(applied.values()) == {1} and len(settled) == 1

    def distributions(self, round_id: int) -> list[int]:
        out = []
        for log in self.events("revenue", "DistributionCreated"):
            document = self.community.store.get_json("0x" + bytes(log["args"]["documentHash"]).hex())
            if document.get("round") == round_id:
                out.append(int(log["args"]["distributionId"]))
        return out

    def claim_all(self, distribution_id: int) -> None:
        """Each peer claims its share of the distribution (once: a claimed share is skipped)."""
        from flexunity.chain.settlement import revenue_tree

        revenue = self.chain.clients.revenue
        document = next(
            self.community.store.get_json("0x" + bytes(log["args"]["documentHash"]).hex())
            for log in self.events("revenue", "DistributionCreated", distributionId=distribution_id)
        )
        leaves = leaves_of(document)
        tree = revenue_tree(leaves)
        keys = {w.address.lower(): w.account for w in self.community.wallets}
        calls = [
            (
                keys[leaf.account.lower()],
                revenue.contract.functions.claim(leaf.as_tuple(), list(tree.proof(leaf.index))),
                "claim",
            )
            for leaf in leaves
            if not revenue.is_claimed(distribution_id, leaf.index)
        ]
        send_from_many(self.w3, calls, gas=300_000)

    def audit(self, round_id: int) -> str:
        (verdict,) = audit_rounds(
            self.community.manifest_path, self.community.store.folder, [round_id], w3=self.w3
        )
        failures = [f"{c.name}: {c.detail}" for c in verdict.checks if not c.passed]
        return verdict.status + (f" {failures}" if failures else "")

    def step(self, state: Path, round_id: int) -> Step | None:
        saved = StateDB(state).get(round_id)
        return saved.step if saved else None

    # --- disputes -----------------------------------------------------------------------------------

    def dispute(self, round_id: int) -> None:
        """The first peer disputes the round's result, bond minted and approved."""
        disputer: LocalAccount = self.community.wallets[0].account
        clearing = self.chain.clients.clearing
        token = self.chain.clients.token.contract.functions
        bond = clearing.dispute_bond()
        self.chain.sender.transact(token.mint(disputer.address, bond), "mint the bond")
        peer = Sender(self.w3, disputer)
        peer.transact(token.approve(clearing.address, bond), "approve the bond")
        state = self.chain.result_state(round_id).as_tuple()
        peer.transact(clearing.contract.functions.dispute(round_id, state, b"\x01" * 32), "dispute")

    def rule(self, round_id: int, uphold: bool) -> None:
        clearing = self.chain.clients.clearing
        state = self.chain.result_state(round_id).as_tuple()
        arbiter = Sender(self.w3, self.community.roles.arbiter)
        arbiter.transact(clearing.contract.functions.resolveDispute(round_id, state, uphold), "rule")


def make_fault_world(node: Anvil, out: Path) -> FaultWorld:
    scenario = scenario_to_dict(scenario_from_dict(RAW_SCENARIO))
    options = DemoOptions(
        pilot=None, network="anvil", out=out, challenge_window=WINDOW, audit=False, plot=False, withdraw=False
    )
    community = prepare(
        node.web3(), node.rpc_url, options, scenario, Timer({}, lambda _: None), Gas(), lambda _: None
    )
    products = out / "products.json"
    products.write_text(json.dumps({"products": [TINY_DOWN.to_dict()]}))
    host, port = node.rpc_url.removeprefix("http://").split(":")
    proxy = NodeProxy((host, int(port)))
    return FaultWorld(node, community, out, scenario, proxy, products)


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
