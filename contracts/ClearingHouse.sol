// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IClearingHouse} from "./interfaces/IClearingHouse.sol";
import {ICommunityRegistry} from "./interfaces/ICommunityRegistry.sol";
import {IRoundBook} from "./interfaces/IRoundBook.sol";
import {ClearingResult} from "./libraries/FlexTypes.sol";
import {Hashing} from "./libraries/Hashing.sol";

/// @title ClearingHouse
/// @notice Signed clearing results, their challenge window, bonded disputes, the arbiter's ruling and the
///         deadline-bound exits of every state.
/// @dev One storage word per round (the state commitment) keeps result posting under 100k gas; the
///      rejection count is read only when a round's previous result was rejected.
contract ClearingHouse is IClearingHouse, EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @inheritdoc IClearingHouse
    uint32 public constant MAX_ATTEMPTS = 3;

    /// @dev Results of a round rejected so far, and the deadline for the next one.
    struct Rejections {
        uint32 count;
        uint64 deadline;
    }

    /// @dev An open dispute: who locked how much.
    struct Dispute {
        address disputer;
        uint128 bond;
    }

    ICommunityRegistry private immutable _registry;
    IRoundBook private immutable _roundBook;
    IERC20 private immutable _bondToken;
    uint64 private immutable _challengeWindow;
    uint64 private immutable _resultTimeout;
    uint64 private immutable _rulingTimeout;
    uint64 private immutable _settlementWindow;
    uint128 private immutable _disputeBond;
    mapping(uint64 roundId => bytes32 commitment) private _commitments;
    mapping(uint64 roundId => Dispute) private _disputes;
    mapping(uint64 roundId => Rejections) private _rejections;
    mapping(address account => uint256 amount) private _bondsOwed;

    constructor(ICommunityRegistry registry, IRoundBook roundBook, IERC20 bondToken, Config memory initialConfig)
        EIP712("FlexUnity ClearingHouse", "1")
    {
        uint64 delay = registry.signerDelay();
        if (delay <= initialConfig.challengeWindow) revert SignerDelayTooShort(delay, initialConfig.challengeWindow);
        _registry = registry;
        _roundBook = roundBook;
        _bondToken = bondToken;
        _challengeWindow = initialConfig.challengeWindow;
        _resultTimeout = initialConfig.resultTimeout;
        _rulingTimeout = initialConfig.rulingTimeout;
        _settlementWindow = initialConfig.settlementWindow;
        _disputeBond = initialConfig.disputeBond;
        emit ConfigSet(initialConfig);
    }

    /// @inheritdoc IClearingHouse
    function postResult(ClearingResult calldata result, bytes[] calldata signatures) external {
        uint64 roundId = result.roundId;
        if (_registry.paused()) revert CommunityPaused();
        bytes32 current = _commitments[roundId];
        uint32 attempt = 0;
        if (current != bytes32(0)) {
            // Only a rejected round takes another result, with the next attempt number, a bounded number of times.
            Rejections memory rejected = _rejections[roundId];
            attempt = rejected.count;
            if (attempt == 0 || current != _commit(_rejectedState(attempt, rejected.deadline))) {
                revert ResultAlreadyPosted(roundId, current);
            }
            if (attempt >= MAX_ATTEMPTS) revert AttemptsExhausted(roundId, attempt);
        }
        if (result.attempt != attempt) revert AttemptMismatch(roundId, attempt, result.attempt);
        IRoundBook.Round memory info = _roundBook.round(roundId);
        if (info.gateClosure == 0) revert UnknownRound(roundId);
        if (block.timestamp < info.gateClosure) revert GateNotClosed(roundId, info.gateClosure);
        if (result.orderDigest != info.digest) revert OrderDigestMismatch(roundId, info.digest, result.orderDigest);
        if (result.totalDebit != result.totalCredit) revert TotalsUnbalanced(result.totalDebit, result.totalCredit);
        // Without leaves nothing can settle: non-zero totals would leave the round unfinishable.
        if (result.leafCount == 0 && result.totalDebit != 0) revert TotalsUnbalanced(result.totalDebit, 0);
        uint256 charges = uint256(result.feesTotal) + result.supplierTotal;
        if (charges > result.totalCredit) revert FeesExceedCredits(uint128(charges), result.totalCredit);
        bytes32 resultHash = _hashTypedDataV4(Hashing.hash(result));
        _checkSignatures(resultHash, result.signerEpoch, signatures);

        uint64 challengeEnds = _registry.clock() + _challengeWindow;
        RoundResult memory next = RoundResult({
            resultsRoot: result.resultsRoot,
            totalDebit: result.totalDebit,
            challengeEnds: challengeEnds,
            deadline: challengeEnds + _settlementWindow,
            leafCount: result.leafCount,
            attempt: attempt,
            status: Status.Posted
        });
        _commitments[roundId] = _commit(next);
        emit ResultPosted(roundId, resultHash, result, next);
    }

    /// @inheritdoc IClearingHouse
    function dispute(uint64 roundId, RoundResult calldata state, bytes32 reasonHash) external nonReentrant {
        _checkState(roundId, state);
        uint64 now_ = _registry.clock();
        // Only a posted result inside its window can be disputed.
        if (state.status != Status.Posted || now_ >= state.challengeEnds) {
            revert NotDisputable(roundId, state.status, state.challengeEnds);
        }
        uint128 bond = _disputeBond;
        RoundResult memory next = state;
        next.status = Status.Disputed;
        next.deadline = now_ + _rulingTimeout;
        _commitments[roundId] = _commit(next);
        _disputes[roundId] = Dispute({disputer: msg.sender, bond: bond});
        emit ResultStateChanged(roundId, next);
        emit ResultDisputed(roundId, msg.sender, bond, reasonHash);
        if (bond > 0) _pullExactly(msg.sender, bond);
    }

    /// @inheritdoc IClearingHouse
    function resolveDispute(uint64 roundId, RoundResult calldata state, bool upholdResult) external {
        if (!_registry.isArbiter(msg.sender)) revert Unauthorized(msg.sender);
        _checkState(roundId, state);
        if (state.status != Status.Disputed) revert NoOpenDispute(roundId);
        Dispute memory open = _disputes[roundId];
        delete _disputes[roundId];
        uint64 now_ = _registry.clock();
        address recipient;
        RoundResult memory next;
        if (upholdResult) {
            next = state;
            next.status = Status.Accepted;
            next.challengeEnds = now_;
            next.deadline = now_ + _settlementWindow;
            recipient = _registry.feeRecipient();
        } else {
            // Rejected for good: the next result must carry the next attempt number.
            uint32 count = _rejections[roundId].count + 1;
            // After the last allowed attempt the round is voidable at once.
            uint64 deadline = count >= MAX_ATTEMPTS ? now_ : now_ + _resultTimeout;
            _rejections[roundId] = Rejections(count, deadline);
            next = _rejectedState(count, deadline);
            recipient = open.disputer;
        }
        _commitments[roundId] = _commit(next);
        emit ResultStateChanged(roundId, next);
        emit DisputeResolved(roundId, upholdResult, recipient, open.bond);
        _oweBond(recipient, open.bond);
    }

    /// @inheritdoc IClearingHouse
    function voidRound(uint64 roundId, RoundResult calldata state) external {
        bytes32 current = _commitments[roundId];
        uint64 from;
        Status was = Status.None;
        if (current == bytes32(0)) {
            IRoundBook.Round memory info = _roundBook.round(roundId);
            if (info.gateClosure == 0) revert UnknownRound(roundId);
            // The community clock at gate closure is at least gateClosure - pausedBefore.
            from = info.gateClosure - info.pausedBefore + _resultTimeout;
        } else {
            _checkState(roundId, state);
            was = state.status;
            if (was != Status.Rejected && was != Status.Disputed) revert NotVoidable(roundId, 0);
            from = state.deadline;
        }
        if (_registry.clock() < from) revert NotVoidable(roundId, from);
        RoundResult memory next = _voidState();
        _commitments[roundId] = _commit(next);
        emit ResultStateChanged(roundId, next);
        emit RoundVoided(roundId, was);
        if (was == Status.Disputed) {
            // The arbiter never ruled: the disputer gets its bond back.
            Dispute memory open = _disputes[roundId];
            delete _disputes[roundId];
            _oweBond(open.disputer, open.bond);
        }
    }

    /// @inheritdoc IClearingHouse
    function withdrawBond(address to) external nonReentrant {
        uint256 amount = _bondsOwed[msg.sender];
        if (amount == 0) revert NoBondOwed(msg.sender);
        _bondsOwed[msg.sender] = 0;
        emit BondWithdrawn(msg.sender, to, amount);
        _bondToken.safeTransfer(to, amount);
    }

    /// @inheritdoc IClearingHouse
    function hashResult(ClearingResult calldata result) external view returns (bytes32) {
        return _hashTypedDataV4(Hashing.hash(result));
    }

    /// @inheritdoc IClearingHouse
    function commitmentOf(uint64 roundId) external view returns (bytes32) {
        return _commitments[roundId];
    }

    /// @inheritdoc IClearingHouse
    function isVoid(uint64 roundId) external view returns (bool) {
        return _commitments[roundId] == _commit(_voidState());
    }

    /// @inheritdoc IClearingHouse
    function isFinal(uint64 roundId, RoundResult calldata state) external view returns (bool) {
        if (_commitments[roundId] != keccak256(abi.encode(state))) return false;
        return state.status == Status.Accepted
            || (state.status == Status.Posted && _registry.clock() >= state.challengeEnds);
    }

    /// @inheritdoc IClearingHouse
    function rejections(uint64 roundId) external view returns (uint32) {
        return _rejections[roundId].count;
    }

    /// @inheritdoc IClearingHouse
    function bondOwed(address account) external view returns (uint256) {
        return _bondsOwed[account];
    }

    /// @inheritdoc IClearingHouse
    function config() external view returns (Config memory) {
        return Config(_challengeWindow, _resultTimeout, _rulingTimeout, _settlementWindow, _disputeBond);
    }

    /// @inheritdoc IClearingHouse
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _checkState(uint64 roundId, RoundResult calldata state) private view {
        bytes32 current = _commitments[roundId];
        // Comparing hashes for equality is the point here (slither's incorrect-equality targets balances
        // and timestamps; a commitment is neither, it only contains a timestamp among its inputs).
        // slither-disable-next-line incorrect-equality
        if (current == bytes32(0) || current != keccak256(abi.encode(state))) revert StateMismatch(roundId, current);
    }

    /// @dev At least `threshold` signatures of the set in force (whose epoch the result names), each from
    ///      a distinct signer, ascending by address.
    function _checkSignatures(bytes32 resultHash, uint32 signerEpoch, bytes[] calldata signatures) private view {
        uint32 epoch = _registry.signerEpoch();
        if (signerEpoch != epoch) revert SignerEpochMismatch(epoch, signerEpoch);
        uint256 threshold = _registry.signerThreshold();
        if (signatures.length < threshold) revert InsufficientSignatures(signatures.length, threshold);
        address previous = address(0);
        for (uint256 i = 0; i < signatures.length; ++i) {
            // The third value only details `failure`, which is checked: nothing is ignored that matters.
            // slither-disable-next-line unused-return
            (address recovered, ECDSA.RecoverError failure,) = ECDSA.tryRecover(resultHash, signatures[i]);
            // A malformed signature recovers nothing: report it as an unauthorised zero signer.
            if (failure != ECDSA.RecoverError.NoError || !_registry.isSigner(recovered)) {
                revert UnauthorizedSigner(resultHash, recovered);
            }
            if (recovered <= previous) revert SignersNotAscending(previous, recovered);
            previous = recovered;
        }
    }

    /// @dev Locks exactly `amount` from `from`; a token that delivers less is refused.
    function _pullExactly(address from, uint256 amount) private {
        uint256 before = _bondToken.balanceOf(address(this));
        _bondToken.safeTransferFrom(from, address(this), amount);
        uint256 received = _bondToken.balanceOf(address(this)) - before;
        if (received != amount) revert UnsupportedToken(address(_bondToken), amount, received);
    }

    function _oweBond(address account, uint256 amount) private {
        if (amount == 0) return;
        _bondsOwed[account] += amount;
        emit BondOwed(account, amount);
    }

    function _commit(RoundResult memory state) private pure returns (bytes32) {
        return keccak256(abi.encode(state));
    }

    function _rejectedState(uint32 count, uint64 deadline) private pure returns (RoundResult memory) {
        return RoundResult(bytes32(0), 0, 0, deadline, 0, count, Status.Rejected);
    }

    function _voidState() private pure returns (RoundResult memory) {
        return RoundResult(bytes32(0), 0, 0, 0, 0, 0, Status.Void);
    }
}
