// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingResult} from "../libraries/FlexTypes.sol";

/// @title IClearingHouse
/// @notice Clearing results of rounds: posted with k-of-n EIP-712 signatures of the registry's
///         signers after gate closure, once per round, then open to bonded disputes for a challenge
///         window. An arbiter resolves a dispute; a rejected result may be replaced by a corrected one.
/// @dev Gas: a round's result state ({RoundResult}: root, total, window end, leaf count, status) is
///      stored as one word, its keccak256 commitment, and emitted in full on every change
///      ({ResultPosted}, {ResultStateChanged}). Callers that act on it (the escrow, disputers, the
///      arbiter) pass the state as calldata and the contract checks it against the commitment. A
///      round with no result (never posted, or rejected) has commitment zero.
interface IClearingHouse {
    /// @notice Life cycle of a round's result.
    /// @dev None: nothing posted. Posted: in (or past) its challenge window. Disputed: frozen until the
    ///      arbiter rules. Accepted: the arbiter upheld it after a dispute. Rejected: the arbiter rejected
    ///      it; a corrected result may be posted. Void: no usable result in time; nothing settles.
    enum Status {
        None,
        Posted,
        Disputed,
        Accepted,
        Rejected,
        Void
    }

    /// @notice What the escrow needs to settle a round, and where the round stands.
    /// @param resultsRoot Root of the round's settlement leaves.
    /// @param totalDebit Sum of debits (= sum of credits).
    /// @param challengeEnds Unix time the challenge window ends.
    /// @param leafCount Number of settlement leaves.
    /// @param status See {Status}.
    struct RoundResult {
        bytes32 resultsRoot;
        uint128 totalDebit;
        uint64 challengeEnds;
        uint32 leafCount;
        Status status;
    }

    /// @notice Timing and bond parameters.
    /// @param challengeWindow Seconds during which a posted result may be disputed.
    /// @param resultTimeout Seconds after gate closure (or a rejection) after which a round with no
    ///        result may be voided by anyone.
    /// @param disputeBond Settlement-token amount a disputer locks.
    struct Config {
        uint64 challengeWindow;
        uint64 resultTimeout;
        uint128 disputeBond;
    }

    /// @notice The round already has a result that is posted, disputed, accepted or void.
    error ResultAlreadyPosted(uint64 roundId, bytes32 commitment);
    /// @notice The result state given does not match the round's stored commitment.
    error StateMismatch(uint64 roundId, bytes32 commitment);
    /// @notice The round's gate has not closed yet.
    error GateNotClosed(uint64 roundId, uint64 gateClosure);
    /// @notice The result was computed on another order book.
    error OrderDigestMismatch(uint64 roundId, bytes32 expected, bytes32 given);
    /// @notice Debits and credits differ (the round would not sum to zero), or a result without leaves
    ///         carries non-zero totals.
    error TotalsUnbalanced(uint128 totalDebit, uint128 totalCredit);
    /// @notice Fees plus supplier charges exceed the credits they are part of.
    error FeesExceedCredits(uint128 feesAndCharges, uint128 totalCredit);
    /// @notice Fewer valid signatures than the threshold.
    error InsufficientSignatures(uint256 given, uint256 threshold);
    /// @notice A signature does not recover to a current signer.
    error UnauthorizedSigner(bytes32 resultHash, address recovered);
    /// @notice Signers must be in strictly ascending address order (no duplicates).
    error SignersNotAscending(address previous, address next);
    /// @notice The round's result cannot be disputed now (wrong status or window over).
    error NotDisputable(uint64 roundId, Status status, uint64 challengeEnds);
    /// @notice The round has no open dispute.
    error NoOpenDispute(uint64 roundId);
    /// @notice The round cannot be voided yet (or has a result).
    error NotVoidable(uint64 roundId, uint64 voidableFrom);
    /// @notice The caller lacks the role the function needs.
    error Unauthorized(address caller);
    /// @notice The community is paused.
    error CommunityPaused();
    /// @notice The round does not exist.
    error UnknownRound(uint64 roundId);

    /// @notice A result was posted for a round; it becomes final at `challengeEnds` unless disputed.
    ///         `result` is the signed struct in full, `resultHash` its EIP-712 digest.
    event ResultPosted(
        uint64 indexed roundId, bytes32 indexed resultHash, ClearingResult result, uint64 challengeEnds
    );
    /// @notice The round's result state changed (disputed, accepted, voided): `state` is the new state,
    ///         whose keccak256 is the stored commitment. A rejection resets it to "no result" (all zero).
    event ResultStateChanged(uint64 indexed roundId, RoundResult state);
    /// @notice A posted result was disputed; settlement of the round is frozen until resolved.
    event ResultDisputed(uint64 indexed roundId, address indexed disputer, uint128 bond, bytes32 reasonHash);
    /// @notice The arbiter ruled. `upheld`: the result stands and the bond went to the fee account;
    ///         otherwise the result is rejected and the bond returned to the disputer.
    event DisputeResolved(uint64 indexed roundId, bool upheld, address bondRecipient, uint128 bond);
    /// @notice The round was voided: no result will settle it.
    event RoundVoided(uint64 indexed roundId);
    /// @notice The configuration set at deployment.
    event ConfigUpdated(uint64 challengeWindow, uint64 resultTimeout, uint128 disputeBond);

    /// @notice Post a round's result with signatures of at least `threshold` current signers, in
    ///         ascending signer order. Anyone may submit (the signatures carry the authority). Only
    ///         after gate closure, once per round (again only after a rejection), not while paused.
    function postResult(ClearingResult calldata result, bytes[] calldata signatures) external;

    /// @notice Dispute a posted result within its challenge window, locking the dispute bond
    ///         (approve the settlement token first).
    /// @param reasonHash keccak256 of the off-chain statement of the grounds.
    /// @param state The round's current result state (from {ResultPosted}).
    function dispute(uint64 roundId, RoundResult calldata state, bytes32 reasonHash) external;

    /// @notice Rule on an open dispute. Arbiter only.
    /// @param upholdResult True: the result stands (final now), the bond is forfeited to the fee account.
    ///        False: the result is rejected, the bond is returned, a corrected result may be posted.
    /// @param state The round's current (disputed) result state.
    function resolveDispute(uint64 roundId, RoundResult calldata state, bool upholdResult) external;

    /// @notice Void a round that got no usable result within `resultTimeout` of gate closure or of its
    ///         rejection. Anyone may call. A void round settles nothing and unblocks withdrawals.
    function voidRound(uint64 roundId) external;

    /// @notice EIP-712 digest of a result (what the signers sign).
    function hashResult(ClearingResult calldata result) external view returns (bytes32);

    /// @notice keccak256(abi.encode(state)) of the round's result state; zero when it has no result.
    function commitmentOf(uint64 roundId) external view returns (bytes32);

    /// @notice The commitment every voided round carries.
    function voidCommitment() external pure returns (bytes32);

    /// @notice Whether `state` is the round's current state and it is final: accepted, or posted and
    ///         past its challenge window.
    function isFinal(uint64 roundId, RoundResult calldata state) external view returns (bool);

    /// @notice The configuration (fixed at deployment).
    function config() external view returns (Config memory);

    /// @notice This contract's EIP-712 domain separator (name "FlexUnity ClearingHouse", version "1").
    function domainSeparator() external view returns (bytes32);
}
