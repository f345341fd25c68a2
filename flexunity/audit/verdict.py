"""What the audit reports: one verdict per round, made of named checks, and the tolerances it uses.

A check either passes or fails with a reason in words (the offending peer, interval, amount, hash).
A round whose result is not posted yet (gate open, or the oracle still clearing) is ``PENDING``:
nothing is wrong with it yet, so it does not fail the audit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flexunity.errors import AuditFailure

AUDIT_FAILED_EXIT_CODE = 5
"""Exit code of ``flexunity audit`` when a round fails (ChainError, a dead node, exits with 4)."""


@dataclass(frozen=True)
class Tolerances:
    """How close re-derived numbers must be to posted ones (never bitwise equality for the LP).

    ``feasibility_kwh``: largest violation of a bound or constraint by the posted dispatch.
    ``objective_rel``: |posted − optimum| ≤ objective_rel · max(1, |optimum|) (currency).
    ``price_abs``: posted price against the rule's price (currency/kWh).
    ``money_rel``: posted bill component against the recomputed one, relative to max(1, |bill|).
    """

    feasibility_kwh: float = 1e-6
    objective_rel: float = 1e-6
    price_abs: float = 1e-6
    money_rel: float = 1e-6

    def objective_ok(self, posted: float, optimum: float) -> bool:
        return abs(posted - optimum) <= self.objective_rel * max(1.0, abs(optimum))

    def money_ok(self, posted: float, expected: float) -> bool:
        return abs(posted - expected) <= self.money_rel * max(1.0, abs(expected))

    def to_dict(self) -> dict[str, float]:
        return {
            "feasibility_kwh": self.feasibility_kwh,
            "objective_rel": self.objective_rel,
            "price_abs": self.price_abs,
            "money_rel": self.money_rel,
        }


@dataclass(frozen=True)
class Check:
    """One verified statement about a round."""

    name: str
    passed: bool
    detail: str

    def __iter__(self) -> Any:  # (name, passed, detail) unpacks like a tuple
        return iter((self.name, self.passed, self.detail))


@dataclass
class RoundVerdict:
    """The audit of one round: PASS when every check passed, PENDING when there is no result yet."""

    round_id: int
    checks: list[Check] = field(default_factory=list)
    pending: bool = False
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def status(self) -> str:
        if not self.passed:
            return "FAIL"
        return "PENDING" if self.pending else "PASS"

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def check(self, name: str) -> Check | None:
        """The check called ``name`` (None if it was not run)."""
        return next((c for c in self.checks if c.name == name), None)

    def add(self, name: str, problems: Iterable[str], ok_detail: str) -> bool:
        """Record a check from its list of problems (none: passed with ``ok_detail``)."""
        found = list(problems)
        shown = "; ".join(found[:5]) + (f" (and {len(found) - 5} more)" if len(found) > 5 else "")
        self.checks.append(Check(name, not found, shown if found else ok_detail))
        return not found

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round_id,
            "status": self.status,
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks],
        }


def raise_on_failure(verdicts: Iterable[RoundVerdict]) -> None:
    """Raise :class:`AuditFailure` with every failing check's reason, if any round failed."""
    reasons = [f"round {v.round_id}: {c.name}: {c.detail}" for v in verdicts for c in v.failures]
    if reasons:
        raise AuditFailure(reasons)
