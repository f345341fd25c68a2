"""Re-derivation and verification of every round from the chain and the published documents alone.

    audit_rounds(manifest_path, store_dir, rounds=None, *, w3=None) -> list[RoundVerdict]
    audit_round(reader, store, round_id) -> RoundVerdict

See docs/audit.md for the checks, their tolerances and the exit codes of ``flexunity audit``.
"""

from flexunity.audit.core import audit_round, audit_rounds
from flexunity.audit.verdict import AUDIT_FAILED_EXIT_CODE, Check, RoundVerdict, Tolerances, raise_on_failure

__all__ = [
    "AUDIT_FAILED_EXIT_CODE",
    "Check",
    "RoundVerdict",
    "Tolerances",
    "audit_round",
    "audit_rounds",
    "raise_on_failure",
]
