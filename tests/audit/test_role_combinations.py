"""Every way the CM's deployment can name its roles audits PASS (issue 14).

The CM's keystore is always admin and CM (``flexunity deploy --keystore``); ``--supplier``,
``--arbiter`` and ``--pauser`` each name the CM's own account or another, and two of them may name
the same other account. These are the 15 partitions of {CM, supplier, arbiter, pauser}: each is
deployed on eth-tester, one round is cleared, posted and settled by the honest oracle, and audited.
A pilot's documented default (one keystore holds every role) once failed with
``result.totals: posted supplierTotal 0, the leaves give …``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from audit_world import make_world

from flexunity.audit import audit_rounds
from flexunity.demo.community import RoleKeys, key_for

pytestmark = pytest.mark.chain

ROLES = ("cm", "supplier", "arbiter", "pauser")


def partitions(items: tuple[str, ...]) -> Iterator[list[list[str]]]:
    """Every set partition of ``items`` (Bell number: 15 for four)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for smaller in partitions(rest):
        for i in range(len(smaller)):
            yield [*smaller[:i], [first, *smaller[i]], *smaller[i + 1 :]]
        yield [[first], *smaller]


COMBINATIONS = [sorted(sorted(block) for block in p) for p in partitions(ROLES)]


def label(combination: list[list[str]]) -> str:
    return ",".join("=".join(block) for block in combination)


def role_keys(combination: list[list[str]]) -> RoleKeys:
    key = {role: key_for(f"roles-test/{'+'.join(block)}") for block in combination for role in block}
    return RoleKeys(admin=key["cm"], cm=key["cm"], arbiter=key["arbiter"], pauser=key["pauser"],
                    supplier=key["supplier"])  # fmt: skip


def test_there_are_fifteen_combinations() -> None:
    assert len(COMBINATIONS) == 15
    assert len({label(c) for c in COMBINATIONS}) == 15


@pytest.mark.parametrize("combination", COMBINATIONS, ids=[label(c) for c in COMBINATIONS])
def test_honest_round_audits_pass_for_every_role_combination(
    combination: list[list[str]], tmp_path: Path
) -> None:
    world = make_world(tmp_path, roles=role_keys(combination))
    roles = world.community.manifest.roles
    assert (roles["supplier"] == roles["community_manager"]) == any(
        {"cm", "supplier"} <= set(b) for b in combination
    )
    round_id, _ = world.run_round()
    (verdict,) = audit_rounds(world.manifest_path, world.store, [round_id], w3=world.w3)
    failing = [(c.name, c.detail) for c in verdict.checks if not c.passed]
    assert verdict.passed, failing
