"""Talking to a node: retries with exponential backoff, local signing, batch sends, reverts in words.

- ``retrying(call)`` repeats a call while the node cannot be reached (connection refused, timeout,
  HTTP 5xx), waiting 0.5 s, 1 s, 2 s, ... and reporting each failure; after the last attempt it raises
  a ``ChainError`` saying which node is dead.
- ``Sender`` signs transactions locally with explicit nonces (no unlocked accounts needed) and sends
  many at once in one JSON-RPC batch where the provider allows it (HTTP), one by one otherwise.
- ``ErrorDecoder`` turns revert data into ``ErrorName(arg=value, ...)`` from every ABI it knows.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import requests
from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError

from flexunity.chain.reverts import ErrorDecoder as ChainErrorDecoder
from flexunity.errors import ChainError

T = TypeVar("T")
Reporter = Callable[[str], None]
TRANSIENT = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError, TimeExhausted)


def _ignore(_: str) -> None:
    pass


class NodeDown(ChainError):
    """The node did not answer (connection refused, timeouts, HTTP 5xx) through every retry."""


ATTEMPTS = 6
ANVIL_NUDGE_AFTER_S = 5.0  # seconds a batch may wait on anvil before a block is mined by hand
BASE_DELAY = 0.5  # seconds; waits are 0.5, 1, 2, 4, 8 s (about 15 s in all before giving up)


def retrying(
    call: Callable[[], T],
    *,
    what: str = "RPC call",
    attempts: int | None = None,
    base_delay: float | None = None,
    report: Reporter = _ignore,
) -> T:
    """Run ``call``; on a transient node failure wait base·2^k seconds and try again."""
    attempts = ATTEMPTS if attempts is None else attempts
    base_delay = BASE_DELAY if base_delay is None else base_delay
    for attempt in range(attempts):
        try:
            return call()
        except TRANSIENT as exc:
            if attempt == attempts - 1:
                raise NodeDown(
                    f"{what}: the node did not answer after {attempts} attempts ({str(exc)[:160]})"
                ) from None
            delay = base_delay * 2**attempt
            report(f"{what}: node unreachable ({type(exc).__name__}); retry {attempt + 1} in {delay:.1f} s")
            time.sleep(delay)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status < 500:
                raise ChainError(f"{what}: the node answered HTTP {status}") from None
            if attempt == attempts - 1:
                raise NodeDown(f"{what}: the node answered HTTP {status} {attempts} times") from None
            time.sleep(base_delay * 2**attempt)
    raise AssertionError("unreachable")


# --- revert explanations -------------------------------------------------------------------------


class ErrorDecoder(ChainErrorDecoder):
    """The chain room's decoder of custom errors, plus reading revert data out of web3's exceptions."""

    @classmethod
    def from_abis(cls, abis: Iterable[list[dict[str, Any]]]) -> ErrorDecoder:
        return cls(list(abis))

    def explain(self, data: str | bytes | None) -> str:
        raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else (data or b"")
        if len(raw) < 4:
            return "reverted without a reason"
        if raw[:4] == keccak(b"Error(string)")[:4]:
            return f"Error({abi_decode(['string'], raw[4:])[0]!r})"
        if raw[:4] == keccak(b"Panic(uint256)")[:4]:
            return f"Panic(0x{abi_decode(['uint256'], raw[4:])[0]:02x})"
        return self.describe(raw)

    def explain_exception(self, exc: Exception) -> str:
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            return self.explain(data)
        message = str(exc)
        marker = message.find("0x")
        if marker >= 0:
            candidate = message[marker:].split()[0].strip("'\",)}")
            if len(candidate) >= 10 and all(c in "0123456789abcdefABCDEF" for c in candidate[2:]):
                return self.explain(candidate)
        return message


def is_http(w3: Web3) -> bool:
    """Whether the provider speaks JSON-RPC over HTTP (and so takes batches)."""
    return hasattr(w3.provider, "endpoint_uri")


def batch_request(
    w3: Web3, requests_: list[tuple[str, list[Any]]], *, what: str, report: Reporter = lambda _: None
) -> list[dict[str, Any]]:
    """One JSON-RPC batch (``provider.make_batch_request``), retried; the responses in request order."""
    provider: Any = w3.provider

    def call() -> Any:
        return provider.make_batch_request(requests_)

    responses = retrying(call, what=what, report=report)
    if not isinstance(responses, list):
        raise ChainError(f"{what}: the node refused the batch: {responses.get('error')}")
    return responses


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


class Sender:
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

    @property
    def address(self) -> str:
        return str(self.account.address)

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
                    self._send_again(list(pending.values()))
                    self._nudge_anvil()
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
        ("already known", "nonce too low"), which is ignored."""
        again = 0
        for s in sorted(waiting, key=lambda s: s.nonce):
            if not s.raw:
                continue
            with contextlib.suppress(Exception):
                self.w3.eth.send_raw_transaction(s.raw)
                again += 1
        if again:
            self.report(f"sent {again} waiting transaction(s) again, in case the node lost them")

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
        """Mine one block on anvil when transactions wait there.

        Twice, under CI load, a batch-sent transaction stayed unmined on an automining anvil while its
        nonce was the account's next one (our guess: it was queued when the batch arrived out of
        nonce order, and automine mines only on arrival). Another block lets it through. Other
        nodes are left alone: on them the transaction simply waits for its block."""
        if self._is_anvil is None:
            try:
                self._is_anvil = str(self.w3.client_version).lower().startswith("anvil")
            except Exception:  # a node that cannot say what it is gets no nudge
                self._is_anvil = False
        if self._is_anvil:
            with contextlib.suppress(Exception):
                self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
                self.report("transactions waiting on anvil: mined a block to let them through")

    def _nonce_diagnosis(self, stuck: list[Sent]) -> str:
        """Why transactions may be stuck: a nonce gap means another process used this key."""
        try:
            mined = int(self.w3.eth.get_transaction_count(self.account.address, "latest"))
        except Exception:  # the diagnosis must not hide the timeout itself
            return ""
        first = min((s.nonce for s in stuck), default=mined)
        if first > mined:
            return (
                f"; {self.address} has {mined} mined transactions but ours start at nonce {first}: "
                "a nonce gap (is another process sending with this key?)"
            )
        return f"; the node has mined {mined} transactions of {self.address}{self._pool_diagnosis(stuck)}"

    def _pool_diagnosis(self, stuck: list[Sent]) -> str:
        """Does the node still hold the first stuck transaction, and can it pay the base fee now?
        (Says whether the node stopped mining it or lost it, and why.)"""
        if not stuck:
            return ""
        first = min(stuck, key=lambda s: s.nonce)
        parts = []
        with contextlib.suppress(Exception):
            tx = self.w3.eth.get_transaction(first.tx_hash)  # type: ignore[arg-type]
            base = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))
            price = int(tx.get("maxFeePerGas", tx.get("gasPrice", 0)))
            parts.append(f"nonce {first.nonce} is in its pool, priced {price} wei/gas, base fee now {base}")
        if not parts:
            parts.append(f"the node does not know nonce {first.nonce}'s transaction any more (lost)")
        with contextlib.suppress(Exception):
            status = self.w3.provider.make_request("txpool_status", [])["result"]  # type: ignore[arg-type]
            parts.append(f"pool {int(status['pending'], 16)} pending, {int(status['queued'], 16)} queued")
        return "; " + ", ".join(parts)

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

    def why_reverted(self, tx_hash: str) -> str:
        """Replay a reverted transaction with eth_call at its block to read the revert data."""
        try:
            tx = self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
            call = {
                "from": tx["from"],
                "to": tx["to"],
                "data": tx["input"],
                "value": tx["value"],
                "gas": tx["gas"],
            }
            block = tx["blockNumber"]
        except Exception as exc:  # the replay itself failed: say so rather than hide the revert
            return f"(could not replay: {exc})"
        # Before its block first; then before it with the block's own time (a gate closure passed in
        # that block); if both pass, a transaction earlier in the same block changed the state it
        # reverted on (say another post of the same result): replay it after the block.
        reason = self._replay_at(call, block - 1 if block else "latest", "")
        if reason is None and block:
            reason = self._replay_in_block(call, block) or self._replay_at(
                call,
                block,
                " (replayed after its block: an earlier transaction in the same block made it revert)",
            )
        if reason:
            return reason
        if tx["gas"] and self._gas_used(tx_hash) >= int(tx["gas"]):
            return f"out of gas (it used all its {tx['gas']} gas)"
        return "reverted only in its original position in the block; the replays before and after pass"

    def _replay_at(self, call: dict[str, Any], at: Any, note: str) -> str | None:
        """The revert reason of ``call`` on the state at block ``at`` (with ``note``), None if it passes."""
        try:
            self.w3.eth.call(call, at)  # type: ignore[arg-type]
        except (ContractLogicError, Web3RPCError) as exc:
            return self.decoder.explain_exception(exc) + note
        except Exception as exc:  # the replay itself failed: say so rather than hide the revert
            return f"(could not replay: {exc})"
        return None

    def _gas_used(self, tx_hash: str) -> int:
        try:
            return int(self.w3.eth.get_transaction_receipt(tx_hash)["gasUsed"])  # type: ignore[arg-type]
        except Exception:  # no receipt to read: no claim about gas
            return 0

    def _replay_in_block(self, call: dict[str, Any], number: int) -> str:
        """Replay on the state before the block, with the block's own time and number (eth_call's block
        overrides, anvil and geth): a call that depends on time (a gate closure) then reverts as it did,
        where a plain replay runs under the previous block's older time. '' if that does not tell."""
        if not is_http(self.w3):
            return ""
        try:
            block = self.w3.eth.get_block(number)
            plain = {k: hex(v) if isinstance(v, int) else v for k, v in call.items()}
            overrides = {"time": hex(int(block["timestamp"])), "number": hex(number)}
            answer = self.w3.provider.make_request(
                "eth_call",  # type: ignore[arg-type]
                [plain, hex(number - 1), {}, overrides],
            )
        except Exception:  # the node cannot replay with overrides: fall back to the plain answer
            return ""
        error = answer.get("error") if isinstance(answer, dict) else None
        if not isinstance(error, dict):
            return ""
        data = error.get("data")
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            return self.decoder.explain(data)
        return str(error.get("message", ""))


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def send_from_many(
    w3: Web3,
    calls: Sequence[tuple[LocalAccount, Any, str]],
    *,
    gas: int,
    decoder: ErrorDecoder | None = None,
    report: Reporter = _ignore,
) -> list[Mined]:
    """One transaction from each of many accounts (peers' deposits, withdrawals), sent together.

    Every account signs its own transaction locally; nonces are read in one batch; the caller gives a
    gas limit (estimate one representative call first).
    """
    if not calls:
        return []
    chain_id = retrying(lambda: w3.eth.chain_id, what="eth_chainId", report=report)
    price = int(retrying(lambda: w3.eth.gas_price, what="eth_gasPrice", report=report))
    nonces = _nonces(w3, [str(a.address) for a, _, _ in calls], report)
    raws: list[tuple[bytes, str, int]] = []
    for (account, fn, label), nonce in zip(calls, nonces, strict=False):
        tx = fn.build_transaction(
            {
                "from": account.address,
                "nonce": nonce,
                "gas": gas,
                "chainId": chain_id,
                "gasPrice": price,
                "value": 0,
            }
        )
        raws.append((bytes(account.sign_transaction(tx).raw_transaction), label, nonce))
    sender = Sender(w3, calls[0][0], decoder, report=report)
    return sender.wait_all(sender.send_raw_many(raws))


