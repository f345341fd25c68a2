"""Many peers at once: one transaction from each of many local keys, sent together.

Setting up a community (the demo, a pilot's rehearsal, tests) has every peer approve and deposit, and
at the end withdraw; each peer signs its own transaction (``flexunity.chain.rpc.send_from_many``).
One representative call is estimated and its gas stands for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flexunity.chain.accounts import LocalAccount
from flexunity.chain.contracts import ContractClients
from flexunity.chain.fanout import send_from_many
from flexunity.chain.retry import Reporter
from flexunity.chain.reverts import ErrorDecoder
from flexunity.chain.rpc import Mined

# One estimate stands for every peer's call: the others may touch colder storage (a first allowance
# or balance slot of their own), so the limit is the estimate with a margin plus one cold-slot write
# (20,000 gas, EIP-2200 SSTORE of a zero slot).
EACH_GAS_MARGIN = 1.3
EACH_GAS_HEADROOM = 20_000


def each_gas(fn: Any, sender: str) -> int:
    """The gas limit of one of many accounts' similar calls, from ``sender``'s estimate."""
    return int(fn.estimate_gas({"from": sender}) * EACH_GAS_MARGIN) + EACH_GAS_HEADROOM


def deposit_each(
    clients: ContractClients,
    holders: Sequence[tuple[LocalAccount, int]],
    decoder: ErrorDecoder,
    report: Reporter = lambda _: None,
) -> list[Mined]:
    """Every (account, amount): approve the escrow, then deposit for itself."""
    if not holders:
        return []
    token = clients.token.contract.functions
    escrow_address = clients.escrow.address
    escrow = clients.escrow.contract.functions
    first, amount0 = holders[0]
    approve_gas = each_gas(token.approve(escrow_address, amount0), first.address)
    approves = [(a, token.approve(escrow_address, amount), "approve") for a, amount in holders]
    mined = send_from_many(clients.w3, approves, gas=approve_gas, decoder=decoder, report=report)
    deposit_gas = each_gas(escrow.deposit(first.address, amount0), first.address)
    deposits = [(a, escrow.deposit(a.address, amount), "deposit") for a, amount in holders]
    return mined + send_from_many(clients.w3, deposits, gas=deposit_gas, decoder=decoder, report=report)


def withdraw_each(
    clients: ContractClients, accounts: Sequence[LocalAccount], decoder: ErrorDecoder
) -> tuple[list[Mined], int]:
    """Every account withdraws all it can to itself; (the transactions, the total withdrawn)."""
    escrow = clients.escrow
    amounts = [(a, escrow.withdrawable(a.address)) for a in accounts]
    fn = escrow.contract.functions.withdraw
    calls = [(a, fn(amount, a.address), "withdraw") for a, amount in amounts if amount > 0]
    if not calls:
        return [], 0
    limit = each_gas(calls[0][1], calls[0][0].address)
    mined = send_from_many(clients.w3, calls, gas=limit, decoder=decoder)
    return mined, sum(amount for _, amount in amounts)
