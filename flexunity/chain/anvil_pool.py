"""What the ``Sender`` does about anvil's transaction pool (anvil 1.7.1; docs/oracle.md, "anvil under
CPU load"): gas limits never under the calldata floor, blocks mined by hand for automine's leftovers,
and an account's transactions taken out of the pool and sent again when anvil holds them unmined.

Three ways anvil leaves a sent transaction unmined without a word, each reproduced on anvil in
tests/chain/test_anvil_pool.py:

1. Automine builds one block from the transactions ready when its miner looks; those that do not fit
   in the block's gas stay ready, and nothing mines them until another transaction arrives
   (``nudge``).
2. ``eth_sendRawTransaction`` reads the sender's nonce, then adds the transaction to the pool; one
   whose predecessor is mined between the two (a thread descheduled there, as under CPU load) is
   queued for ever behind a predecessor that never comes again, and every later one of the account
   with it (``requeue``).
3. A transaction whose gas limit is under EIP-7623's calldata floor is taken, given a hash, then
   dropped when the next block is built (``at_least_floor``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from eth_account import Account
from web3 import Web3

Reporter = Callable[[str], None]
NUDGE_MAX_BLOCKS = 50  # blocks mined by hand at most per nudge (while anvil's pool has ready transactions)


class Waiting(Protocol):
    """A sent transaction still waiting (``rpc.Sent``)."""

    tx_hash: str
    nonce: int
    raw: bytes


W = TypeVar("W", bound=Waiting)


def calldata_floor(data: bytes) -> int:
    """EIP-7623's least gas of a transaction carrying ``data`` (Prague on): 21,000 + 10 per token, a
    zero byte one token and any other byte four. anvil takes a transaction with less and then drops it
    unmined, without a word, when it builds the next block."""
    zeros = data.count(0)
    return 21_000 + 10 * (zeros + 4 * (len(data) - zeros))


def at_least_floor(tx: dict[str, Any], label: str, report: Reporter) -> int:
    """``tx``'s gas limit, raised to its calldata floor if under it (said in ``report``)."""
    data = tx.get("data") or b""
    raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else bytes(data)
    gas, floor = int(tx["gas"]), calldata_floor(raw)
    if gas < floor:
        report(f"{label}: gas limit {gas} is under the calldata floor {floor} (EIP-7623); sending {floor}")
        return floor
    return gas


def nudge(w3: Web3, report: Reporter) -> None:
    """Mine blocks on anvil by hand while its pool holds transactions ready to be mined.

    Under CPU load anvil's miner looks late, when a whole batch is already in the pool, so the
    leftovers of one block wait (the pool says "k pending, 0 queued"). Blocks are mined until no
    ready transaction is left or a block takes none (at most NUDGE_MAX_BLOCKS)."""
    provider: Any = w3.provider
    blocks = 0
    with contextlib.suppress(Exception):
        while blocks < NUDGE_MAX_BLOCKS:
            provider.make_request("evm_mine", [])
            blocks += 1
            took = len(w3.eth.get_block("latest")["transactions"])
            if not took or int(provider.make_request("txpool_status", [])["result"]["pending"], 16) == 0:
                break  # nothing ready is left, or what is left a block does not take
    if blocks:
        report(f"transactions waiting on anvil: mined a block by hand ({blocks}) to let them through")


def requeue(w3: Web3, waiting: Sequence[W], report: Reporter) -> list[W]:
    """Take out of anvil's pool, and send again, an account's transactions it holds but never mines
    although the first one's nonce is the account's next one (called after a nudge).

    Mining blocks does not free such a transaction and anvil refuses the same bytes ("already
    imported"); removing the account's transactions from the pool (``anvil_removePoolTransactions``)
    and sending the same bytes again, in nonce order, does (same hashes). Returns the transactions
    not handled."""
    by_sender: dict[str, list[W]] = {}
    for s in waiting:
        if s.raw:
            by_sender.setdefault(sender_of(s.raw), []).append(s)
    handled: set[str] = set()
    provider: Any = w3.provider
    try:  # what anvil holds: "queued" (waiting for a predecessor) and "pending" (ready)
        content = provider.make_request("txpool_content", [])["result"]
        held = {
            (a.lower(), int(n), part)
            for part in ("queued", "pending")
            for a, by_nonce in content[part].items()
            for n in by_nonce
        }
    except Exception:  # the node cannot list its pool now: next time
        return list(waiting)
    for sender, mine in by_sender.items():
        mine.sort(key=lambda s: s.nonce)
        where = [p for a, n, p in held if a == sender.lower() and n == mine[0].nonce]
        if not where:
            continue  # not held (lost): sent again by the caller
        try:
            next_nonce = int(w3.eth.get_transaction_count(sender, "latest"))  # type: ignore[arg-type]
        except Exception:  # the node is busy: next time
            continue
        if mine[0].nonce != next_nonce:
            continue  # behind a real gap (another process's nonce): the diagnosis says so at the end
        with contextlib.suppress(Exception):
            provider.make_request("anvil_removePoolTransactions", [sender])
            for s in mine:
                with contextlib.suppress(Exception):
                    w3.eth.send_raw_transaction(s.raw)
            handled.update(s.tx_hash for s in mine)
            report(
                f"anvil held nonce {mine[0].nonce} of {sender}, the account's next, without mining it "
                f"even after a block by hand (in its pool as {where[0]}); took the account's "
                f"{len(mine)} waiting transaction(s) out of its pool and sent them again"
            )
    return [s for s in waiting if s.tx_hash not in handled]


def sender_of(raw: bytes) -> str:
    """The address that signed a raw transaction."""
    return str(Account.recover_transaction(raw))


def ranges(numbers: list[int]) -> str:
    """``[3, 4, 5, 9]`` as ``3-5, 9``."""
    out: list[str] = []
    for n in sorted(numbers):
        if out and int(out[-1].split("-")[-1]) == n - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)