def _nonces(w3: Web3, addresses: list[str], report: Reporter) -> list[int]:
    """Pending nonces of many accounts; an account appearing twice gets consecutive nonces."""
    unique = list(dict.fromkeys(addresses))
    if is_http(w3) and len(unique) > 1:
        asks: list[tuple[str, list[Any]]] = [("eth_getTransactionCount", [a, "pending"]) for a in unique]
        responses = batch_request(w3, asks, what="batch nonces", report=report)
        base = {a: _int(r["result"]) for a, r in zip(unique, responses, strict=False)}
    else:
        base = {a: int(w3.eth.get_transaction_count(a, "pending")) for a in unique}  # type: ignore[arg-type]
    out = []
    for address in addresses:
        out.append(base[address])
        base[address] += 1
    return out


def send_ether(funder: Sender, addresses: Sequence[str], amount_wei: int) -> list[Mined]:
    """Plain transfers from ``funder``, signed locally with consecutive nonces, sent in one batch."""
    from eth_utils import to_checksum_address

    price = funder.gas_price()
    raws = []
    for address in addresses:
        nonce = funder.next_nonce()
        tx: dict[str, Any] = {
            "to": to_checksum_address(address),
            "value": amount_wei,
            "gas": 21_000,
            "gasPrice": price,
            "nonce": nonce,
            "chainId": funder.chain_id,
        }
        signed = funder.account.sign_transaction(tx)  # type: ignore[arg-type]
        raws.append((bytes(signed.raw_transaction), f"fund {address}", nonce))
    return funder.wait_all(funder.send_raw_many(raws))
