"""Typed clients around FlexUnity's contracts.

``ContractClients(w3, deployment)`` gathers one client per contract. Every state-changing call is first
estimated: a call that would revert raises :class:`~flexunity.errors.ChainError` with the contract's
custom error in words, before any transaction is sent. Reads return domain objects.
Transactions go ``{"from": sender}``: the node holds the key (eth-tester, anvil), or web3 carries a
signing middleware (a pilot).
"""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from flexunity.chain.contracts.base import GAS_MARGIN, REVERTS, OnMined, Signer
from flexunity.chain.contracts.clearing import ClearingClient
from flexunity.chain.contracts.escrow import EscrowClient
from flexunity.chain.contracts.records import (
    NO_RESULT,
    EscrowAccount,
    OrderBook,
    OrderRecord,
    PeerKind,
    ResultStatus,
    RoundInfo,
    RoundResult,
    SignedOrder,
)
from flexunity.chain.contracts.registry import RegistryClient
from flexunity.chain.contracts.revenue import RevenueClient
from flexunity.chain.contracts.rounds import RoundBookClient
from flexunity.chain.contracts.token import TokenClient
from flexunity.chain.deploy import Deployment
from flexunity.chain.reverts import ErrorDecoder
from flexunity.errors import ChainError

# EIP-5267 eip712Domain() returns (fields, name, version, chainId, verifyingContract, salt, extensions).
VERIFYING_CONTRACT = 4

__all__ = [
    "GAS_MARGIN",
    "NO_RESULT",
    "REVERTS",
    "ClearingClient",
    "ContractClients",
    "EscrowAccount",
    "EscrowClient",
    "OrderBook",
    "OrderRecord",
    "PeerKind",
    "RegistryClient",
    "ResultStatus",
    "RevenueClient",
    "RoundBookClient",
    "RoundInfo",
    "RoundResult",
    "SignedOrder",
    "Signer",
    "TokenClient",
    "require_contracts",
]


def require_contracts(w3: Web3, addresses: dict[str, str], where: str = "the node") -> None:
    """Every contract of a deployment has code on the node, else one ``ChainError`` line (exit 4).

    A fresh node with the manifest's chain id (a restarted devnet, another chain) answers every
    call to an empty address with nothing; this says so before any read misreads it."""
    try:
        missing = [
            name for name, address in addresses.items() if not w3.eth.get_code(to_checksum_address(address))
        ]
    except Exception as exc:  # the node failed to answer: the same fact for the user
        raise ChainError(
            f"{where}: cannot read contract code ({type(exc).__name__}): is the node running?"
        ) from None
    if missing:
        raise ChainError(
            f"{where} has no contract at the manifest's address of {', '.join(missing)}: a fresh node or "
            "another chain with the same chain id, not the deployment the manifest describes"
        )


class ContractClients:
    """Every client of one deployment."""

    def __init__(self, w3: Web3, deployment: Deployment, on_mined: OnMined | None = None) -> None:
        self.w3, self.deployment = w3, deployment
        abis = deployment.abis
        if not abis:
            from flexunity.chain.compiler import compile_contracts

            compiled = compile_contracts()
            abis = {
                key: compiled[key if key != "SettlementToken" else "FlexTestToken"].abi
                for key in deployment.addresses
            }
        decoder = ErrorDecoder(abis.values())

        def contract(key: str) -> Contract:
            return w3.eth.contract(address=to_checksum_address(deployment.addresses[key]), abi=abis[key])

        self.abis = abis
        self.registry = RegistryClient(w3, contract("CommunityRegistry"), decoder, on_mined)
        self.rounds = RoundBookClient(w3, contract("RoundBook"), decoder, on_mined)
        self.clearing = ClearingClient(w3, contract("ClearingHouse"), decoder, on_mined)
        self.escrow = EscrowClient(w3, contract("SettlementEscrow"), decoder, on_mined)
        self.revenue = RevenueClient(w3, contract("RevenueDistributor"), decoder, on_mined)
        self.token = TokenClient(w3, contract("SettlementToken"), decoder, on_mined)

    def wiring_problems(self) -> list[str]:
        """How the addresses fail to be one FlexUnity deployment (empty: they are): the EIP-712 contracts
        name themselves as verifying contract, the escrow and the distributor hold the token given,
        the registry and the token answer their views. A manifest of another deployment (or an address
        pointing at another contract) is then one clear line instead of a failed call deep inside."""
        token = self.token.address.lower()
        probes: dict[str, Any] = {
            "RoundBook": lambda: self.rounds.contract.functions.eip712Domain().call()[VERIFYING_CONTRACT],
            "ClearingHouse": lambda: self.clearing.contract.functions.eip712Domain().call()[
                VERIFYING_CONTRACT
            ],
            "SettlementEscrow": lambda: self.escrow.contract.functions.token().call(),
            "RevenueDistributor": lambda: self.revenue.contract.functions.token().call(),
            "CommunityRegistry": lambda: self.registry.contract.functions.signerThreshold().call(),
            "SettlementToken": lambda: self.token.contract.functions.decimals().call(),
        }
        expected = {
            "RoundBook": self.rounds.address.lower(),
            "ClearingHouse": self.clearing.address.lower(),
            "SettlementEscrow": token,
            "RevenueDistributor": token,
        }
        problems = []
        for name, probe in probes.items():
            address = self.deployment.addresses[name]
            try:
                answer = probe()
            except Exception:  # any failure of the call is the same fact: not that contract
                problems.append(f"{name} {address} does not answer as a FlexUnity {name}")
                continue
            if name in expected and str(answer).lower() != expected[name]:
                problems.append(f"{name} {address} belongs to another deployment")
        return problems
