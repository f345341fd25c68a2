"""Re-derive an allocation and compare: what the audit calls to check that posted shares follow the
declared rule. Every rule, including sampled Shapley (seeded), is deterministic, so the integer
shares must match exactly.
"""

from __future__ import annotations

from collections.abc import Mapping

from flexunity.allocation.rules import RuleOptions, SharingInputs, allocate


def verify_allocation(
    rule: str,
    total: int,
    inputs: SharingInputs,
    shares: Mapping[str, int],
    options: RuleOptions | None = None,
) -> list[str]:
    """Problems found with posted ``shares`` (empty list: they are exactly what ``rule`` gives)."""
    problems: list[str] = []
    if sum(shares.values()) != total:
        problems.append(f"shares sum to {sum(shares.values())}, not the declared total {total}")
    expected = allocate(rule, total, inputs, options or RuleOptions(check_core=False)).shares
    for peer in sorted(set(expected) | set(shares)):
        if peer not in shares:
            problems.append(f"peer {peer} is missing: the rule gives it {expected[peer]}")
        elif peer not in expected:
            problems.append(f"peer {peer} is not among the peers sharing")
        elif shares[peer] != expected[peer]:
            problems.append(f"peer {peer} got {shares[peer]}, the rule {rule!r} gives {expected[peer]}")
    return problems
