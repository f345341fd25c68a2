"""``flexunity oracle run``: watch the chain and drive every open round to DONE.

The service connects with the manifest's chain id checked (and the manifest's contracts present on
the node), loads the CM's key, takes the oracle lock (one oracle per state file and deployment,
flexunity.oracle.lock), finds rounds opened on chain, and runs each one that is not finished in its
state file. With ``once`` it advances every round as far as the chain allows and returns; a node
that does not answer through the retries (flexunity.chain.rpc) ends it with ``NodeDown`` (exit 4).
Without ``once`` it polls until interrupted and rides out node outages of any length: it says when
the node went away, waits with exponential backoff (capped at ``MAX_BACKOFF_S``), reports each wait,
and says when the node is back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flexunity.chain.accounts import LocalAccount
from flexunity.chain.manifest import Manifest
from flexunity.chain.node import MAX_BACKOFF_S, Web3
from flexunity.chain.retry import TRANSIENT, NodeDown
from flexunity.errors import UserError
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateConflict, StateDB, Step
from flexunity.record.store import FolderStore

Reporter = Callable[[str], None]
OUTAGE = (NodeDown, *TRANSIENT)  # a read that bypassed the retries raises the transport's own error


@dataclass
class OracleService:
    runner: RoundRunner
    report: Reporter
    failed: dict[int, str] = field(default_factory=dict)

    def tick(self, rounds: list[int] | None = None, *, wait: bool = False) -> dict[int, Step]:
        """Advance every known round (or those named) as far as possible now.

        A round's own problem is reported and the others go on; a dead node (``NodeDown``) or a state
        file changed by another process (``StateConflict``) stops the tick: they concern every round."""
        wanted = rounds if rounds is not None else self.runner.chain.open_rounds()
        steps: dict[int, Step] = {}
        for round_id in wanted:
            state = self.runner.db.get(round_id)
            if state is not None and state.step.terminal:
                steps[round_id] = state.step
                continue
            try:
                steps[round_id] = self.runner.run(round_id, wait=wait).step
                self.failed.pop(round_id, None)
            except (NodeDown, StateConflict):
                raise
            except UserError as exc:  # one round's problem must not stop the others: report it
                self.report(f"round {round_id}: {exc}")
                self.failed[round_id] = str(exc)
                current = self.runner.db.get(round_id)
                steps[round_id] = current.step if current else Step.OPENED
        return steps

    def serve(
        self, rounds: list[int] | None = None, poll: float = 2.0, stop: Callable[[], bool] = lambda: False,
        idle: Callable[[list[Waiting]], None] = lambda _: None,
    ) -> None:  # fmt: skip
        """Poll until ``stop``; ``idle`` is told what the rounds wait for. A node outage of any length is
        waited out with backoff, never fatal."""
        down_since: float | None = None
        delay = poll
        while not stop():
            try:
                steps = self.tick(rounds)
                idle(self.waiting(steps))
            except OUTAGE as exc:
                now = time.monotonic()
                if down_since is None:
                    down_since = now
                    self.report(f"node unreachable ({str(exc)[:160]}); waiting for it (Ctrl-C stops)")
                delay = min(max(delay, poll) * 2, MAX_BACKOFF_S)
                self.report(f"node unreachable for {now - down_since:.0f} s; next try in {delay:.0f} s")
                time.sleep(delay)
                continue
            if down_since is not None:
                self.report(f"node back after {time.monotonic() - down_since:.0f} s; continuing every round")
                down_since, delay = None, poll
            time.sleep(poll)

    def waiting(self, steps: dict[int, Step]) -> list[Waiting]:
        """What each unfinished round waits for on chain: its gate closure or the end of its window."""
        out = []
        now = self.runner.chain.now()
        for round_id, step in sorted(steps.items()):
            if step not in (Step.OPENED, Step.POSTED) or round_id in self.failed:
                continue
            view = self.runner.chain.view(round_id)
            if step is Step.OPENED and view.gate_closure:
                out.append(Waiting(round_id, "gate closure", view.gate_closure, now))
            elif step is Step.POSTED and view.disputed:
                out.append(Waiting(round_id, "the arbiter (disputed)", 0, now))
            elif step is Step.POSTED and view.window_ends:
                out.append(Waiting(round_id, "end of the challenge window", view.window_ends, now))
        return out


@dataclass(frozen=True)
class Waiting:
    """A round waiting for the chain: ``what`` happens at chain time ``at`` (0: unknown), now ``now``."""

    round_id: int
    what: str
    at: int
    now: int


def build_service(
    w3: Web3,
    manifest: Manifest,
    account: LocalAccount,
    *,
    store: Path,
    state: Path,
    report: Reporter,
    batch_size: int = 100,
) -> OracleService:
    from flexunity.oracle.chainio import OracleChain

    community = OracleChain.from_manifest(w3, manifest, account, report=report, store=FolderStore(store))
    runner = RoundRunner(community, FolderStore(store), StateDB(state), report=report)
    community.settle_batch_size = batch_size
    return OracleService(runner, report)
