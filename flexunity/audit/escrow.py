"""The escrow's books replayed from its events: every balance and debt must match the contract's.

Deposits (less the debt they repay, which goes to the fee account), withdrawals, applied leaves and
recorded shortfalls (advanced by the fee account, owed by the account) are replayed in chain order.
The replayed balance and debt of every account must equal ``accountOf``, no balance may ever go
negative, and the escrow's token balance must cover the sum of all balances (nothing leaks).
"""

from __future__ import annotations

from collections import defaultdict

from flexunity.chain.reader import ChainReader, Log

EVENTS = ("Deposited", "Withdrawn", "SettlementApplied", "DebtRecorded", "DebitRefunded")


def ledger_problems(reader: ChainReader) -> list[str]:
    """Differences between the replayed escrow books and the contract's state (empty: they agree)."""
    escrow = reader.clients.escrow
    registry = reader.registry()
    balance: dict[str, int] = defaultdict(int)
    debt: dict[str, int] = defaultdict(int)
    problems: list[str] = []
    for log in reader.logs(escrow.contract, EVENTS):
        fee_account = registry.accounts_at(log.position)[0].lower()
        _replay(log, fee_account, balance, debt)
        negative = [a for a, v in balance.items() if v < 0]
        problems += [f"{a} would hold {balance[a]} after block {log.block}" for a in negative]
    for account in sorted(set(balance) | set(debt)):
        state = escrow.account(reader.w3.to_checksum_address(account))
        if (state.balance, state.debt) != (balance[account], debt[account]):
            problems.append(
                f"{account}: events give balance {balance[account]} debt {debt[account]}, "
                f"the escrow holds {state.balance} debt {state.debt}"
            )
    held = reader.clients.token.balance_of(escrow.address)  # also what rounds hold between debit and credit
    if held < sum(balance.values()):  # more is a gift sent straight to the contract, not a loss
        problems.append(f"the escrow holds {held} tokens, its accounts sum to {sum(balance.values())}")
    return problems


def _replay(log: Log, fee_account: str, balance: dict[str, int], debt: dict[str, int]) -> None:
    account = str(log.args["account"]).lower()
    amount = int(log.args.get("amount", 0))
    if (
        log.name == "Deposited"
        or log.name == "DebitRefunded"
        or (log.name == "SettlementApplied" and log.args["isCredit"])
    ):  # money in for the account: its debt to the fee account is repaid first
        repaid = int(log.args["debtRepaid"])
        balance[account] += amount - repaid
        debt[account] -= repaid
        balance[fee_account] += repaid
    elif log.name == "Withdrawn":
        balance[account] -= amount
    elif log.name == "DebtRecorded":  # emitted before the debit it covers: the advance lands first
        shortfall = int(log.args["shortfall"])
        balance[account] += shortfall
        debt[account] += shortfall
        balance[fee_account] -= shortfall
    else:  # an applied debit
        balance[account] -= amount
