"""Everything the audit reads from the chain: events, transactions and a few views, cached.

Only the node's JSON-RPC is used (``eth_getLogs``, ``eth_getTransactionByHash``, ``eth_getBlockByNumber``,
``eth_call``), so anyone with the RPC URL and the deployment manifest can run the audit. Histories
that change over time (membership, the clearing signers, the fee and supplier accounts) are replayed
from the registry's events, so a check is made against the state *at the time* of the event audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3 import HTTPProvider, Web3
from web3.contract import Contract

from flexunity.chain.contracts import ContractClients, RoundInfo
from flexunity.chain.manifest import Manifest, deployment_of
from flexunity.errors import ChainError, InputError

Position = tuple[int, int]  # (block number, log index): the order of events on chain


@dataclass(frozen=True)
class Log:
    """One decoded event with where it happened."""

    name: str
    args: dict[str, Any]
    block: int
    log_index: int
    tx_hash: str
    address: str = ""

    @property
    def position(self) -> Position:
        return (self.block, self.log_index)


@dataclass
class RegistryHistory:
    """The registry's events replayed: who was a member when, the signer sets, the accounts."""

    logs: list[Log]

    def is_member(self, peer: str, round_id: int) -> bool:
        """Whether ``peer`` could order in ``round_id``: fromRound <= r < untilRound of some enrolment."""
        peer = peer.lower()
        since: int | None = None
        spans: list[tuple[int, int | None]] = []
        for log in self.logs:
            if str(log.args.get("peer", "")).lower() != peer:
                continue
            if log.name == "PeerEnrolled":
                since = int(log.args["fromRound"])
                spans.append((since, None))
            elif log.name == "PeerLeft" and spans:
                spans[-1] = (spans[-1][0], int(log.args["untilRound"]))
        return any(start <= round_id and (until is None or round_id < until) for start, until in spans)

    def signers_at(self, position: Position, time: int) -> tuple[list[str], int]:
        """The clearing signer set and threshold in force at ``position`` (block time ``time``): the
        last set announced before it whose ``effectiveAt`` had come (a rotation waits a delay)."""
        signers: list[str] = []
        threshold = 0
        for log in self.logs:
            if log.position >= position:
                break
            if log.name == "SignersProposed" and int(log.args["effectiveAt"]) <= time:
                signers = [to_checksum_address(s) for s in log.args["signers"]]
                threshold = int(log.args["threshold"])
        return signers, threshold

    def accounts_at(self, position: Position) -> tuple[str, str]:
        """(fee recipient, supplier) in force just before ``position``."""
        fee = supplier = ""
        for log in self.logs:
            if log.position >= position:
                break
            if log.name == "AccountsUpdated":
                fee, supplier = str(log.args["feeRecipient"]), str(log.args["supplier"])
        return fee, supplier


@dataclass
class ChainReader:
    """Read-only access to one deployment, with caches for transactions and block times."""

    w3: Web3
    manifest: Manifest
    clients: ContractClients = field(init=False)
    _txs: dict[str, Any] = field(default_factory=dict, init=False)
    _times: dict[int, int] = field(default_factory=dict, init=False)
    _registry: RegistryHistory | None = field(default=None, init=False)
    _all: list[Log] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.clients = ContractClients(self.w3, deployment_of(self.manifest))
        problems = self.clients.wiring_problems()
        if problems:
            raise ChainError(f"the manifest is not this chain's deployment: {'; '.join(problems)}")

    @property
    def first_block(self) -> int:
        return self.manifest.first_block

    def logs(self, contract: Contract, names: tuple[str, ...], **filters: Any) -> list[Log]:
        """Events ``names`` of ``contract`` whose arguments equal ``filters``, in chain order."""
        address = contract.address.lower()
        return [
            log
            for log in self._decoded()
            if log.address == address
            and log.name in names
            and all(log.args.get(k) == v for k, v in filters.items())
        ]

    def _decoded(self) -> list[Log]:
        """Every event of the community's contracts, fetched in one ``eth_getLogs`` and decoded once."""
        if self._all is None:
            c = self.clients
            clients = [c.registry, c.rounds, c.clearing, c.escrow, c.revenue]
            events: dict[tuple[str, bytes], Any] = {}
            for client in clients:
                for item in client.contract.abi:
                    if item.get("type") == "event":
                        event: Any = item
                        key = (client.address.lower(), bytes(event_abi_to_log_topic(event)))
                        events[key] = getattr(client.contract.events, event["name"])()
            query: Any = {
                "fromBlock": self.first_block,
                "toBlock": "latest",
                "address": [c.address for c in clients],
            }
            decoded = (_decode(events, x) for x in self.w3.eth.get_logs(query) if x["topics"])
            self._all = sorted((x for x in decoded if x is not None), key=lambda log: log.position)
        return self._all

    def round(self, round_id: int) -> RoundInfo:
        return self.clients.rounds.round(round_id)

    def round_count(self) -> int:
        return self.clients.rounds.round_count()

    def transaction(self, tx_hash: str) -> Any:
        if tx_hash not in self._txs:
            self._txs[tx_hash] = self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        return self._txs[tx_hash]

    def block_time(self, block: int) -> int:
        if block not in self._times:
            self._times[block] = int(self.w3.eth.get_block(block)["timestamp"])
        return self._times[block]

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def registry(self) -> RegistryHistory:
        if self._registry is None:
            names = ("PeerEnrolled", "PeerLeft", "SignersProposed", "AccountsUpdated")
            self._registry = RegistryHistory(self.logs(self.clients.registry.contract, names))
        return self._registry

    def has_function(self, contract: Contract, name: str) -> bool:
        return any(item.get("type") == "function" and item.get("name") == name for item in contract.abi)

    def token_decimals(self) -> int:
        return self.clients.token.decimals()


def _decode(by_topic: dict[tuple[str, bytes], Any], raw: Any) -> Log | None:
    event = by_topic.get((str(raw["address"]).lower(), bytes(raw["topics"][0])))
    if event is None:
        return None
    x = event.process_log(raw)
    return Log(
        str(x["event"]), dict(x["args"]), int(x["blockNumber"]), int(x["logIndex"]),
        _hex(x["transactionHash"]), str(raw["address"]).lower(),
    )  # fmt: skip


def _hex(value: Any) -> str:
    raw = bytes(value)
    return "0x" + raw.hex()


def connect(rpc_url: str | None, manifest: Manifest) -> Web3:
    """A web3 on ``rpc_url`` that answers and is the manifest's chain."""
    if not rpc_url:
        raise InputError("no RPC URL: give --rpc (the manifest records none)")
    w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception as exc:  # any failure to reach the node is the same fact for the user
        raise ChainError(
            f"cannot reach the node at {rpc_url} ({type(exc).__name__}): is it running? (--rpc URL)"
        ) from None
    if chain_id != manifest.chain_id:
        raise ChainError(
            f"{rpc_url} is chain {chain_id}, the manifest's contracts are on chain {manifest.chain_id}"
        )
    from flexunity.chain.deploy import check_deployed

    check_deployed(w3, {name: c.address for name, c in manifest.contracts.items()}, chain_id)
    return w3
