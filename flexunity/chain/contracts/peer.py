"""A peer's own hand on its community's deployment: deposits, orders, nonces, claims, withdrawals.

Every write is signed locally by the peer's key (``flexunity.chain.rpc.Sender``) and goes through the
typed clients; without a key the client only reads (``peer status --address``, ``peer bill``). The
reads are the ones a peer's status needs: its escrow, its orders, the rounds' results, the revenue
distributions. Used by ``flexunity peer`` and flexunity/oracle/peer_view.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flexunity.chain.accounts import LocalAccount
from flexunity.chain.addresses import checksum
from flexunity.chain.contracts import ContractClients, EscrowAccount, OrderRecord, RoundInfo, RoundResult
from flexunity.chain.eip712 import WALLET_NO_DEBIT_CAP, Order, order_typed_data
from flexunity.chain.manifest import Manifest, deployment_of
from flexunity.chain.node import Web3, balance, latest_time
from flexunity.chain.retry import retrying
from flexunity.chain.reverts import ErrorDecoder
from flexunity.chain.rpc import Mined, Sender
from flexunity.chain.settlement import RevenueLeaf
from flexunity.errors import ChainError, InputError

Reporter = Callable[[str], None]


class PeerClient:
    """One peer (``account``; None: read only) on the deployment of ``manifest``."""

    def __init__(
        self, w3: Web3, manifest: Manifest, account: LocalAccount | None, *, report: Reporter = lambda _: None
    ) -> None:
        self.w3, self.manifest, self.account, self.report = w3, manifest, account, report
        self.clients = ContractClients(w3, deployment_of(manifest))
        self.decoder = ErrorDecoder(list(self.clients.abis.values()))
        self.sender = Sender(w3, account, self.decoder, report=report) if account is not None else None
        self.chain_id = manifest.chain_id

    def check_deployment(self) -> PeerClient:
        """Refuse a manifest whose addresses are not one FlexUnity deployment on this node."""
        problems = self._read(self.clients.wiring_problems, "the deployment's contracts")
        if problems:
            raise ChainError(f"the manifest is not this chain's deployment: {'; '.join(problems)}")
        return self

    @property
    def address(self) -> str:
        return self._signer().address

    def _signer(self) -> Sender:
        if self.sender is None:
            raise InputError("this command needs the peer's key: pass --keystore")
        return self.sender

    def _read(self, call: Callable[[], Any], what: str) -> Any:
        return retrying(call, what=what, report=self.report)

    # --- writes (signed by the peer) -------------------------------------------------------------

    def deposit(self, units: int) -> Mined:
        """Approve the escrow for ``units`` and deposit them for the peer itself."""
        token, escrow = self.clients.token, self.clients.escrow
        token.approve(self._signer(), escrow.address, units)
        return _mined(escrow.deposit(self._signer(), units))

    def submit_order(self, round_id: int, nonce: int, deadline: int, payload: bytes, max_debit: int) -> Mined:
        """The peer's own order for ``round_id`` (the peer pays the gas)."""
        order = Order.for_payload(round_id, self.address, nonce, deadline, payload, max_debit)
        rounds = self.clients.rounds
        return _mined(rounds.submit_order(order, payload, self._signer()))

    def invalidate_nonce(self, nonce: int) -> Mined:
        """Revoke every signed order of the peer with a nonce up to ``nonce`` not yet relayed."""
        rounds = self.clients.rounds
        return _mined(rounds.invalidate_nonce(self._signer(), nonce))

    def release_finished(self) -> list[int]:
        """Release the peer's commitments to finished rounds it ordered in; the rounds released."""
        finished = self.finished_unreleased(self.address)
        if finished:
            self.clients.escrow.release(self._signer(), self.address, finished)
        return finished

    def withdraw(self, units: int) -> Mined:
        escrow = self.clients.escrow
        return _mined(escrow.withdraw(self._signer(), units))

    def claim(self, leaf: RevenueLeaf, proof: Sequence[bytes]) -> Mined:
        revenue = self.clients.revenue
        return _mined(revenue.claim(self._signer(), leaf, proof))  # type: ignore[arg-type]

    # --- reads -----------------------------------------------------------------------------------

    def token_decimals(self) -> int:
        return int(self._read(self.clients.token.decimals, "decimals"))

    def token_symbol(self) -> str:
        return str(self._read(self.clients.token.symbol, "symbol"))

    def now(self) -> int:
        return latest_time(self.w3)

    def ether(self, address: str) -> int:
        return balance(self.w3, checksum(address))

    def round_count(self) -> int:
        return int(self._read(self.clients.rounds.round_count, "roundCount"))

    def round(self, round_id: int) -> RoundInfo:
        return self._read(lambda: self.clients.rounds.round(round_id), "round")  # type: ignore[no-any-return]

    def nonce_of(self, address: str) -> int:
        return int(self._read(lambda: self.clients.rounds.nonce_of(checksum(address)), "nonceOf"))

    def escrow_account(self, address: str) -> EscrowAccount:
        return self._read(lambda: self.clients.escrow.account(checksum(address)), "accountOf")  # type: ignore[no-any-return]

    def withdrawable(self, address: str) -> int:
        return int(self._read(lambda: self.clients.escrow.withdrawable(checksum(address)), "withdrawable"))

    def is_applied(self, round_id: int, index: int) -> bool:
        return bool(self._read(lambda: self.clients.escrow.is_applied(round_id, index), "isApplied"))

    def round_settled(self, round_id: int) -> bool:
        return bool(self._read(lambda: self.clients.escrow.progress_complete(round_id), "progress"))

    def membership(self, address: str) -> tuple[int, int]:
        """(first round, last round) of the peer's membership (0, 0: never enrolled)."""
        member = self._read(lambda: self.clients.registry.member(checksum(address)), "member")
        return member.from_round, member.until_round

    def is_member(self, address: str, round_id: int) -> bool:
        return bool(
            self._read(lambda: self.clients.registry.is_member(checksum(address), round_id), "isMember")
        )

    def token_balance(self, address: str) -> int:
        return int(self._read(lambda: self.clients.token.balance_of(checksum(address)), "balanceOf"))

    def orders(self, round_id: int) -> list[OrderRecord]:
        """The round's accepted orders (events), each checked against its rebuilt hash."""
        first = self.manifest.first_block
        records: list[OrderRecord] = self._read(
            lambda: self.clients.rounds.order_records(round_id, first), "OrderAccepted logs"
        )
        for r in records:
            if r.order.struct_hash() != r.order_hash:
                raise ChainError(
                    f"round {round_id}: the order event of {r.peer} (nonce {r.nonce}) does not match"
                )
        return records

    def result_state(self, round_id: int) -> RoundResult:
        clearing, first = self.clients.clearing, self.manifest.first_block
        return self._read(lambda: clearing.round_result(round_id, first), "result state")  # type: ignore[no-any-return]

    def posted_document_hash(self, round_id: int) -> str:
        """The documentHash of the round's latest posted result ("" if none)."""
        clearing, first = self.clients.clearing, self.manifest.first_block
        found = self._read(lambda: clearing.posted_document_hash(round_id, first), "ResultPosted logs")
        return "0x" + found.hex() if found is not None else ""

    def finished_unreleased(self, address: str) -> list[int]:
        """Rounds ``address`` ordered in that are finished (settled, closed, void) and not yet released."""
        peer = checksum(address)
        logs = self._read(
            lambda: self.clients.rounds.orders_of(peer, self.manifest.first_block), "OrderAccepted"
        )
        rounds = sorted({int(log["args"]["roundId"]) for log in logs})
        registry, escrow = self.clients.registry, self.clients.escrow
        return [r for r in rounds if escrow.is_finished(r) and not registry.order_status(peer, r)[1]]

    def distributions(self) -> list[dict[str, Any]]:
        """Every ``DistributionCreated`` event's arguments, in chain order."""
        event = self.clients.revenue.contract.events.DistributionCreated()
        logs = self._read(lambda: event.get_logs(from_block=self.manifest.first_block), "DistributionCreated")
        return [dict(log["args"]) for log in logs]

    def is_claimed(self, distribution_id: int, index: int) -> bool:
        return bool(self._read(lambda: self.clients.revenue.is_claimed(distribution_id, index), "isClaimed"))

    def payout(self, distribution_id: int, share: int) -> int:
        """What a claim of ``share`` pays: the share plus its part of the carry (contract's ``payout``)."""
        return int(self._read(lambda: self.clients.revenue.payout(distribution_id, share), "payout"))

    def order_typed_data(
        self, peer: str, round_id: int, nonce: int, deadline: int, payload: bytes
    ) -> dict[str, Any]:
        """The typed data a browser wallet signs (``WALLET_NO_DEBIT_CAP``: exact in JavaScript)."""
        order = Order.for_payload(round_id, peer, nonce, deadline, payload, WALLET_NO_DEBIT_CAP)
        return order_typed_data(self.clients.rounds.domain(), order)


def _mined(receipt: Any) -> Mined:
    """The part of a receipt a peer's command reports."""
    tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
    return Mined("", tx_hash, int(receipt["gasUsed"]), int(receipt["blockNumber"]), int(receipt["status"]))
