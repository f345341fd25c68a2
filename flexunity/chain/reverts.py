"""Custom errors of FlexUnity's contracts decoded into words.

web3 raises ``ContractCustomError`` with the raw revert data (4-byte selector + ABI arguments).
:class:`ErrorDecoder` maps selectors to the error declarations of every compiled ABI and renders
``RoundClosed(roundId=3, gateClosure=1764061200): the round's gate has closed; no more orders``.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Iterable
from typing import Any

from eth_abi import decode
from eth_utils import keccak

from flexunity.errors import ChainError

EXPLANATIONS: dict[str, str] = {
    # registry
    "AlreadyMember": "the account is already a member",
    "NotAMember": "the account is not a current member",
    "ZeroAddress": "an account address is zero",
    "InvalidSignerSet": "the signer set or its threshold is invalid",
    "AlreadyBound": "that contract is already bound to the registry",
    "RotationPending": "a signer rotation is already announced and not yet in force",
    "NotEscrow": "only the escrow releases commitments",
    "NothingToRelease": "the peer has no unreleased order in that round",
    "TooManyOpenRounds": "the peer has too many open rounds: finish some first",
    "AccessControlUnauthorizedAccount": "the sender lacks the role this needs",
    "EnforcedPause": "the community is paused",
    # round book
    "UnknownRound": "no such round",
    "RoundClosed": "the round's gate has closed; no more orders",
    "NotMember": "the peer is not a member for that round",
    "InvalidSignature": "the signature was not made by the order's peer",
    "NonceAlreadyUsed": "the nonce is not above the peer's last nonce (replayed or outdated order)",
    "OrderExpired": "the order's deadline has passed",
    "PayloadMismatch": "the payload does not hash to the order's payloadHash",
    "SenderNotPeer": "a direct order must be sent by its own peer",
    "BatchLengthMismatch": "the batch arrays have different lengths",
    "InvalidSchedule": "the round's schedule is inconsistent",
    "ScheduleOutOfBounds": "the schedule exceeds the deployment's limits (too far ahead, or milliseconds "
    "where seconds are meant, or intervals too long or too many)",
    "MissingConfig": "a round must name its config: the config hash is zero",
    "NotCommunityManager": "the sender is not a community manager",
    "CommunityPaused": "the community is paused",
    "UnsupportedToken": "the token moved another amount than asked (fee-on-transfer tokens are refused)",
    # clearing
    "AttemptMismatch": "the result's attempt number is not the round's next one (a rejected result posted "
    "again?)",
    "AttemptsExhausted": "the round had its last allowed result rejected; it can only be voided",
    "SignerEpochMismatch": "the result was signed under another signer set than the one in force",
    "SignerDelayTooShort": "the registry's signer delay must exceed the challenge window",
    "NoBondOwed": "no bond is owed to the sender",
    "ResultAlreadyPosted": "the round already has a result",
    "GateNotClosed": "the round's gate has not closed yet",
    "OrderDigestMismatch": "the result was computed on another order book",
    "TotalsUnbalanced": "debits and credits differ; the round would not sum to zero",
    "FeesExceedCredits": "fees and supplier charges exceed the credits",
    "InsufficientSignatures": "too few signatures for the signer threshold",
    "UnauthorizedSigner": "a signature is not from a current signer",
    "SignersNotAscending": "signatures must be ordered by ascending signer address, without duplicates",
    "NotDisputable": "the result cannot be disputed now",
    "NoOpenDispute": "the round has no open dispute",
    "NotVoidable": "the round cannot be voided (yet): voidableFrom is on the community clock",
    "Unauthorized": "the sender lacks the role this needs",
    "StateMismatch": "the result state given is not the round's current one (re-read it from the events)",
    "NotRoundBook": "only the round book records orders",
    # escrow
    "ZeroAmount": "the amount is zero",
    "InsufficientBalance": "the escrow balance is smaller than the amount",
    "FundsCommitted": "that much is committed to rounds that are not finished (release finished ones)",
    "RoundNotFinal": "the round's result is not final (none, in its challenge window, disputed or rejected)",
    "RoundNotFinished": "the round is neither settled, closed nor void",
    "SettlementClosed": "the round was closed after its settlement deadline: refund its debits instead",
    "NotClosable": "the round cannot be closed: settled, closed already, or before its deadline",
    "NotRefundable": "the leaf is not an applied, unrefunded debit",
    "DebitWithoutOrder": "the result debits an account that has no order in the round",
    "DuplicateDebit": "the result debits an account twice in the round",
    "DebitAboveCommitment": "the debit exceeds what the account committed for the round (its maxDebit)",
    "CreditsBeforeDebits": "apply every debit of the round before any credit",
    "LeafProofCountMismatch": "leaves and proofs differ in number",
    "LeafRoundMismatch": "the leaf belongs to another round",
    "LeafIndexOutOfRange": "the leaf index is beyond the result's leaf count",
    "LeafAlreadyApplied": "the leaf was already applied",
    "SettlementProofInvalid": "the Merkle proof does not lead to the posted results root",
    "CreditExceedsDebits": "apply the round's debits first: this credit is not yet covered",
    "DebitsExceedTotal": "the leaves' debits exceed the signed total",
    "ShortfallUncovered": "the fee account cannot advance the account's shortfall yet",
    "AmountTooLarge": "the amount does not fit the escrow's accounting",
    # revenue
    "InvalidDeadline": "the claim deadline must be in the future",
    "UnknownDistribution": "no such distribution",
    "AlreadyClaimed": "the share was already claimed",
    "ClaimPeriodOver": "the claim period is over",
    "NotSweepable": "the distribution cannot be swept (yet)",
    "ShareExceedsDeposit": "the share exceeds the distribution's revenue, or claims would exceed its total",
    "RecipientNotEligible": "the share's account may not receive the round's revenue (not a member of the "
    "round, or a community manager, fee or supplier account)",
    "ShareProofInvalid": "the Merkle proof does not lead to the distribution's root",
    "DistributionExists": "the round already has a revenue distribution",
    "MissingRound": "a distribution must name its round",
    # OpenZeppelin
    "ERC20InsufficientAllowance": "the token allowance is too small: approve first",
    "ERC20InsufficientBalance": "the token balance is too small",
    "SafeERC20FailedOperation": "the token transfer failed",
    "ReentrancyGuardReentrantCall": "re-entrant call",
}


class ErrorDecoder:
    """Selector -> (name, argument names, argument types) for every error in the given ABIs."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        #: Selectors declared with different argument names, or names declared with different arguments:
        #: each would decode one contract's error as another's (none in FlexUnity's ABIs: tests/chain).
        self.ambiguous: set[str] = set()
        arguments_of: dict[str, list[str]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [_abi_type(i) for i in item["inputs"]]
                signature = f"{item['name']}({','.join(types)})"
                names = [i["name"] for i in item["inputs"]]
                selector = keccak(text=signature)[:4]
                known = self._errors.get(selector)
                if known is not None and known[1] != names:
                    self.ambiguous.add(signature)
                if arguments_of.setdefault(item["name"], types) != types:
                    self.ambiguous.add(item["name"])
                self._errors[selector] = (item["name"], names, types)

    def describe(self, data: str | bytes) -> str:
        raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else data
        found = self._errors.get(raw[:4])
        if found is None:
            return f"reverted with unknown error data 0x{raw.hex()}"
        name, names, types = found
        values = decode(types, raw[4:])
        args = ", ".join(f"{n}={_show(v)}" for n, v in zip(names, values, strict=True))
        explanation = EXPLANATIONS.get(name)
        return f"{name}({args})" + (f": {explanation}" if explanation else "")

    def explain(self, data: str | bytes | None) -> str:
        """Revert data in words: a custom error, ``Error(string)``, ``Panic(uint256)`` or no reason."""
        raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else (data or b"")
        if len(raw) < 4:
            return "reverted without a reason"
        if raw[:4] == keccak(b"Error(string)")[:4]:
            return f"Error({decode(['string'], raw[4:])[0]!r})"
        if raw[:4] == keccak(b"Panic(uint256)")[:4]:
            return f"Panic(0x{decode(['uint256'], raw[4:])[0]:02x})"
        return self.describe(raw)

    def explain_exception(self, exc: Exception) -> str:
        """A web3 exception in words: its revert data explained, else its message."""
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

    def chain_error(self, action: str, exc: Exception) -> ChainError:
        data = revert_data(exc)
        if isinstance(data, str | bytes) and len(data) >= 4:
            return ChainError(f"{action} would revert: {self.describe(data)}")
        return ChainError(f"{action} would revert: {getattr(exc, 'message', None) or exc}")


def revert_data(exc: Exception) -> str | bytes | None:
    """The raw revert data of a failed call: web3's ``.data``, or eth-tester's message text."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str | bytes):
        return data
    # eth-tester raises TransactionFailed("execution reverted: b'...'") with the raw bytes' repr.
    text = str(exc.args[0]) if exc.args else ""
    marker = "execution reverted: b"
    if marker in text:
        with contextlib.suppress(ValueError, SyntaxError):
            raw = ast.literal_eval(text[text.index(marker) + len(marker) - 1 :])
            if isinstance(raw, bytes):
                return raw
    return None


def _abi_type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in item["components"])
        return f"({inner}){item['type'][5:]}"
    return str(item["type"])


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)
