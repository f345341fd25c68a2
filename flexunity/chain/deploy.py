"""Deploy and wire FlexUnity's contracts; describe the result for a deployment manifest.

``deploy_all`` deploys, in order: the settlement token (a ``FlexTestToken`` unless an existing
ERC-20 is given), ``CommunityRegistry``, ``RoundBook`` (bound to the registry), ``ClearingHouse``,
``SettlementEscrow`` and ``RevenueDistributor``. Transactions are sent from ``roles.admin``; the
node must hold its key (eth-tester, anvil) or web3 must carry a signing middleware.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from flexunity.chain.compiler import CompiledContract, compile_contracts
from flexunity.errors import ChainError

CONTRACT_NAMES = ("CommunityRegistry", "RoundBook", "ClearingHouse", "SettlementEscrow", "RevenueDistributor")


@dataclass(frozen=True)
class RoleAccounts:
    """Who holds which role. The CM is also the initial sole clearing signer and the fee account."""

    admin: str
    community_manager: str
    arbiter: str
    pauser: str
    supplier: str

    @classmethod
    def from_accounts(cls, accounts: Sequence[str]) -> RoleAccounts:
        """accounts[0..4] as admin, CM, arbiter, pauser, supplier (devnets and tests)."""
        if len(accounts) < 5:
            raise ChainError(f"need 5 accounts for the roles, the node has {len(accounts)}")
        return cls(*(to_checksum_address(a) for a in accounts[:5]))


@dataclass(frozen=True)
class ClearingConfig:
    challenge_window: int = 3600  # seconds a posted result can be disputed
    result_timeout: int = 7 * 24 * 3600  # seconds after gate closure before a result-less round can be voided
    dispute_bond: int = 100 * 10**6  # settlement-token base units (100 tGBP)
    ruling_timeout: int = 7 * 24 * 3600  # seconds the arbiter has to rule before anyone may void the round
    settlement_window: int = 7 * 24 * 3600  # seconds a final result has to settle before it can be closed
    signer_delay: int = 2 * 24 * 3600  # seconds before announced signers take effect (> challenge window)
    max_lead_time: int = 30 * 24 * 3600  # most seconds from opening to gate closure, and gate to start
    max_interval_seconds: int = 24 * 3600  # longest interval a round may have
    max_interval_count: int = 2000  # most intervals a round may have


@dataclass
class Deployment:
    """Addresses, deployment blocks and ABI hashes: everything a manifest and the clients need."""

    chain_id: int
    addresses: dict[str, str]
    blocks: dict[str, int]
    abi_hashes: dict[str, str]
    roles: RoleAccounts
    config: ClearingConfig
    token_is_test_token: bool
    abis: dict[str, list[dict[str, Any]]] = field(repr=False, default_factory=dict)

    @property
    def token(self) -> str:
        return self.addresses["SettlementToken"]

    @property
    def start_block(self) -> int:
        return min(self.blocks.values())

    def manifest(self) -> dict[str, Any]:
        """JSON-ready description (ABIs left out; their sha256 is in ``abi_hashes``)."""
        return {
            "chain_id": self.chain_id,
            "addresses": self.addresses,
            "blocks": self.blocks,
            "abi_hashes": self.abi_hashes,
            "roles": asdict(self.roles),
            "config": asdict(self.config),
            "token_is_test_token": self.token_is_test_token,
        }


def deploy_all(
    w3: Web3,
    roles: RoleAccounts,
    token: str | None = None,
    *,
    config: ClearingConfig | None = None,
    admin_delay: int = 24 * 3600,
    compiled: dict[str, CompiledContract] | None = None,
) -> Deployment:
    """Deploy and wire every contract; mint nothing. Returns the :class:`Deployment`."""
    config = config or ClearingConfig()
    compiled = compiled or compile_contracts()
    deployer = _Deployer(w3, roles.admin, compiled)
    if token is None:
        token = deployer.deploy("SettlementToken", "FlexTestToken", roles.community_manager)
    else:
        token = to_checksum_address(token)
        deployer.record_external("SettlementToken", token)
    registry = deployer.deploy(
        "CommunityRegistry", "CommunityRegistry", admin_delay, config.signer_delay,
        roles.admin, roles.community_manager, roles.arbiter, roles.pauser, roles.supplier,
    )  # fmt: skip
    limits = (config.max_lead_time, config.max_interval_seconds, config.max_interval_count)
    round_book = deployer.deploy("RoundBook", "RoundBook", registry, limits)
    deployer.call(deployer.contract("CommunityRegistry").functions.bindRoundBook(round_book))
    clearing = deployer.deploy(
        "ClearingHouse", "ClearingHouse", registry, round_book, token,
        (config.challenge_window, config.result_timeout, config.ruling_timeout, config.settlement_window,
         config.dispute_bond),
    )  # fmt: skip
    escrow = deployer.deploy("SettlementEscrow", "SettlementEscrow", token, registry, clearing)
    deployer.call(deployer.contract("CommunityRegistry").functions.bindEscrow(escrow))
    deployer.deploy("RevenueDistributor", "RevenueDistributor", token, registry)
    return Deployment(
        chain_id=w3.eth.chain_id,
        addresses=deployer.addresses,
        blocks=deployer.blocks,
        abi_hashes={k: compiled[v].abi_hash for k, v in deployer.kinds.items()},
        roles=roles,
        config=config,
        token_is_test_token=deployer.kinds.get("SettlementToken") == "FlexTestToken",
        abis={k: compiled[v].abi for k, v in deployer.kinds.items()},
    )


class _Deployer:
    def __init__(self, w3: Web3, sender: str, compiled: dict[str, CompiledContract]) -> None:
        self.w3, self.sender, self.compiled = w3, sender, compiled
        self.addresses: dict[str, str] = {}
        self.blocks: dict[str, int] = {}
        self.kinds: dict[str, str] = {}

    def deploy(self, key: str, contract_name: str, *args: Any) -> str:
        artefact = self.compiled[contract_name]
        factory = self.w3.eth.contract(abi=artefact.abi, bytecode=artefact.bytecode)
        tx_hash = factory.constructor(*args).transact({"from": self.sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1 or not receipt["contractAddress"]:
            raise ChainError(f"deploying {contract_name} failed in transaction {tx_hash.hex()}")
        address = to_checksum_address(receipt["contractAddress"])
        self._record(key, address, receipt["blockNumber"], contract_name)
        return address

    def _record(self, key: str, address: str, block: int, kind: str) -> None:
        self.addresses[key], self.blocks[key], self.kinds[key] = address, block, kind

    def record_external(self, key: str, address: str) -> None:
        if not self.w3.eth.get_code(to_checksum_address(address)):
            raise ChainError(f"no contract at the token address {address}")
        self._record(key, address, self.w3.eth.block_number, "IERC20")
        self.compiled.setdefault("IERC20", _erc20_artefact())

    def contract(self, key: str) -> Contract:
        return self.w3.eth.contract(
            address=to_checksum_address(self.addresses[key]), abi=self.compiled[self.kinds[key]].abi
        )

    def call(self, fn: Any) -> None:
        receipt = self.w3.eth.wait_for_transaction_receipt(fn.transact({"from": self.sender}))
        if receipt["status"] != 1:
            raise ChainError(f"wiring call {fn.fn_name} failed")


def _erc20_artefact() -> CompiledContract:
    """The ABI of FlexTestToken is a superset of ERC-20's: clients use it for any token."""
    token = compile_contracts()["FlexTestToken"]
    return CompiledContract("IERC20", token.source, token.abi, "0x", "0x")


def missing_code(w3: Web3, addresses: dict[str, str]) -> list[str]:
    """Names whose address holds no contract code on this chain (a manifest of another deployment, or a
    restarted devnet): checked on connecting, so that a wrong address is one clear line, not a decoding
    error deep inside a call."""
    return [name for name, address in sorted(addresses.items()) if not bytes(w3.eth.get_code(address))]  # type: ignore[arg-type]


def check_deployed(w3: Web3, addresses: dict[str, str], chain_id: int) -> None:
    """A ChainError naming the contracts of ``addresses`` that have no code on chain ``chain_id``."""
    missing = missing_code(w3, addresses)
    if missing:
        shown = ", ".join(f"{name} {addresses[name]}" for name in missing)
        raise ChainError(
            f"no contract at the manifest's {shown} on chain {chain_id}: a manifest of another deployment, "
            "or a devnet restarted since it was written?"
        )
