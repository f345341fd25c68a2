"""flexunity.oracle.saved: steps' outputs keep the state file's JSON keys; a saved row reads back typed."""

from __future__ import annotations

from pathlib import Path

from flexunity.oracle.saved import Posted, RoundData, Settled, Voided
from flexunity.oracle.state import StateDB, Step

LEAF = {
    "index": 0, "account": "0xab", "amount": 5, "isCredit": True,
    "boughtWh": 1, "soldWh": 0, "importWh": 2, "exportWh": 0,
}  # fmt: skip


def test_outputs_are_written_under_the_keys_the_state_file_always_had() -> None:
    assert Posted(post_tx="0x1", gas_post=7).updates() == {"post_tx": "0x1", "gas_post": 7}  # no post_block
    assert Posted("0x1", 7, 12).updates() == {"post_tx": "0x1", "gas_post": 7, "post_block": 12}
    assert Settled(10, 2, 3).updates() == {"gas_settle": 10, "settle_txs": 2, "leaves_settled": 3}
    assert Voided().updates() == {"voided": True}


def test_a_row_written_as_a_plain_dictionary_reads_back_typed(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.sqlite")
    state = db.ensure(3)
    written = {
        "config_hash": "0xc", "leaves": [LEAF], "attempt": 2, "rejected_results": ["0xr"],
        "timings": {"CLEARED": 0.5}, "revenue": {"step": "planned"},
    }  # fmt: skip
    state = db.advance(state, Step.POSTED, written)
    saved = db.get(3).saved  # type: ignore[union-attr]
    assert saved.config_hash == "0xc" and saved.attempt == 2 and saved.rejected_results == ["0xr"]
    assert saved.leaves[0].account == "0xab" and saved.leaves[0].bill == -5
    assert saved.timings == {"CLEARED": 0.5}
    assert saved.other == {"revenue": {"step": "planned"}}  # another room's key is kept, not lost
    assert db.get(3).data == written  # type: ignore[union-attr]  # the JSON itself is unchanged
    db.close()


def test_a_round_not_reached_yet_has_the_defaults() -> None:
    saved = RoundData.of({}, 1)
    assert (saved.attempt, saved.leaves, saved.result_hash, saved.gas_settle) == (1, (), "", 0)
