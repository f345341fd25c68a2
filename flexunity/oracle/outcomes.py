"""What became of a posted result on chain, and what the oracle does about each outcome.

After posting, the oracle reads the round's result state (``ClearingHouse``: the latest
``ResultPosted``/``ResultStateChanged`` events checked against the stored commitment) and classifies
it into one ``Outcome``; each has one handler, which says in the log what happened and what the
oracle does next:

- ``WINDOW_RUNNING`` (posted, challenge window open): waits;
- ``DISPUTED`` (a bonded dispute is open): waits, settlement frozen until the arbiter rules;
- ``FINAL`` (window over, no dispute) and ``UPHELD`` (the arbiter upheld it): settles;
- ``REJECTED`` (the arbiter rejected our result): clears again from the chain's orders and config
  and posts a corrected result (the next ``attempt``, so another document hash);
- ``TIMED_OUT`` (no result yet and the result timeout passed: anyone may void the round): says so
  and posts while the chain still takes a result;
- ``VOIDED`` (no final result before the timeout, or a dispute that timed out): closes the round,
  nothing to settle;
- ``MISSING`` (our result is not on chain any more: a node reset, a reorg): posts it again;
- ``OTHER`` (another result than ours is posted): stops with an error (a second CM key?).

New outcomes of the contracts (a timeout of a dispute nobody ruled, say) slot in as one more member
and one more handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from flexunity.errors import ChainError, InputError
from flexunity.oracle.port import ChainPort, RoundView
from flexunity.oracle.saved import Rebuilt, Retry, Saved, Voided, WindowPassed
from flexunity.oracle.state import RoundState, StateDB, Step
from flexunity.record.orders import AcceptedOrder
from flexunity.record.store import FolderStore


@dataclass(frozen=True)
class Jump:
    """A step's result that moves the round to ``step`` (not the next one), merging ``updates``."""

    step: Step
    updates: Saved | None = None


StepResult = Saved | Jump | None


class Outcome(StrEnum):
    WINDOW_RUNNING = "challenge window running"
    DISPUTED = "disputed"
    FINAL = "final (challenge window over, no dispute)"
    UPHELD = "upheld by the arbiter"
    REJECTED = "rejected by the arbiter"
    VOIDED = "voided"
    TIMED_OUT = "past its result timeout, no result on chain yet"
    MISSING = "our result is no longer on chain"
    OTHER = "another result is posted"


def classify(view: RoundView, ours: str, now: int, rejected: list[str] | None = None) -> Outcome:
    """The outcome of our posted result ``ours`` (a document hash) given the chain's ``view``."""
    status = view.status
    if status == "VOID":
        return Outcome.VOIDED
    if status == "REJECTED":
        last = view.result_hash.lower()
        if last == ours.lower() or last in {h.lower() for h in rejected or []}:
            return Outcome.REJECTED
        return Outcome.MISSING
    if status == "NONE" or not view.result_posted:
        return Outcome.MISSING
    if view.result_hash.lower() != ours.lower():
        return Outcome.OTHER
    if status == "DISPUTED":
        return Outcome.DISPUTED
    if status == "ACCEPTED":
        return Outcome.UPHELD
    if view.finalized or now >= view.window_ends:
        return Outcome.FINAL
    return Outcome.WINDOW_RUNNING


class OutcomeHandlers:
    """The round runner's handlers of each outcome, and its rebuilding of a lost state (a mixin of
    flexunity.oracle.runner.RoundRunner, which provides these attributes)."""

    chain: ChainPort
    store: FolderStore
    db: StateDB
    report: Callable[[str], None]
    _orders: dict[int, list[AcceptedOrder]]

    def say_once(self, round_id: int, key: str, message: str) -> None:  # pragma: no cover (RoundRunner's)
        raise NotImplementedError

    def recover(self, state: RoundState) -> RoundState:
        """A round this state file knows nothing of: rebuild it from the chain and the store."""
        view = self.chain.view(state.round_id)
        if view.status == "VOID":
            self.report(f"round {state.round_id}: voided on chain; nothing to do")
            return self.db.advance(state, Step.VOIDED, Voided().updates(), message="voided (rebuilt)")
        if not view.result_posted:
            return state
        try:
            document = self.store.get_json(view.result_hash)
        except InputError:
            self.report(
                f"round {state.round_id}: result {view.result_hash[:12]}.. is on chain but not in the "
                "store; clearing the round again (the same inputs give the same document)"
            )
            return state
        rebuilt = Rebuilt.from_document(document, view.result_hash)
        self.report(
            f"round {state.round_id}: no saved state; rebuilt from the chain (result "
            f"{view.result_hash[:12]}.. posted) and the store; continuing after POSTED"
        )
        return self.db.advance(
            state, Step.POSTED, rebuilt.updates(), message="rebuilt from the chain and the store"
        )

    def _on_outcome(self, state: RoundState, view: RoundView, outcome: Outcome) -> StepResult:
        """One handler per outcome (flexunity.oracle.outcomes): say what happened and what comes next."""
        r, ours = state.round_id, state.saved.result_hash
        if outcome is Outcome.WINDOW_RUNNING:
            return None
        if outcome is Outcome.DISPUTED:
            self.say_once(r, "disputed", f"round {r}: result {outcome.value}; settlement frozen, waiting "
                          "for the arbiter's ruling")  # fmt: skip
            return None
        if outcome in (Outcome.FINAL, Outcome.UPHELD):
            self.say_once(r, outcome.name, f"round {r}: result {outcome.value}; settling")
            return WindowPassed(window_ends=view.window_ends, outcome=outcome.name)
        if outcome is Outcome.VOIDED:
            return self._voided(state, view)
        if outcome is Outcome.REJECTED:
            attempt = state.saved.attempt + 1
            rejected = [*state.saved.rejected_results, ours]
            self.report(
                f"round {r}: result {ours[:12]}.. {outcome.value}; clearing again from the chain's orders "
                f"and config and posting a corrected result (attempt {attempt})"
            )
            self._orders.pop(r, None)
            return Jump(Step.ORDERS_VERIFIED, Retry(attempt=attempt, rejected_results=rejected))
        if outcome is Outcome.MISSING:
            self.report(f"round {r}: {outcome.value} (a node reset or reorg?); posting it again")
            return Jump(Step.DOCUMENT_STORED)
        raise ChainError(
            f"round {r}: {outcome.value} ({view.result_hash}), not ours ({ours}): is another CM posting?"
        )

    def _voided(self, state: RoundState, view: RoundView) -> Jump:
        self.report(
            f"round {state.round_id}: voided on chain (no final result before its timeout); "
            "nothing to settle, the round is closed"
        )
        return Jump(Step.VOIDED, Voided())

    def _clock_went_back(self, state: RoundState, view: RoundView, what: str, when: int) -> StepResult:
        self.say_once(
            state.round_id,
            "clock",
            f"round {state.round_id}: the chain's clock ({self.chain.now()}) is before the {what} ({when}) "
            f"this oracle saw pass at step {state.step.value}: the node's clock went back (an anvil "
            "restarted from --state loses its evm_increaseTime offset); waiting, nothing sent",
        )
        return None
