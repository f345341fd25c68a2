"""``flexunity oracle run``: watch the chain and drive every open round to DONE.

The service connects with the manifest's chain id checked, loads the CM's key from its keystore,
finds rounds opened on chain (events since the deployment block), and runs each one that is not DONE
in its state file. With ``once`` it advances every round as far as the chain allows and returns;
otherwise it polls until interrupted. A dead node is retried with backoff (flexunity.chain.rpc).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from flexunity.chain.manifest import Manifest
from flexunity.chain.rpc import retrying
from flexunity.errors import ChainError, UserError
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateDB, Step
from flexunity.record.store import FolderStore

Reporter = Callable[[str], None]


@dataclass
class OracleService:
    runner: RoundRunner
    report: Reporter
    failed: dict[int, str] = field(default_factory=dict)

    def tick(self, rounds: list[int] | None = None, *, wait: bool = False) -> dict[int, Step]:
        """Advance every known round (or those named) as far as possible now."""
        wanted = rounds if rounds is not None else self.runner.chain.open_rounds()
        steps: dict[int, Step] = {}
        for round_id in wanted:
            state = self.runner.db.get(round_id)
            if state is not None and state.step is Step.DONE:
                steps[round_id] = Step.DONE
                continue
            try:
                steps[round_id] = self.runner.run(round_id, wait=wait).step
            except UserError as exc:  # one round's problem must not stop the others: report it
                self.report(f"round {round_id}: {exc}")
                self.failed[round_id] = str(exc)
                current = self.runner.db.get(round_id)
                steps[round_id] = current.step if current else Step.OPENED
        return steps

    def serve(
        self, rounds: list[int] | None = None, poll: float = 2.0, stop: Callable[[], bool] = lambda: False
    ) -> None:
        while not stop():
            self.tick(rounds)
            time.sleep(poll)


def connect(rpc_url: str, manifest: Manifest, report: Reporter) -> Web3:
    """A web3 on ``rpc_url`` whose chain id is the manifest's (a wrong node is refused)."""
    w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))
    chain_id = retrying(lambda: w3.eth.chain_id, what=f"connect to {rpc_url}", report=report)
    if chain_id != manifest.chain_id:
        raise ChainError(
            f"{rpc_url} is chain {chain_id}, the manifest was deployed on chain {manifest.chain_id}"
        )
    return w3


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
