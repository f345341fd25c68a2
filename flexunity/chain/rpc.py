"""Sending transactions: ``Sender`` signs locally with explicit nonces (no unlocked accounts needed),
sends many at once in one JSON-RPC batch where the provider allows it (HTTP), one by one otherwise,
waits for every receipt (sending lost ones again), and explains a revert in words.

Its parts: retries (``retry.py``), JSON-RPC batches (``jsonrpc.py``), revert data in words
(``reverts.py``), diagnoses of stuck and reverted transactions (``diagnosis.py``); many
accounts' transactions at once in ``fanout.py``; what it does about anvil's pool in ``anvil_pool.py``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3RPCError

from flexunity.chain import anvil_pool
from flexunity.chain.diagnosis import SendDiagnosis
from flexunity.chain.jsonrpc import _int, batch_request, is_http
from flexunity.chain.retry import Reporter, _ignore, retrying
from flexunity.chain.reverts import ErrorDecoder
from flexunity.errors import ChainError

ANVIL_NUDGE_AFTER_S = 5.0  # seconds a batch may wait on anvil before a block is mined by hand


# --- sending ----------------------------------------------------------------------------------


@dataclass
class Sent:
    label: str
    tx_hash: str
    nonce: int
    raw: bytes = field(default=b"", repr=False)  # the signed bytes, to send again if the node loses it


@dataclass
class Mined:
    label: str
    tx_hash: str
    gas_used: int
    block: int
    status: int


class Sender(SendDiagnosis):
    """Locally signed transactions from one account, explicit nonces, batch sends where possible."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        decoder: ErrorDecoder | None = None,
        *,
        report: Reporter = _ignore,
        gas_margin: float = 1.25,
        receipt_timeout: float = 180.0,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.decoder = decoder or ErrorDecoder([])
        self.report = report
        self.gas_margin = gas_margin
        self.receipt_timeout = receipt_timeout
        self.chain_id = retrying(lambda: w3.eth.chain_id, what="eth_chainId", report=report)
        self._nonce: int | None = None
        self._is_anvil: bool | None = None

    def next_nonce(self) -> int:
        """The pending nonce from the node at first use (and after a failure), then counted locally."""
        if self._nonce is None:
            self._nonce = retrying(
                lambda: self.w3.eth.get_transaction_count(self.account.address, "pending"),
                what="eth_getTransactionCount",
                report=self.report,
            )
        nonce = self._nonce
        self._nonce += 1
        return nonce

    def reset_nonce(self) -> None:
        self._nonce = None

    def gas_price(self) -> int:
        price = retrying(lambda: self.w3.eth.gas_price, what="eth_gasPrice", report=self.report)
        return int(price)

    def estimate(self, fn: Any, label: str, value: int = 0) -> int:
        """Gas for a contract call; a call that would revert raises a ChainError in words, unsent."""
        try:
            gas = retrying(
                lambda: fn.estimate_gas({"from": self.account.address, "value": value}),
                what=f"estimate {label}",
                report=self.report,
            )
        except ContractLogicError as exc:
            raise ChainError(f"{label} would revert: {self.decoder.explain_exception(exc)}") from None
        except Web3RPCError as exc:
            raise ChainError(f"{label} would revert: {self.decoder.explain_exception(exc)}") from None
        return int(gas * self.gas_margin) + 10_000

    def sign(
        self, fn: Any, label: str, *, gas: int | None = None, gas_price: int | None = None, value: int = 0
    ) -> tuple[bytes, int]:
        gas = gas if gas is not None else self.estimate(fn, label, value)
        nonce = self.next_nonce()
        tx = fn.build_transaction(
            {
                "from": self.account.address,
                "nonce": nonce,
                "gas": gas,
                "chainId": self.chain_id,
                "gasPrice": gas_price if gas_price is not None else self.gas_price(),
                "value": value,
            }
        )
        tx["gas"] = anvil_pool.at_least_floor(tx, label, self.report)
        signed = self.account.sign_transaction(tx)
        return bytes(signed.raw_transaction), nonce

    def transact(self, fn: Any, label: str, *, gas: int | None = None, value: int = 0) -> Mined:
        """Sign, send and wait for one transaction; a revert raises a ChainError in words."""
        return self.transact_many([(fn, label)], gas=gas, value=value)[0]

    def transact_many(
        self,
        calls: Sequence[tuple[Any, str]],
        *,
        gas: int | None = None,
        value: int = 0,
        estimate_each: bool = True,
    ) -> list[Mined]:
        """Sign every call with consecutive nonces, send them together, wait for every receipt."""
        return self.wait_all(self.broadcast(calls, gas=gas, value=value, estimate_each=estimate_each))

    def broadcast(
        self,
        calls: Sequence[tuple[Any, str]],
        *,
        gas: int | None = None,
        value: int = 0,
        estimate_each: bool = True,
    ) -> list[Sent]:
        """Sign every call with consecutive nonces and send them together, without waiting."""
        if not calls:
            return []
        self.reset_nonce()  # another process (or another Sender) may have used this key meanwhile
        price = self.gas_price()
        gases = [gas] * len(calls) if gas is not None else self._estimates(calls, value, estimate_each)
        raws: list[tuple[bytes, str, int]] = []
        for (fn, label), g in zip(calls, gases, strict=False):
            raw, nonce = self.sign(fn, label, gas=g, gas_price=price, value=value)
            raws.append((raw, label, nonce))
        return self.send_raw_many(raws)

    def _estimates(self, calls: Sequence[tuple[Any, str]], value: int, each: bool) -> list[int]:
        if each:
            return [self.estimate(fn, label, value) for fn, label in calls]
        first = self.estimate(calls[0][0], calls[0][1], value)
        return [first] * len(calls)

    def send_raw_many(self, raws: Sequence[tuple[bytes, str, int]]) -> list[Sent]:
        if is_http(self.w3) and len(raws) > 1:
            return self._send_batch(raws)
        sent = []
        for raw, label, nonce in raws:
            try:
                tx_hash = retrying(
                    partial(self.w3.eth.send_raw_transaction, raw), what=f"send {label}", report=self.report
                )
            except (Web3RPCError, ValueError) as exc:
                self.reset_nonce()
                raise ChainError(
                    f"{label} was refused by the node: {self.decoder.explain_exception(exc)}"
                ) from None
            sent.append(Sent(label, "0x" + bytes(tx_hash).hex(), nonce, raw))
        return sent

    def _send_batch(self, raws: Sequence[tuple[bytes, str, int]], chunk: int = 500) -> list[Sent]:
        sent: list[Sent] = []
        for start in range(0, len(raws), chunk):
            part = raws[start : start + chunk]
            requests_: list[tuple[str, list[Any]]] = [
                ("eth_sendRawTransaction", ["0x" + raw.hex()]) for raw, _, _ in part
            ]
            try:
                responses = batch_request(self.w3, requests_, what="batch send", report=self.report)
            except ChainError:
                self.reset_nonce()
                raise
            for (raw, label, nonce), response in zip(part, responses, strict=False):
                if "error" in response:
                    self.reset_nonce()
                    message = response["error"].get("message", response["error"])
                    raise ChainError(f"{label} was refused by the node: {message}")
                sent.append(Sent(label, str(response["result"]), nonce, raw))
        return sent

    def wait_all(self, sent: Sequence[Sent], poll: float = 0.05) -> list[Mined]:
        """Receipts of every sent transaction (batch-polled); a revert raises in words."""
        pending = {s.tx_hash: s for s in sent}
        mined: dict[str, Mined] = {}
        deadline = time.monotonic() + self.receipt_timeout
        next_nudge = time.monotonic() + ANVIL_NUDGE_AFTER_S
        while pending:
            for tx_hash, receipt in self._receipts(list(pending)).items():
                if receipt is None:
                    continue
                s = pending.pop(tx_hash)
                mined[tx_hash] = Mined(
                    s.label,
                    tx_hash,
                    _int(receipt["gasUsed"]),
                    _int(receipt["blockNumber"]),
                    _int(receipt["status"]),
                )
            if pending:
                if time.monotonic() > deadline:
                    raise ChainError(
                        f"{len(pending)} transactions not mined within {self.receipt_timeout:.0f} s"
                        f"{self._nonce_diagnosis(list(pending.values()))}"
                    )
                if time.monotonic() > next_nudge:
                    self._nudge_anvil()
                    self._send_again(list(pending.values()))
                    next_nudge = time.monotonic() + ANVIL_NUDGE_AFTER_S
                time.sleep(poll)
                poll = min(poll * 1.5, 1.0)
        result = [mined[s.tx_hash] for s in sent]
        for m in result:
            if m.status != 1:
                self.reset_nonce()
                raise ChainError(f"{m.label} reverted (tx {m.tx_hash}): {self.why_reverted(m.tx_hash)}")
        return result

    def _send_again(self, waiting: list[Sent]) -> None:
        """Send waiting transactions again, lowest nonce first, as wallets rebroadcast.

        Once, on a CI run, anvil accepted a batch of 35 transactions (every one got its hash) and then
        mined only those before nonce 58: the transaction with that nonce was gone from its pool, so
        all later ones waited behind the gap for ever and mining blocks did not help. Sending the same
        signed bytes again restores it; a node that still holds a transaction refuses the copy
        ("already known", "nonce too low"), which is ignored. On anvil, a transaction it holds but
        never mines although its nonce is the account's next one is taken out and sent again
        (``anvil_pool.requeue``)."""
        if self._anvil():
            waiting = anvil_pool.requeue(self.w3, waiting, self.report)
        again = []
        for s in sorted(waiting, key=lambda s: s.nonce):
            if not s.raw:
                continue
            with contextlib.suppress(Exception):
                self.w3.eth.send_raw_transaction(s.raw)
                again.append(s.nonce)
        if again:
            self.report(
                f"the node had lost {len(again)} waiting transaction(s) "
                f"(nonces {anvil_pool.ranges(again)}); sent again"
            )

    def await_pending(self) -> int:
        """Wait until every transaction of this account that the node holds is mined.

        A process killed after broadcasting leaves its transaction in the node's pool; the restarted
        oracle must see its effect on chain before deciding to send again (else both land and the
        second reverts). Returns how many were waited for."""

        def count(block: Any) -> int:
            get: Any = partial(self.w3.eth.get_transaction_count, self.account.address, block)
            return int(retrying(get, what="eth_getTransactionCount", report=self.report))

        mined, pending = count("latest"), count("pending")
        if pending <= mined:
            return 0
        self.report(
            f"{pending - mined} transaction(s) of {self.address} sent earlier are not mined yet; "
            "waiting for them before looking at the chain again"
        )
        deadline = time.monotonic() + self.receipt_timeout
        next_nudge = time.monotonic() + ANVIL_NUDGE_AFTER_S
        while count("latest") < pending:
            if time.monotonic() > deadline:
                raise ChainError(
                    f"{pending - count('latest')} earlier transaction(s) of {self.address} not mined "
                    f"within {self.receipt_timeout:.0f} s{self._nonce_diagnosis([])}"
                )
            if time.monotonic() > next_nudge:
                self._nudge_anvil()
                next_nudge = time.monotonic() + ANVIL_NUDGE_AFTER_S
            time.sleep(0.2)
        self.reset_nonce()
        return pending - mined

    def _nudge_anvil(self) -> None:
        """Mine blocks on anvil by hand while its pool holds ready transactions (``anvil_pool.nudge``).
        Other nodes are left alone: on them the transaction simply waits for its block."""
        if self._anvil():
            anvil_pool.nudge(self.w3, self.report)

    def _anvil(self) -> bool:
        """Whether the node is anvil (its own methods may be used)."""
        if self._is_anvil is None:
            try:
                self._is_anvil = str(self.w3.client_version).lower().startswith("anvil")
            except Exception:  # a node that cannot say what it is gets no anvil methods
                self._is_anvil = False
        return self._is_anvil

    def _receipts(self, hashes: list[str]) -> dict[str, Any]:
        if is_http(self.w3) and len(hashes) > 1:
            out: dict[str, Any] = {}
            for start in range(0, len(hashes), 500):
                part = hashes[start : start + 500]
                asks: list[tuple[str, list[Any]]] = [("eth_getTransactionReceipt", [h]) for h in part]
                responses = batch_request(self.w3, asks, what="batch receipts", report=self.report)
                out.update({h: r.get("result") for h, r in zip(part, responses, strict=False)})
            return out
        result: dict[str, Any] = {}
        for h in hashes:
            try:
                get: Any = partial(self.w3.eth.get_transaction_receipt, HexStr(h))
                result[h] = retrying(get, what="receipt", report=self.report)
            except Exception as exc:  # web3 raises TransactionNotFound while pending
                if type(exc).__name__ != "TransactionNotFound":
                    raise
                result[h] = None
        return result
