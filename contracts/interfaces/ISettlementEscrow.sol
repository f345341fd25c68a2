// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IClearingHouse} from "./IClearingHouse.sol";
import {IFlexErrors} from "./IFlexErrors.sol";
import {SettlementLeaf} from "../libraries/FlexTypes.sol";

/// @title ISettlementEscrow
/// @notice Peers' escrowed settlement tokens, and the application of final round results to them.
/// @dev Rules (docs/contracts.md, "Escrow rules"):
///      - Debits: only an account that ordered in the round can be debited (zero debits aside), once, and
///        at most its debit cap (the `maxDebit` it signed). Credits are applied only once every debit is in, and never above
///        what was debited, so the escrow never pays out money it has not debited.
///      - Shortfall: a debit larger than the account's balance takes the whole balance; the rest is
///        advanced from the fee account (the CM's) and recorded as the account's debt to it. Deposits and
///        credits of the account repay the debt first.
///      - Deadline: a final result must settle by its `deadline`; after it anyone may close the round:
///        nothing more is applied and what the round holds (debited, not credited) goes back to the
///        debited accounts in proportion to their debits ({refundDebits}).
///      - Commitment: a peer's balance is committed, up to its debit cap per round, for each round it
///        ordered in until that round is finished (settled, closed or void) and released ({release}).
///        The rest can be withdrawn at any time, paused or not.
interface ISettlementEscrow is IFlexErrors {
    /// @notice A holder's escrow account.
    struct Account {
        uint128 balance;
        uint128 debt;
    }

    /// @notice A round's settlement progress.
    /// @param debited Sum of the debit leaves applied.
    /// @param credited Sum of the credit leaves applied (never above `debited`).
    /// @param applied Number of leaves applied.
    /// @param complete Every leaf applied (or the round had none), debits equal credits equal the total.
    /// @param closed Closed after its settlement deadline without completing.
    struct Progress {
        uint104 debited;
        uint104 credited;
        uint32 applied;
        bool complete;
        bool closed;
    }

    /// @notice The account holds less than asked.
    error InsufficientBalance(address account, uint256 balance, uint256 amount);
    /// @notice The amount asked exceeds what is not committed to open rounds.
    error FundsCommitted(address account, uint256 withdrawable, uint256 amount);
    /// @notice The result state given is not the round's current one, or it is not final.
    error RoundNotFinal(uint64 roundId);
    /// @notice The round is neither settled, closed nor void: its commitments cannot be released yet.
    error RoundNotFinished(uint64 roundId);
    /// @notice The round was closed after its settlement deadline: nothing more is applied.
    error SettlementClosed(uint64 roundId);
    /// @notice The round cannot be closed: settled, already closed, or before its deadline.
    error NotClosable(uint64 roundId, uint64 deadline);
    /// @notice The leaf belongs to another round.
    error LeafRoundMismatch(uint64 roundId, uint64 leafRoundId);
    /// @notice The leaf index is not below the result's leaf count.
    error LeafIndexOutOfRange(uint64 roundId, uint32 index, uint32 leafCount);
    /// @notice The leaf was already applied.
    error LeafAlreadyApplied(uint64 roundId, uint32 index);
    /// @notice The leaf is not one to refund (not an applied debit, or already refunded).
    error NotRefundable(uint64 roundId, uint32 index);
    /// @notice The Merkle proof does not lead to the round's results root.
    error SettlementProofInvalid(uint64 roundId, uint32 index);
    /// @notice The result debits an account that has no order in the round.
    error DebitWithoutOrder(uint64 roundId, address account);
    /// @notice The result debits an account a second time in the round.
    error DuplicateDebit(uint64 roundId, address account);
    /// @notice The debit exceeds what the account committed for the round (its debit cap).
    error DebitAboveCommitment(uint64 roundId, address account, uint256 amount, uint256 debitCap);
    /// @notice A credit before every debit of the round is in.
    error CreditsBeforeDebits(uint64 roundId, uint32 index, uint256 debited, uint256 totalDebit);
    /// @notice Applying this credit would pay out more than the round debited.
    error CreditExceedsDebits(uint64 roundId, uint32 index, uint256 amount, uint256 available);
    /// @notice The leaves' debits exceed the signed total.
    error DebitsExceedTotal(uint64 roundId, uint256 debited, uint256 totalDebit);
    /// @notice A shortfall the fee account cannot advance now (the leaf may be applied after a top-up,
    ///         or the round is closed at its deadline).
    error ShortfallUncovered(uint64 roundId, address account, uint256 shortfall, uint256 feeRecipientBalance);
    /// @notice Leaves and proofs of different lengths.
    error LeafProofCountMismatch(uint256 leaves, uint256 proofs);
    /// @notice The amount does not fit the escrow's 104/128-bit accounting.
    error AmountTooLarge(uint256 amount);

