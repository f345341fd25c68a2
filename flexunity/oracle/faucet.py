"""The CM's faucet on a test chain: ether for gas and test settlement tokens for peers.

``flexunity oracle fund`` sends ether from the CM's own account and mints the test token (the CM
deployed it, so it owns it). Refused unless the manifest marks the chain as a test chain
(``parameters.test_chain``, set by ``flexunity deploy`` on anvil and eth-tester, or with
``--test-chain``): on a chain whose ether or token is worth money there is no faucet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flexunity.chain.fanout import send_ether
from flexunity.chain.hashing import checksum_address, is_hex_address
from flexunity.chain.rpc import Mined
from flexunity.errors import InputError
from flexunity.oracle.chainio import OracleChain


@dataclass
class Funded:
    addresses: list[str]
    ether_wei: int
    token_units: int
    mined: list[Mined]


def check_test_chain(chain: OracleChain) -> None:
    """An InputError unless the manifest marks the chain as a test chain."""
    if chain.manifest.parameters.get("test_chain") is not True:
        raise InputError(
            f"chain {chain.manifest.chain_id} is not marked as a test chain in the manifest "
            "(`flexunity deploy --test-chain`): no faucet on it; send ether and tokens yourself"
        )


def fund(chain: OracleChain, addresses: Sequence[str], ether_wei: int, token_units: int) -> Funded:
    """Send ``ether_wei`` and mint ``token_units`` of the test token to each address."""
    check_test_chain(chain)
    bad = [a for a in addresses if not is_hex_address(a)]
    if bad:
        raise InputError(f"not an address: {bad[0]!r} (0x followed by 40 hex digits)", where="--address")
    targets = [checksum_address(a) for a in addresses]
    if token_units and not chain.manifest.parameters.get("token_is_test_token", False):
        raise InputError("the settlement token is not the test token: it cannot be minted (use --tokens 0)")
    needed = ether_wei * len(targets)
    have = int(chain.w3.eth.get_balance(chain.account.address))
    if needed and have < needed + 10**16:
        raise InputError(
            f"the CM {chain.account.address} holds {have} wei, funding needs {needed} plus gas: fund it first"
        )
    mined: list[Mined] = []
    if ether_wei:
        mined += send_ether(chain.sender, targets, ether_wei)
    if token_units:
        token = chain.clients.token.contract.functions
        mints = [(token.mint(a, token_units), f"mint test tokens for {a}") for a in targets]
        mined += chain.sender.transact_many(mints)
    return Funded(targets, ether_wei, token_units, mined)
