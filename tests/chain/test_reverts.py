"""Custom errors decode into words; eth-tester's revert text is understood too."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from flexunity.chain.reverts import ErrorDecoder, revert_data

ABI = [
    {
        "type": "error",
        "name": "RoundClosed",
        "inputs": [{"name": "roundId", "type": "uint64"}, {"name": "gateClosure", "type": "uint64"}],
    }
]


def _data() -> bytes:
    return keccak(text="RoundClosed(uint64,uint64)")[:4] + encode(["uint64", "uint64"], [3, 1764061200])


def test_decodes_arguments_and_explains() -> None:
    text = ErrorDecoder([ABI]).describe(_data())
    assert (
        text == "RoundClosed(roundId=3, gateClosure=1764061200): the round's gate has closed; no more orders"
    )


def test_unknown_selector_is_shown_raw() -> None:
    assert "unknown error data 0xdeadbeef" in ErrorDecoder([ABI]).describe("0xdeadbeef")


def test_eth_tester_message_and_web3_data() -> None:
    class Failed(Exception):
        pass

    assert revert_data(Failed(f"execution reverted: {_data()!r}")) == _data()

    class Logic(Exception):
        data = "0x" + _data().hex()

    error = ErrorDecoder([ABI]).chain_error("opening", Logic())
    assert str(error).startswith("opening would revert: RoundClosed(roundId=3")


def test_every_project_error_decodes_unambiguously() -> None:
    """One declaration per error across the contracts: no selector or name means two things (the
    escrow's proof error used to decode as the distributor's, with a distribution id)."""
    from flexunity.chain.compiler import compile_contracts

    compiled = compile_contracts()
    names = ["CommunityRegistry", "RoundBook", "ClearingHouse", "SettlementEscrow", "RevenueDistributor"]
    decoder = ErrorDecoder([compiled[name].abi for name in names])
    assert decoder.ambiguous == set()
    proof = keccak(text="SettlementProofInvalid(uint64,uint32)")[:4] + encode(["uint64", "uint32"], [7, 3])
    assert decoder.describe(proof).startswith("SettlementProofInvalid(roundId=7, index=3)")


def test_a_clash_is_reported() -> None:
    other = [
        {
            "type": "error",
            "name": "RoundClosed",
            "inputs": [{"name": "distributionId", "type": "uint64"}, {"name": "at", "type": "uint64"}],
        }
    ]
    assert ErrorDecoder([ABI, other]).ambiguous == {"RoundClosed(uint64,uint64)"}
