// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IClearingHouse} from "./interfaces/IClearingHouse.sol";
import {ICommunityRegistry} from "./interfaces/ICommunityRegistry.sol";
import {IRoundBook} from "./interfaces/IRoundBook.sol";
import {ISettlementEscrow} from "./interfaces/ISettlementEscrow.sol";
import {IndexBitmap} from "./libraries/Bitmaps.sol";
import {SettlementLeaf} from "./libraries/FlexTypes.sol";
import {Hashing} from "./libraries/Hashing.sol";

/// @title SettlementEscrow
/// @notice Escrowed settlement tokens; final round results applied leaf by leaf with Merkle proofs.
/// @dev Token balance == sum of account balances at every moment (no fees on transfer assumed: use a
///      standard ERC-20). Debits and credits move balances inside the escrow; only deposits and
///      withdrawals move tokens.
contract SettlementEscrow is ISettlementEscrow, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using IndexBitmap for mapping(uint256 => uint256);

    /// @dev Bound on rounds walked by the automatic advance after a round settles.
    uint64 private constant AUTO_ADVANCE = 8;

    IERC20 private immutable _token;
    ICommunityRegistry private immutable _registry;
    IRoundBook private immutable _roundBook;
    IClearingHouse private immutable _clearing;

    mapping(address account => Account) private _accounts;
    mapping(uint64 roundId => Progress) private _progress;
    mapping(uint64 roundId => mapping(uint256 word => uint256 bits)) private _applied;
    bytes32 private immutable _voidCommitment;
    uint64 private _finishedThrough;

    constructor(IERC20 token_, ICommunityRegistry registry, IRoundBook roundBook, IClearingHouse clearing) {
        _token = token_;
        _registry = registry;
        _roundBook = roundBook;
        _clearing = clearing;
        _voidCommitment = clearing.voidCommitment();
    }

    // ─────────────────────────────────────── deposits, withdrawals ───────────────────────────────────────

    /// @inheritdoc ISettlementEscrow
    function deposit(address account, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint104).max) revert AmountTooLarge(amount);
        Account memory current = _accounts[account];
        uint128 repaid = current.debt < amount ? current.debt : uint128(amount);
        // Checked arithmetic: a balance overflowing uint128 reverts rather than wraps.
        _accounts[account] = Account({balance: current.balance + uint128(amount) - repaid, debt: current.debt - repaid});
        if (repaid > 0) _accounts[_registry.feeRecipient()].balance += repaid;
        emit Deposited(account, msg.sender, amount, repaid);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ISettlementEscrow
    function withdraw(uint256 amount, address to) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        // Deliberately no pause check: uncommitted deposits can always leave.
        uint64 lastRound = _roundBook.lastOrderedRound(msg.sender);
        if (lastRound > _finishedThrough) revert FundsCommitted(msg.sender, lastRound, _finishedThrough);
        uint128 balance = _accounts[msg.sender].balance;
        if (amount > balance) revert InsufficientBalance(msg.sender, balance, amount);
        _accounts[msg.sender].balance = balance - uint128(amount);
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
        if (leaves.length != proofs.length) revert LengthMismatch(leaves.length, proofs.length);
        if (!_clearing.isFinal(roundId, result)) revert RoundNotFinal(roundId);
        Progress memory state = _progress[roundId];
        mapping(uint256 => uint256) storage applied = _applied[roundId];
        address feeRecipient = _registry.feeRecipient();

        for (uint256 i = 0; i < leaves.length; ++i) {
            SettlementLeaf calldata entry = leaves[i];
            _checkLeaf(roundId, entry, proofs[i], result, applied);
            applied.set(entry.index);
            if (entry.isCredit) {
                _credit(roundId, entry, state);
            } else {
                _debit(roundId, entry, state, result.totalDebit, feeRecipient);
            }
            state.applied += 1;
            emit SettlementApplied(roundId, entry.account, entry.index, entry.amount, entry.isCredit);
        }
        bool completes = !state.complete && state.applied == result.leafCount;
        if (completes) {
            // Sum to zero: all leaves in, every debit paid out as a credit and matching the signed total.
            if (state.debited != result.totalDebit || state.credited != state.debited) {
                revert RoundUnbalanced(roundId, state.debited, state.credited, result.totalDebit);
            }
            state.complete = true;
        }
        _progress[roundId] = state;
        if (completes) {
            emit RoundSettled(roundId, state.debited);
            _advance(AUTO_ADVANCE);
        }
    }

    /// @inheritdoc ISettlementEscrow
    function advance(uint64 maxRounds) external returns (uint64) {
        return _advance(maxRounds);
    }

    // ──────────────────────────────────────────────── views ────────────────────────────────────────────────

    /// @inheritdoc ISettlementEscrow
    function accountOf(address account) external view returns (Account memory) {
        return _accounts[account];
    }

    /// @inheritdoc ISettlementEscrow
    function withdrawable(address account) external view returns (uint256) {
        if (_roundBook.lastOrderedRound(account) > _finishedThrough) return 0;
        return _accounts[account].balance;
    }

    /// @inheritdoc ISettlementEscrow
    function progress(uint64 roundId) external view returns (Progress memory) {
        return _progress[roundId];
    }

    /// @inheritdoc ISettlementEscrow
    function isApplied(uint64 roundId, uint32 index) external view returns (bool) {
        return _applied[roundId].isSet(index);
    }

    /// @inheritdoc ISettlementEscrow
    function finishedThrough() external view returns (uint64) {
        return _finishedThrough;
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
            revert InvalidProof(roundId, entry.index);
        }
        if (entry.amount > type(uint104).max) revert AmountTooLarge(entry.amount);
    }

    function _credit(uint64 roundId, SettlementLeaf calldata entry, Progress memory state) private {
        uint104 amount = uint104(entry.amount); // checked in _checkLeaf
        // Solvency: pay credits only out of what this round has already debited.
        uint104 available = state.debited - state.credited;
        if (amount > available) revert CreditExceedsDebits(roundId, entry.index, amount, available);
        state.credited += amount;
        _accounts[entry.account].balance += amount;
    }

    function _debit(
        uint64 roundId,
        SettlementLeaf calldata entry,
        Progress memory state,
        uint128 totalDebit,
        address feeRecipient
    ) private {
        uint104 amount = uint104(entry.amount); // checked in _checkLeaf
        uint256 debited = uint256(state.debited) + amount;
        if (debited > totalDebit) revert DebitsExceedTotal(roundId, debited, totalDebit);
        state.debited = uint104(debited);
        Account storage account = _accounts[entry.account];
        uint128 balance = account.balance;
        if (balance >= amount) {
            account.balance = balance - amount;
            return;
        }
        // Shortfall rule: take the whole balance, advance the rest from the fee account, record the debt.
        uint128 shortfall = amount - balance;
        // The fee account cannot advance its own shortfall.
        if (entry.account == feeRecipient) revert ShortfallUncovered(roundId, entry.account, shortfall, balance);
        uint128 feeBalance = _accounts[feeRecipient].balance;
        if (feeBalance < shortfall) revert ShortfallUncovered(roundId, entry.account, shortfall, feeBalance);
        account.balance = 0;
        account.debt += shortfall;
        _accounts[feeRecipient].balance = feeBalance - shortfall;
        emit DebtRecorded(roundId, entry.account, shortfall);
    }

    /// @dev A round is finished when it is void, or final with every leaf applied.
    function _advance(uint64 maxRounds) private returns (uint64 through) {
        through = _finishedThrough;
        uint64 last = _roundBook.roundCount();
        uint64 start = through;
        while (through < last && through - start < maxRounds && _isFinished(through + 1)) {
            ++through;
        }
        if (through != start) {
            _finishedThrough = through;
            emit FinishedThrough(through);
        }
    }

    function _isFinished(uint64 roundId) private view returns (bool) {
        return _progress[roundId].complete || _clearing.commitmentOf(roundId) == _voidCommitment;
    }
}
