"""Pure parts of the audit: tolerances, verdicts, and the registry's history replayed from events."""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address

from flexunity.audit import AUDIT_FAILED_EXIT_CODE, RoundVerdict, Tolerances, raise_on_failure
from flexunity.chain.reader import Log, RegistryHistory
from flexunity.errors import AuditFailure, ChainError

A, B, C = (to_checksum_address("0x" + c * 40) for c in "abc")


def log(name: str, block: int, **args: object) -> Log:
    return Log(name, dict(args), block, 0, "0x")


def test_objective_tolerance_is_relative_above_one() -> None:
    tol = Tolerances()
    assert tol.objective_ok(1000.0009, 1000.0)
    assert not tol.objective_ok(1000.002, 1000.0)
    assert tol.objective_ok(0.0000009, 0.0)  # absolute 1e-6 near zero


def test_verdict_status_and_failure_reasons() -> None:
    verdict = RoundVerdict(7)
    verdict.add("bills", [], "fine")
    assert verdict.status == "PASS"
    verdict.add("merkle.root", [f"problem {i}" for i in range(7)], "")
    assert verdict.status == "FAIL"
    assert verdict.failures[0].detail.endswith("(and 2 more)")
    with pytest.raises(AuditFailure, match=r"round 7: merkle\.root: problem 0"):
        raise_on_failure([verdict])
    assert AUDIT_FAILED_EXIT_CODE not in (0, ChainError.exit_code)


def test_membership_counts_rounds_and_re_enrolment() -> None:
    history = RegistryHistory([
        log("PeerEnrolled", 1, peer=A, fromRound=1),
        log("PeerLeft", 5, peer=A, untilRound=3, byPeer=True),
        log("PeerEnrolled", 9, peer=A, fromRound=6),
    ])  # fmt: skip
    assert [history.is_member(A, r) for r in range(1, 8)] == [True, True, False, False, False, True, True]
    assert not history.is_member(B, 1)


def test_signers_and_accounts_are_those_in_force_at_the_time() -> None:
    history = RegistryHistory([
        log("SignersProposed", 1, epoch=0, signers=[A], threshold=1, effectiveAt=100),
        log("AccountsUpdated", 1, feeRecipient=A, supplier=B),
        log("SignersProposed", 10, epoch=1, signers=[B, C], threshold=2, effectiveAt=5000),
    ])  # fmt: skip
    assert history.signers_at((5, 0), 200) == ([A], 1)
    assert history.signers_at((10, 0), 200) == ([A], 1)  # the announcement itself is at (10, 0)
    assert history.signers_at((11, 0), 4999) == ([A], 1)  # announced, not yet in force
    assert history.signers_at((11, 0), 5000)[1] == 2
    assert history.accounts_at((2, 0)) == (A, B)
