"""Gas of every on-chain step of a round, measured on the in-process eth-tester chain.

``run_gas_benchmark(payloads)`` deploys a fresh community with one member per order payload, runs two
rounds and a revenue distribution, and returns one row per operation: gas of the transaction, and gas
per order or per peer for batches (the transaction's gas divided by the batch size, 21,000 base
included). The ``flexunity bench gas`` command prints these rows, for the payloads a generated
community's peers send (``FXO1`` order documents, flexunity.record.orders, which this room does not
import: the caller encodes them). Targets are the issue's (docs/contracts.md). An order costs about
24 gas more per payload byte (16 calldata, 8 log data).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eth_account import Account
from web3 import Web3
from web3.types import TxReceipt, Wei

from flexunity.chain.contracts import ContractClients, PeerKind, SignedOrder
from flexunity.chain.deploy import ClearingConfig, RoleAccounts, deploy_all
from flexunity.chain.eip712 import ClearingResult, Order, order_typed_data, result_typed_data, sign_typed_data
from flexunity.chain.settlement import revenue_leaves, revenue_tree, settlement_leaves, settlement_tree

TARGETS = {"result posting": 100_000, "settlement": 30_000, "relayed order": 40_000}
CHALLENGE = 3600


STEPS = 11  # progress reports of one benchmark run (deployment included)


def run_gas_benchmark(
    payloads: Sequence[bytes], intervals: int = 24, report: Callable[[str], None] = lambda _: None
) -> list[dict[str, Any]]:
    """Measure each operation; see the module docstring. Peer i orders ``payloads[i]`` (non-empty) in
    rounds of ``intervals`` hours; their count is the relay batch size.

    ``report`` is told each step as it starts (``STEPS`` in all), for a progress display."""
    if not payloads or not all(payloads):
        raise ValueError("the gas benchmark needs at least one order payload, none of them empty")
    from flexunity.chain.devnet import eth_tester_web3

    report("deploy the contracts on eth-tester")
    bench = _Bench(eth_tester_web3(), payloads, intervals)
    rows = bench.run(report)
    for row in rows:
        target = row["target"]
        row["within_target"] = None if target is None else row["gas"] <= target
    return rows


class _Bench:
    def __init__(self, w3: Web3, payloads: Sequence[bytes], intervals: int) -> None:
        self.w3, self.payloads, self.intervals = w3, list(payloads), intervals
        self.roles = RoleAccounts.from_accounts(w3.eth.accounts)
        config = ClearingConfig(challenge_window=CHALLENGE, result_timeout=86400, dispute_bond=10**6)
        self.community = ContractClients(w3, deploy_all(w3, self.roles, config=config, admin_delay=0))
        self.peers = [Account.from_key(Web3.keccak(text=f"gas bench peer {i}")) for i in range(len(payloads))]
        self.cm_key = self._tester_key(self.roles.community_manager)
        self.rows: list[dict[str, Any]] = []

    def run(self, report: Callable[[str], None] = lambda _: None) -> list[dict[str, Any]]:
        report(f"enrol and fund {len(self.peers)} peers")
        self._enrol_and_fund()
        report("open round 1")
        first = self._open_round()
        report("relay round 1's orders")
        self._relay(first, nonce=1, label="relayed order, first order of each peer")
        report("open round 2")
        second = self._open_round(label="round opening (schedule + config hash)")
        report("relay round 2's orders, one direct order")
        self._relay(second, nonce=2, label="relayed order")
        self._direct(second)
        self._travel(700)
        report("post round 1's result")
        tree = self._post_result(first)
        self._travel(CHALLENGE + 1)
        report("settle round 1")
        self._settle(tree)
        report("post and settle an empty round")
        self._post_and_settle_empty_round(second)
        report("withdrawals")
        self._withdraw()
        report("revenue distribution and claims")
        self._revenue()
        return self.rows

    # ─── steps ───

    def _enrol_and_fund(self) -> None:
        c, cm = self.community, self.roles.community_manager
        tester = self.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        for i, peer in enumerate(self.peers):
            tester.add_account(peer.key.hex())
            self.w3.eth.send_transaction({"from": self.roles.admin, "to": peer.address, "value": Wei(10**18)})
            c.registry.enrol(cm, peer.address, PeerKind.PROSUMER)
            c.token.mint(cm, peer.address, 10**9)
            c.token.approve(peer.address, c.escrow.address, 2**256 - 1)
            first = c.escrow.deposit(peer.address, 10**8)
            if i == 0:
                self._row("deposit, first", first)
                self._row("deposit, again", c.escrow.deposit(peer.address, 10**8))
        c.token.mint(cm, cm, 10**12)
        c.token.approve(cm, c.revenue.address, 2**256 - 1)

    def _open_round(self, label: str | None = None) -> int:
        now = self._now()
        config_hash = Web3.keccak(text=f"gas bench round config {now}")
        round_id = self.community.rounds.open_round(
            self.roles.community_manager, now + 4200, now + 600, 3600, self.intervals, bytes(config_hash)
        )
        if label is not None:
            (tx_hash,) = self.w3.eth.get_block("latest")["transactions"]
            self._row(label, self.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        return round_id

    def _relay(self, round_id: int, nonce: int, label: str) -> None:
        c, deadline = self.community, self._now() + 3000
        batch = []
        for peer, data in zip(self.peers, self.payloads, strict=True):
            order = Order.for_payload(round_id, peer.address, nonce, deadline, data)
            signature = sign_typed_data(peer.key, order_typed_data(c.rounds.domain(), order))
            batch.append(SignedOrder(order, data, signature))
        receipt = c.rounds.relay_orders(self.roles.community_manager, batch)
        self._row(label, receipt, per="order", batch=len(batch), target=TARGETS["relayed order"])

    def _direct(self, round_id: int) -> None:
        peer, data = self.peers[0], self.payloads[0]
        order = Order.for_payload(round_id, peer.address, 3, self._now() + 3000, data)
        self._row("order submitted directly (replacing one)", self.community.rounds.submit_order(order, data))

    def _post_result(self, round_id: int) -> Any:
        c = self.community
        bills = {p.address: (1000 + i if i % 2 == 0 else -(900 + i)) for i, p in enumerate(self.peers)}
        fees = 50
        bills[self.roles.community_manager] = -fees
        bills[self.roles.supplier] = -(sum(bills.values()))
        tree = settlement_tree(round_id, settlement_leaves(round_id, bills))
        result = ClearingResult(
            round_id, c.rounds.round(round_id).digest, tree.root, b"\x42" * 32, len(tree.leaves),
            tree.total_debit, tree.total_credit, fees, -bills[self.roles.supplier], 10_000, 20_000, 30_000,
        )  # fmt: skip
        signature = sign_typed_data(self.cm_key, result_typed_data(c.clearing.domain(), result))
        receipt = c.clearing.post_result(self.roles.community_manager, result, [signature])
        self._row(f"result posting ({len(tree.leaves)} leaves)", receipt, target=TARGETS["result posting"])
        return tree

    def _settle(self, tree: Any) -> None:
        state = self.community.clearing.round_result(tree.round_id)
        receipts = self.community.escrow.apply_settlements(
            self.roles.community_manager, tree, state, batch_size=len(self.peers)
        )
        leaves, total = len(tree.leaves), sum(m.gas_used for m in receipts)
        self.rows.append(
            {
                "operation": f"settlement per peer ({leaves} leaves in {len(receipts)} batches)",
                "gas": total // leaves,
                "per": "peer",
                "batch": leaves // len(receipts),
                "target": TARGETS["settlement"],
            }
        )

    def _post_and_settle_empty_round(self, round_id: int) -> None:
        """Round 2 is voided after the result timeout; releasing finished rounds frees a deposit."""
        self._travel(86400 + 1)
        self.community.clearing.void(self.roles.community_manager, round_id)
        peer = self.peers[1].address
        receipt = self.community.escrow.release(self.roles.community_manager, peer, [round_id - 1, round_id])
        assert receipt is not None
        self._row("release a peer's commitments (2 finished rounds)", receipt)

    def _withdraw(self) -> None:
        peer = self.peers[1]
        self._row("withdraw", self.community.escrow.withdraw(peer.address, 10**6))

    def _revenue(self) -> None:
        c, cm = self.community, self.roles.community_manager
        shares = {p.address: 1000 + i for i, p in enumerate(self.peers)}
        leaves = revenue_leaves(1, shares)
        tree = revenue_tree(leaves)
        distribution = c.revenue.create_distribution(
            cm, tree.root, sum(shares.values()), self._now() + 86400, b"\1" * 32, round_id=1
        )
        assert distribution == 1
        receipt = c.revenue.claim(self.peers[2].address, leaves[2], tree.proof(2))
        self._row(f"revenue claim ({len(leaves)} shares)", receipt)
        # the rest is swept into the carry; the next distribution takes it in, its claims pay it pro rata
        self._travel(86400 + 1)
        c.revenue.sweep(cm, 1)
        leaves = revenue_leaves(2, shares)
        tree = revenue_tree(leaves)
        c.revenue.create_distribution(
            cm, tree.root, sum(shares.values()), self._now() + 86400, b"\2" * 32, round_id=2
        )
        receipt = c.revenue.claim(self.peers[2].address, leaves[2], tree.proof(2))
        self._row(f"revenue claim ({len(leaves)} shares, a carry taken in)", receipt)

    # ─── helpers ───

    def _row(self, operation: str, receipt: TxReceipt, *, per: str = "tx", batch: int = 1,
             target: int | None = None) -> None:  # fmt: skip
        self.rows.append(
            {
                "operation": operation,
                "gas": receipt["gasUsed"] // batch,
                "per": per,
                "batch": batch,
                "target": target,
            }
        )

    def _now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def _travel(self, seconds: int) -> None:
        tester = self.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        tester.time_travel(self._now() + seconds)
        tester.mine_blocks(1)

    def _tester_key(self, address: str) -> bytes:
        tester = self.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        for key in tester.backend.account_keys:
            if key.public_key.to_checksum_address() == address:
                return bytes(key.to_bytes())
        raise KeyError(address)
