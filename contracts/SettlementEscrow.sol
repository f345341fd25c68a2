// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IClearingHouse} from "./interfaces/IClearingHouse.sol";
import {ICommunityRegistry} from "./interfaces/ICommunityRegistry.sol";
import {ISettlementEscrow} from "./interfaces/ISettlementEscrow.sol";
import {IndexBitmap} from "./libraries/Bitmaps.sol";
import {SettlementLeaf} from "./libraries/FlexTypes.sol";
import {Hashing} from "./libraries/Hashing.sol";

/// @title SettlementEscrow
/// @notice Escrowed settlement tokens; final round results applied leaf by leaf with Merkle proofs.
/// @dev Token balance == Σ account balances + Σ over rounds of what they hold (debited, not yet credited
///      or refunded) at every moment. Debits and credits move money inside the escrow; only deposits and
///      withdrawals move tokens.
contract SettlementEscrow is ISettlementEscrow, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using IndexBitmap for mapping(uint256 => uint256);

    IERC20 private immutable _token;
    ICommunityRegistry private immutable _registry;
    IClearingHouse private immutable _clearing;

    mapping(address account => Account) private _accounts;
    mapping(uint64 roundId => Progress) private _progress;
    mapping(uint64 roundId => mapping(uint256 word => uint256 bits)) private _applied;
    // Both bitmaps are written through IndexBitmap.set on a storage pointer, which slither does not follow.
    // slither-disable-next-line uninitialized-state
    mapping(uint64 roundId => mapping(uint256 word => uint256 bits)) private _debitedMembers;
    // slither-disable-next-line uninitialized-state
    mapping(uint64 roundId => mapping(uint256 word => uint256 bits)) private _refunded;
    mapping(uint64 roundId => uint256 held) private _heldAtClose;
    mapping(uint64 roundId => uint256 held) private _held;

    constructor(IERC20 token_, ICommunityRegistry registry, IClearingHouse clearing) {
        _token = token_;
        _registry = registry;
        _clearing = clearing;
    }

    // ─────────────────────────────────────── deposits, withdrawals ───────────────────────────────────────

    /// @inheritdoc ISettlementEscrow
    function deposit(address account, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint104).max) revert AmountTooLarge(amount);
        // Credit what arrived: a fee-on-transfer token delivers less than `amount`.
        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - before;
        uint256 repaid = _creditAccount(account, uint128(received));
        emit Deposited(account, msg.sender, received, repaid);
    }

    /// @inheritdoc ISettlementEscrow
    function withdraw(uint256 amount, address to) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        // Deliberately no pause check: uncommitted deposits can always leave.
        uint256 free = _withdrawable(msg.sender);
        if (amount > free) revert FundsCommitted(msg.sender, free, amount);
        _accounts[msg.sender].balance -= uint128(amount);
        emit Withdrawn(msg.sender, to, amount);
        _token.safeTransfer(to, amount);
    }

    // ───────────────────────────────────────────── settlement ─────────────────────────────────────────────

    /// @inheritdoc ISettlementEscrow
    function applySettlements(
        uint64 roundId,
        IClearingHouse.RoundResult calldata result,
        SettlementLeaf[] calldata leaves,
        bytes32[][] calldata proofs
    ) external {
        if (_registry.paused()) revert CommunityPaused();
        if (leaves.length != proofs.length) revert LeafProofCountMismatch(leaves.length, proofs.length);
        if (!_clearing.isFinal(roundId, result)) revert RoundNotFinal(roundId);
        Progress memory state = _progress[roundId];
        if (state.closed) revert SettlementClosed(roundId);
        mapping(uint256 => uint256) storage applied = _applied[roundId];
        address feeRecipient = _registry.feeRecipient();

        for (uint256 i = 0; i < leaves.length; ++i) {
            SettlementLeaf calldata entry = leaves[i];
            _checkLeaf(roundId, entry, proofs[i], result, applied);
            applied.set(entry.index);
            uint256 repaid = 0;
            if (entry.isCredit) {
                repaid = _credit(roundId, entry, state, result.totalDebit);
            } else {
                _debit(roundId, entry, state, result.totalDebit, feeRecipient);
            }
            state.applied += 1;
            emit SettlementApplied(roundId, entry.account, entry.index, entry.amount, entry.isCredit, repaid);
        }
        // Complete: all leaves in, every debit paid out as a credit and matching the signed total. A tree
        // that never gets there is closed at the result's deadline ({closeRound}).
        bool completes = !state.complete && state.applied == result.leafCount
            && state.debited == result.totalDebit && state.credited == state.debited;
        if (completes) state.complete = true;
        _progress[roundId] = state;
        _held[roundId] = state.debited - state.credited;
        if (completes) emit RoundSettled(roundId, state.debited);
    }

    /// @inheritdoc ISettlementEscrow
    function closeRound(uint64 roundId, IClearingHouse.RoundResult calldata result) external {
        if (!_clearing.isFinal(roundId, result)) revert RoundNotFinal(roundId);
        Progress storage state = _progress[roundId];
        if (state.complete || state.closed || _registry.clock() < result.deadline) {
            revert NotClosable(roundId, result.deadline);
        }
        state.closed = true;
        uint256 held = _held[roundId];
        _heldAtClose[roundId] = held;
        emit RoundClosed(roundId, held, state.debited);
    }

    /// @inheritdoc ISettlementEscrow
    function refundDebits(
        uint64 roundId,
        IClearingHouse.RoundResult calldata result,
        SettlementLeaf[] calldata leaves,
        bytes32[][] calldata proofs
    ) external {
        if (leaves.length != proofs.length) revert LeafProofCountMismatch(leaves.length, proofs.length);
        if (!_clearing.isFinal(roundId, result)) revert RoundNotFinal(roundId);
        Progress memory state = _progress[roundId];
        if (!state.closed) revert RoundNotFinished(roundId);
        uint256 heldAtClose = _heldAtClose[roundId];
        uint256 held = _held[roundId];
        mapping(uint256 => uint256) storage refunded = _refunded[roundId];
        for (uint256 i = 0; i < leaves.length; ++i) {
            SettlementLeaf calldata entry = leaves[i];
            if (entry.roundId != roundId) revert LeafRoundMismatch(roundId, entry.roundId);
            if (entry.isCredit || !_applied[roundId].isSet(entry.index) || refunded.isSet(entry.index)) {
                revert NotRefundable(roundId, entry.index);
            }
            if (!MerkleProof.verifyCalldata(proofs[i], result.resultsRoot, Hashing.leaf(entry))) {
                revert SettlementProofInvalid(roundId, entry.index);
            }
            refunded.set(entry.index);
            // Pro rata to what the round still held when closed (all of it when nothing was credited).
            uint256 amount = entry.amount * heldAtClose / state.debited;
            held -= amount;
            uint256 repaid = _creditAccount(entry.account, uint128(amount));
            emit DebitRefunded(roundId, entry.account, entry.index, amount, repaid);
        }
        _held[roundId] = held;
    }

    /// @inheritdoc ISettlementEscrow
    function release(address peer, uint64[] calldata roundIds) external {
        for (uint256 i = 0; i < roundIds.length; ++i) {
            if (!_isFinished(roundIds[i])) revert RoundNotFinished(roundIds[i]);
            _registry.release(peer, roundIds[i]);
        }
    }

    // ──────────────────────────────────────────────── views ────────────────────────────────────────────────

    /// @inheritdoc ISettlementEscrow
    function accountOf(address account) external view returns (Account memory) {
        return _accounts[account];
    }

    /// @inheritdoc ISettlementEscrow
    function withdrawable(address account) external view returns (uint256) {
        return _withdrawable(account);
    }

    /// @inheritdoc ISettlementEscrow
    function progress(uint64 roundId) external view returns (Progress memory) {
        return _progress[roundId];
    }

    /// @inheritdoc ISettlementEscrow
    function heldByClosedRound(uint64 roundId) external view returns (uint256) {
        return _progress[roundId].closed ? _held[roundId] : 0;
    }

    /// @inheritdoc ISettlementEscrow
    function isFinished(uint64 roundId) external view returns (bool) {
        return _isFinished(roundId);
    }

    /// @inheritdoc ISettlementEscrow
    function isApplied(uint64 roundId, uint32 index) external view returns (bool) {
        return _applied[roundId].isSet(index);
    }

    /// @inheritdoc ISettlementEscrow
    function token() external view returns (address) {
        return address(_token);
    }

    // ────────────────────────────────────────────── internal ──────────────────────────────────────────────

    function _checkLeaf(
        uint64 roundId,
        SettlementLeaf calldata entry,
        bytes32[] calldata proof,
        IClearingHouse.RoundResult calldata result,
        mapping(uint256 => uint256) storage applied
    ) private view {
        if (entry.roundId != roundId) revert LeafRoundMismatch(roundId, entry.roundId);
        if (entry.index >= result.leafCount) revert LeafIndexOutOfRange(roundId, entry.index, result.leafCount);
        if (applied.isSet(entry.index)) revert LeafAlreadyApplied(roundId, entry.index);
        if (!MerkleProof.verifyCalldata(proof, result.resultsRoot, Hashing.leaf(entry))) {
            revert SettlementProofInvalid(roundId, entry.index);
        }
        if (entry.amount > type(uint104).max) revert AmountTooLarge(entry.amount);
    }

    function _credit(uint64 roundId, SettlementLeaf calldata entry, Progress memory state, uint128 totalDebit)
        private
        returns (uint256 repaid)
    {
        uint104 amount = uint104(entry.amount); // checked in _checkLeaf
        // Solvency: credits only once every debit is in, and only out of what was debited.
        if (state.debited != totalDebit) revert CreditsBeforeDebits(roundId, entry.index, state.debited, totalDebit);
        uint104 available = state.debited - state.credited;
        if (amount > available) revert CreditExceedsDebits(roundId, entry.index, amount, available);
        state.credited += amount;
        repaid = _creditAccount(entry.account, amount);
    }

    function _debit(
        uint64 roundId,
        SettlementLeaf calldata entry,
        Progress memory state,
        uint128 totalDebit,
        address feeRecipient
    ) private {
        uint104 amount = uint104(entry.amount); // checked in _checkLeaf
        // A zero debit (a fee or supplier leaf without charges) takes nothing from anyone.
        if (amount == 0) return;
        address who = entry.account;
        _checkDebitor(roundId, who, amount);
        uint256 debited = uint256(state.debited) + amount;
        if (debited > totalDebit) revert DebitsExceedTotal(roundId, debited, totalDebit);
        state.debited = uint104(debited);
        Account storage account = _accounts[who];
        uint128 balance = account.balance;
        if (balance >= amount) {
            account.balance = balance - amount;
            return;
        }
        // Shortfall rule: take the whole balance, advance the rest from the fee account, record the debt.
        uint128 shortfall = amount - balance;
        // The fee account cannot advance its own shortfall.
        if (who == feeRecipient) revert ShortfallUncovered(roundId, who, shortfall, balance);
        uint128 feeBalance = _accounts[feeRecipient].balance;
        if (feeBalance < shortfall) revert ShortfallUncovered(roundId, who, shortfall, feeBalance);
        account.balance = 0;
        account.debt += shortfall;
        _accounts[feeRecipient].balance = feeBalance - shortfall;
        emit DebtRecorded(roundId, who, shortfall);
    }

    /// @dev Only an account that ordered in the round, once, and within what it committed.
    function _checkDebitor(uint64 roundId, address who, uint256 amount) private {
        // The unused value (released) cannot be set while the round is still settling.
        // slither-disable-next-line unused-return
        (bool ordered,, uint24 index, uint80 debitCap) = _registry.orderStatus(who, roundId);
        if (!ordered) revert DebitWithoutOrder(roundId, who);
        mapping(uint256 => uint256) storage debitedMembers = _debitedMembers[roundId];
        if (debitedMembers.isSet(index)) revert DuplicateDebit(roundId, who);
        debitedMembers.set(index);
        if (amount > debitCap) revert DebitAboveCommitment(roundId, who, amount, debitCap);
    }

    /// @dev Money for `who`: its debt to the fee account is repaid first, the rest is its balance.
    function _creditAccount(address who, uint128 amount) private returns (uint256 repaid) {
        Account memory current = _accounts[who];
        uint128 repay = current.debt < amount ? current.debt : amount;
        // Checked arithmetic: a balance overflowing uint128 reverts rather than wraps.
        _accounts[who] = Account({balance: current.balance + (amount - repay), debt: current.debt - repay});
        if (repay > 0) _accounts[_registry.feeRecipient()].balance += repay;
        return repay;
    }

    function _withdrawable(address who) private view returns (uint256) {
        uint256 balance = _accounts[who].balance;
        ICommunityRegistry.Member memory record = _registry.member(who);
        uint256 committed = uint256(record.openRounds) * record.debitCap;
        return committed >= balance ? 0 : balance - committed;
    }

    function _isFinished(uint64 roundId) private view returns (bool) {
        Progress memory state = _progress[roundId];
        return state.complete || state.closed || _clearing.isVoid(roundId);
    }
}
