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
