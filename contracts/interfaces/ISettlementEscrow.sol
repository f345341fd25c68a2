// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IClearingHouse} from "./IClearingHouse.sol";
import {SettlementLeaf} from "../libraries/FlexTypes.sol";

/// @title ISettlementEscrow
/// @notice Peers' escrowed settlement tokens, and the application of final round results to them.
/// @dev Rules (docs/contracts.md):
///      - Solvency: within a round, a credit is applied only if the round's applied debits cover it,
///        so the escrow never pays out money it has not debited, even with leaves still pending.
///      - Shortfall: a debit larger than the account's balance takes the whole balance; the rest is
///        advanced from the fee account (the CM's) and recorded as the account's debt to it. The next
///        deposits of the account repay the debt first. If the fee account cannot advance it, the leaf
///        cannot be applied yet (the round waits; nothing is lost and the sum is never broken).
///      - Commitment: a peer's balance is committed while a round it ordered in is not finished
///        (settled in full or void) together with every earlier round. Uncommitted balances can be
///        withdrawn at any time, paused or not.
interface ISettlementEscrow {
    /// @notice A holder's escrow account.
    struct Account {
        uint128 balance;
        uint128 debt;
    }

    /// @notice A round's settlement progress.
    /// @param debited Sum of the debit leaves applied.
    /// @param credited Sum of the credit leaves applied (never above `debited`).
    /// @param applied Number of leaves applied.
    /// @param complete Every leaf applied (or the round had none), debits equal credits.
    struct Progress {
        uint104 debited;
        uint104 credited;
        uint32 applied;
        bool complete;
    }

    /// @notice The amount is zero.
    error ZeroAmount();
    /// @notice The account holds less than asked.
    error InsufficientBalance(address account, uint256 balance, uint256 amount);
    /// @notice The balance is committed to a round that is not finished.
    error FundsCommitted(address account, uint64 lastOrderedRound, uint64 finishedThrough);
    /// @notice The result state given is not the round's current one, or it is not final (none, in
    ///         its window, disputed, rejected or void).
    error RoundNotFinal(uint64 roundId);
    /// @notice The leaf belongs to another round.
    error LeafRoundMismatch(uint64 roundId, uint64 leafRoundId);
    /// @notice The leaf index is not below the result's leaf count.
    error LeafIndexOutOfRange(uint64 roundId, uint32 index, uint32 leafCount);
    /// @notice The leaf was already applied.
    error LeafAlreadyApplied(uint64 roundId, uint32 index);
    /// @notice The Merkle proof does not lead to the round's results root.
    error InvalidProof(uint64 roundId, uint32 index);
    /// @notice Applying this credit now would pay out money the round has not yet debited.
    error CreditExceedsDebits(uint64 roundId, uint32 index, uint256 amount, uint256 available);
    /// @notice The leaves' debits exceed the signed total.
    error DebitsExceedTotal(uint64 roundId, uint256 debited, uint256 totalDebit);
    /// @notice With every leaf applied, debits, credits and the signed total disagree: a faulty tree
    ///         (disputable during the challenge window); the round cannot complete.
    error RoundUnbalanced(uint64 roundId, uint256 debited, uint256 credited, uint256 totalDebit);
    /// @notice A shortfall the fee account cannot advance yet.
    error ShortfallUncovered(uint64 roundId, address account, uint256 shortfall, uint256 feeRecipientBalance);
    /// @notice Batch arrays of different lengths.
    error LengthMismatch(uint256 leaves, uint256 proofs);
    /// @notice The amount does not fit the escrow's 104/128-bit accounting.
    error AmountTooLarge(uint256 amount);
    /// @notice The community is paused.
    error CommunityPaused();

    /// @notice Tokens were deposited for `account`; `debtRepaid` of them went to the fee account.
    event Deposited(address indexed account, address indexed from, uint256 amount, uint256 debtRepaid);
    /// @notice Tokens were withdrawn.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice A leaf was applied to its account.
    event SettlementApplied(
        uint64 indexed roundId, address indexed account, uint32 index, uint256 amount, bool isCredit
    );
    /// @notice A shortfall was advanced by the fee account and recorded as debt.
    event DebtRecorded(uint64 indexed roundId, address indexed account, uint256 shortfall);
    /// @notice Every leaf of the round was applied; debits equal credits.
    event RoundSettled(uint64 indexed roundId, uint256 total);
    /// @notice Every round up to `roundId` is finished; balances of peers ordering up to it are free.
    event FinishedThrough(uint64 roundId);

    /// @notice Deposit `amount` settlement tokens for `account` (approve first). Debt is repaid first.
    function deposit(address account, uint256 amount) external;

    /// @notice Withdraw `amount` of the caller's uncommitted balance to `to`. Never blocked by the pause.
    function withdraw(uint256 amount, address to) external;

    /// @notice Apply final settlement leaves of a round with their Merkle proofs. Anyone may call.
    ///         Order debits before credits: a credit is applied only when the round's applied debits
    ///         cover it. A round without leaves is completed by a call with empty arrays. Not while paused.
    /// @param state The round's final result state (from the clearing house's events).
    function applySettlements(
        uint64 roundId,
        IClearingHouse.RoundResult calldata state,
        SettlementLeaf[] calldata leaves,
        bytes32[][] calldata proofs
    ) external;

    /// @notice Move the finished-rounds mark forward over settled or void rounds (at most `maxRounds`).
    function advance(uint64 maxRounds) external returns (uint64 through);

    /// @notice An account's balance and debt.
    function accountOf(address account) external view returns (Account memory);

    /// @notice What `account` can withdraw now.
    function withdrawable(address account) external view returns (uint256);

    /// @notice A round's settlement progress.
    function progress(uint64 roundId) external view returns (Progress memory);

    /// @notice Whether leaf `index` of round `roundId` was applied.
    function isApplied(uint64 roundId, uint32 index) external view returns (bool);

    /// @notice Every round up to this id is settled or void.
    function finishedThrough() external view returns (uint64);

    /// @notice The settlement token.
    function token() external view returns (address);
}