    /// @notice `amount` tokens arrived for `account` (what the token delivered); `debtRepaid` of them
    ///         went to the fee account.
    event Deposited(address indexed account, address indexed from, uint256 amount, uint256 debtRepaid);
    /// @notice Tokens were withdrawn.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice A leaf was applied to its account; `debtRepaid` of a credit went to the fee account.
    event SettlementApplied(
        uint64 indexed roundId, address indexed account, uint32 index, uint256 amount, bool isCredit, uint256 debtRepaid
    );
    /// @notice A shortfall was advanced by the fee account and recorded as debt.
    event DebtRecorded(uint64 indexed roundId, address indexed account, uint256 shortfall);
    /// @notice Every leaf of the round was applied; debits equal credits.
    event RoundSettled(uint64 indexed roundId, uint256 total);
    /// @notice The round passed its settlement deadline unsettled and was closed; `held` (debited, not
    ///         credited) goes back to the debited accounts pro rata.
    event RoundClosed(uint64 indexed roundId, uint256 held, uint256 debited);
    /// @notice An applied debit of a closed round was refunded (its pro-rata part of what the round held).
    event DebitRefunded(uint64 indexed roundId, address indexed account, uint32 index, uint256 amount, uint256 debtRepaid);

    /// @notice Deposit `amount` settlement tokens for `account` (approve first). The amount that arrives
    ///         is credited; debt is repaid first.
    function deposit(address account, uint256 amount) external;

    /// @notice Withdraw `amount` of the caller's uncommitted balance to `to`. Never blocked by the pause.
    function withdraw(uint256 amount, address to) external;

    /// @notice Apply final settlement leaves of a round with their Merkle proofs. Anyone may call. Every
    ///         debit before any credit. A round without leaves is completed by a call with empty arrays.
    ///         Not while paused, not after the round was closed.
    /// @param state The round's final result state (from the clearing house's events).
    function applySettlements(
        uint64 roundId,
        IClearingHouse.RoundResult calldata state,
        SettlementLeaf[] calldata leaves,
        bytes32[][] calldata proofs
    ) external;

    /// @notice Close a final round that did not settle by its deadline. Anyone may call.
    function closeRound(uint64 roundId, IClearingHouse.RoundResult calldata state) external;

    /// @notice Refund applied debit leaves of a closed round (pro rata to what it held). Anyone may call.
    function refundDebits(
        uint64 roundId,
        IClearingHouse.RoundResult calldata state,
        SettlementLeaf[] calldata leaves,
        bytes32[][] calldata proofs
    ) external;

    /// @notice End `peer`'s commitments to finished (settled, closed or void) rounds. Anyone may call.
    function release(address peer, uint64[] calldata roundIds) external;

    /// @notice An account's balance and debt.
    function accountOf(address account) external view returns (Account memory);

    /// @notice What `account` can withdraw now: its balance minus its debit cap for each open round.
    function withdrawable(address account) external view returns (uint256);

    /// @notice A round's settlement progress.
    function progress(uint64 roundId) external view returns (Progress memory);

    /// @notice What a closed round still holds for refunds.
    function heldByClosedRound(uint64 roundId) external view returns (uint256);

    /// @notice Whether the round is finished: settled, closed, or void.
    function isFinished(uint64 roundId) external view returns (bool);

    /// @notice Whether leaf `index` of round `roundId` was applied.
    function isApplied(uint64 roundId, uint32 index) external view returns (bool);

    /// @notice The settlement token.
    function token() external view returns (address);
}
