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
/// @notice Signed clearing results, their challenge window, bonded disputes and the arbiter's ruling.
/// @dev One storage word per round (the state commitment) keeps result posting under 100k gas.
contract ClearingHouse is IClearingHouse, EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;

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
    uint128 private immutable _disputeBond;
    mapping(uint64 roundId => bytes32 commitment) private _commitments;
    mapping(uint64 roundId => Dispute) private _disputes;
    mapping(uint64 roundId => uint64 time) private _rejectedAt;

    constructor(ICommunityRegistry registry, IRoundBook roundBook, IERC20 bondToken, Config memory initialConfig)
        EIP712("FlexUnity ClearingHouse", "1")
    {
        _registry = registry;
        _roundBook = roundBook;
        _bondToken = bondToken;
        _challengeWindow = initialConfig.challengeWindow;
        _resultTimeout = initialConfig.resultTimeout;
        _disputeBond = initialConfig.disputeBond;
        emit ConfigUpdated(initialConfig.challengeWindow, initialConfig.resultTimeout, initialConfig.disputeBond);
    }

    /// @inheritdoc IClearingHouse
    function postResult(ClearingResult calldata result, bytes[] calldata signatures) external {
        uint64 roundId = result.roundId;
        if (_registry.paused()) revert CommunityPaused();
        bytes32 current = _commitments[roundId];
        // Once per round; again only after the arbiter rejected the previous result (commitment reset).
        if (current != bytes32(0)) revert ResultAlreadyPosted(roundId, current);
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
        _checkSignatures(resultHash, signatures);

        uint64 challengeEnds = uint64(block.timestamp) + _challengeWindow;
        _commitments[roundId] = _commit(
            RoundResult({
                resultsRoot: result.resultsRoot,
                totalDebit: result.totalDebit,
                challengeEnds: challengeEnds,
                leafCount: result.leafCount,
                status: Status.Posted
            })
        );
        emit ResultPosted(roundId, resultHash, result, challengeEnds);
    }

    /// @inheritdoc IClearingHouse
    function dispute(uint64 roundId, RoundResult calldata state, bytes32 reasonHash) external nonReentrant {
        _checkState(roundId, state);
        // Only a posted result inside its window can be disputed.
        if (state.status != Status.Posted || block.timestamp >= state.challengeEnds) {
            revert NotDisputable(roundId, state.status, state.challengeEnds);
        }
        uint128 bond = _disputeBond;
        RoundResult memory next = state;
        next.status = Status.Disputed;
        _commitments[roundId] = _commit(next);
        _disputes[roundId] = Dispute({disputer: msg.sender, bond: bond});
        emit ResultStateChanged(roundId, next);
        emit ResultDisputed(roundId, msg.sender, bond, reasonHash);
        if (bond > 0) _bondToken.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @inheritdoc IClearingHouse
    function resolveDispute(uint64 roundId, RoundResult calldata state, bool upholdResult) external nonReentrant {
        if (!_registry.isArbiter(msg.sender)) revert Unauthorized(msg.sender);
        _checkState(roundId, state);
        if (state.status != Status.Disputed) revert NoOpenDispute(roundId);
        Dispute memory open = _disputes[roundId];
        delete _disputes[roundId];
        address recipient;
        RoundResult memory next = state;
        if (upholdResult) {
            next.status = Status.Accepted;
            _commitments[roundId] = _commit(next);
            recipient = _registry.feeRecipient();
        } else {
            // Rejected: back to "no result", so that a corrected result can be posted.
            next = RoundResult(bytes32(0), 0, 0, 0, Status.None);
            _commitments[roundId] = bytes32(0);
            _rejectedAt[roundId] = uint64(block.timestamp);
            recipient = open.disputer;
        }
        emit ResultStateChanged(roundId, next);
        emit DisputeResolved(roundId, upholdResult, recipient, open.bond);
        if (open.bond > 0) _bondToken.safeTransfer(recipient, open.bond);
    }

    /// @inheritdoc IClearingHouse
    function voidRound(uint64 roundId) external {
        bytes32 current = _commitments[roundId];
        if (current != bytes32(0)) revert NotVoidable(roundId, 0);
        uint64 gateClosure = _roundBook.round(roundId).gateClosure;
        if (gateClosure == 0) revert UnknownRound(roundId);
        uint64 from = gateClosure + _resultTimeout;
        uint64 rejected = _rejectedAt[roundId];
        // After a rejection, the CM gets a full timeout to post a corrected result.
        if (rejected != 0 && rejected + _resultTimeout > from) from = rejected + _resultTimeout;
        if (block.timestamp < from) revert NotVoidable(roundId, from);
        RoundResult memory next = _voidState();
        _commitments[roundId] = _commit(next);
        emit ResultStateChanged(roundId, next);
        emit RoundVoided(roundId);
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
    function voidCommitment() external pure returns (bytes32) {
        return _commit(_voidState());
    }

    /// @inheritdoc IClearingHouse
    function isFinal(uint64 roundId, RoundResult calldata state) external view returns (bool) {
        if (_commitments[roundId] != keccak256(abi.encode(state))) return false;
        return state.status == Status.Accepted
            || (state.status == Status.Posted && block.timestamp >= state.challengeEnds);
    }

    /// @inheritdoc IClearingHouse
    function config() external view returns (Config memory) {
        return Config(_challengeWindow, _resultTimeout, _disputeBond);
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

    /// @dev At least `threshold` signatures, each from a distinct current signer, ascending by address.
    function _checkSignatures(bytes32 resultHash, bytes[] calldata signatures) private view {
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

    function _commit(RoundResult memory state) private pure returns (bytes32) {
        return keccak256(abi.encode(state));
    }

    function _voidState() private pure returns (RoundResult memory) {
        return RoundResult(bytes32(0), 0, 0, 0, Status.Void);
    }
}
