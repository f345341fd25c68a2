// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingResult} from "../libraries/FlexTypes.sol";
import {IFlexErrors} from "./IFlexErrors.sol";

/// @title IClearingHouse
/// @notice Clearing results of rounds: posted with k-of-n EIP-712 signatures of the signer set in force,
///         after gate closure, then open to bonded disputes for a challenge window. An arbiter rules on a
///         dispute within a ruling timeout; a rejected result is never accepted again (each result
///         carries its attempt number) and a corrected one may follow. Every state has an exit with a
///         deadline (docs/contracts.md, "States and their exits"); deadlines run on the registry's
///         community clock, which stands still while the community is paused.
/// @dev Gas: a round's result state ({RoundResult}) is stored as one word, its keccak256 commitment, and
///      emitted in full on every change ({ResultPosted}, {ResultStateChanged}). Callers that act on it
///      pass the state as calldata and the contract checks it against the commitment. A round with no
///      result yet has commitment zero.
interface IClearingHouse is IFlexErrors {
    /// @notice Life cycle of a round's result.
    /// @dev None: nothing posted (exit: a result, or void after `resultTimeout` from gate closure).
    ///      Posted: in its challenge window (exit: a dispute, or final when the window ends).
    ///      Disputed: frozen until the arbiter rules (exit: a ruling, or void after `rulingTimeout`).
    ///      Accepted: upheld by the arbiter, final. Rejected: the arbiter rejected the result (exit: a
    ///      corrected result with the next attempt number, or void after `resultTimeout`; at once after
    ///      {MAX_ATTEMPTS} rejections). Void: terminal, nothing settles. A final result (Posted past its
    ///      window, or Accepted) must settle by `deadline`; after it the escrow closes the round.
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
    /// @param challengeEnds Community-clock time the result is final from (end of the challenge window;
    ///        for an accepted result, the time of the ruling).
    /// @param deadline Community-clock time by which this state must be left: Posted and Accepted, the
    ///        settlement deadline; Disputed, the ruling deadline; Rejected, the deadline for a corrected
    ///        result. Zero for Void.
    /// @param leafCount Number of settlement leaves.
    /// @param attempt The attempt number of the posted result (Rejected: of the next result).
    /// @param status See {Status}.
    struct RoundResult {
        bytes32 resultsRoot;
        uint128 totalDebit;
        uint64 challengeEnds;
        uint64 deadline;
        uint32 leafCount;
        uint32 attempt;
        Status status;
    }

    /// @notice Timing and bond parameters, fixed at deployment (seconds of community clock).
    /// @param challengeWindow Seconds during which a posted result may be disputed (less than the
    ///        registry's signer delay).
    /// @param resultTimeout Seconds after gate closure (or a rejection) after which a round with no
    ///        result may be voided by anyone.
    /// @param rulingTimeout Seconds the arbiter has to rule; after them anyone may void the round and the
    ///        bond goes back to the disputer.
    /// @param settlementWindow Seconds after a result becomes final in which it must settle; after them
    ///        anyone may close the round in the escrow.
    /// @param disputeBond Settlement-token amount a disputer locks.
    struct Config {
        uint64 challengeWindow;
        uint64 resultTimeout;
        uint64 rulingTimeout;
        uint64 settlementWindow;
        uint128 disputeBond;
    }

    /// @notice The round already has a result that is posted, disputed, accepted or void.
    error ResultAlreadyPosted(uint64 roundId, bytes32 commitment);
    /// @notice The result's attempt number is not the round's next one: a rejected result posted again,
    ///         or a result skipping ahead.
    error AttemptMismatch(uint64 roundId, uint32 expected, uint32 given);
    /// @notice The round had {MAX_ATTEMPTS} results rejected; it can only be voided.
    error AttemptsExhausted(uint64 roundId, uint32 attempts);
    /// @notice The result was signed under another signer set than the one in force.
    error SignerEpochMismatch(uint32 current, uint32 given);
    /// @notice The result state given does not match the round's stored commitment.
    error StateMismatch(uint64 roundId, bytes32 commitment);
    /// @notice The round's gate has not closed yet.
    error GateNotClosed(uint64 roundId, uint64 gateClosure);
    /// @notice The result was computed on another order book.
    error OrderDigestMismatch(uint64 roundId, bytes32 expected, bytes32 given);
    /// @notice Debits and credits differ, or a result without leaves carries non-zero totals.
    error TotalsUnbalanced(uint128 totalDebit, uint128 totalCredit);
    /// @notice Fees plus supplier charges exceed the credits they are part of.
    error FeesExceedCredits(uint128 feesAndCharges, uint128 totalCredit);
    /// @notice Fewer valid signatures than the threshold.
    error InsufficientSignatures(uint256 given, uint256 threshold);
    /// @notice A signature does not recover to a signer of the set in force.
    error UnauthorizedSigner(bytes32 resultHash, address recovered);
    /// @notice Signers must be in strictly ascending address order (no duplicates).
    error SignersNotAscending(address previous, address next);
    /// @notice The round's result cannot be disputed now (wrong status or window over).
    error NotDisputable(uint64 roundId, Status status, uint64 challengeEnds);
    /// @notice The round has no open dispute.
    error NoOpenDispute(uint64 roundId);
    /// @notice The round cannot be voided yet (`voidableFrom`, community clock), or not at all (0).
    error NotVoidable(uint64 roundId, uint64 voidableFrom);
    /// @notice The caller lacks the role the function needs.
    error Unauthorized(address caller);
    /// @notice The registry's signer delay must exceed the challenge window.
    error SignerDelayTooShort(uint64 signerDelay, uint64 challengeWindow);
    /// @notice No bond is owed to the caller.
    error NoBondOwed(address account);

    /// @notice A result was posted for a round; it becomes final at `challengeEnds` (community clock)
    ///         unless disputed. `result` is the signed struct in full, `resultHash` its EIP-712 digest,
    ///         `state` the round's new state.
    event ResultPosted(uint64 indexed roundId, bytes32 indexed resultHash, ClearingResult result, RoundResult state);
    /// @notice The round's result state changed (disputed, accepted, rejected, voided): `state` is the new
    ///         state, whose keccak256 is the stored commitment.
    event ResultStateChanged(uint64 indexed roundId, RoundResult state);
    /// @notice A posted result was disputed; settlement of the round is frozen until resolved.
    event ResultDisputed(uint64 indexed roundId, address indexed disputer, uint128 bond, bytes32 reasonHash);
    /// @notice The arbiter ruled. `upheld`: the result stands and the bond is owed to the fee account;
    ///         otherwise the result is rejected and the bond is owed back to the disputer.
    event DisputeResolved(uint64 indexed roundId, bool upheld, address bondRecipient, uint128 bond);
    /// @notice The round was voided: no result will settle it.
    event RoundVoided(uint64 indexed roundId, Status from);
    /// @notice A bond became withdrawable by `account` ({withdrawBond}).
    event BondOwed(address indexed account, uint256 amount);
    /// @notice Owed bonds were paid out.
    event BondWithdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice The configuration set at deployment.
    event ConfigSet(Config config);

    /// @notice Post a round's result with signatures of at least `threshold` signers of the set in force,
    ///         in ascending signer order. Anyone may submit (the signatures carry the authority). Only
    ///         after gate closure, while the round has no result (or its last was rejected: then with the
    ///         next attempt number), not while paused.
    function postResult(ClearingResult calldata result, bytes[] calldata signatures) external;

    /// @notice Dispute a posted result within its challenge window, locking the dispute bond
    ///         (approve the settlement token first).
    /// @param reasonHash keccak256 of the off-chain statement of the grounds.
    /// @param state The round's current result state.
    function dispute(uint64 roundId, RoundResult calldata state, bytes32 reasonHash) external;

    /// @notice Rule on an open dispute. Arbiter only.
    /// @param upholdResult True: the result stands (final now), the bond is forfeited to the fee account.
    ///        False: the result is rejected for good, the bond is owed back, a corrected result may follow.
    function resolveDispute(uint64 roundId, RoundResult calldata state, bool upholdResult) external;

    /// @notice Void a round whose state passed its deadline: no result `resultTimeout` after gate
    ///         closure, a rejection without a corrected result in time (at once after {MAX_ATTEMPTS}),
    ///         or a dispute the arbiter did not rule on within `rulingTimeout` (its bond is owed back to
    ///         the disputer). Anyone may call.
    /// @param state The round's current state (ignored when it has none).
    function voidRound(uint64 roundId, RoundResult calldata state) external;

    /// @notice Pay the caller every bond owed to it (pull: a blocklisted recipient blocks nobody else).
    function withdrawBond(address to) external;

    /// @notice EIP-712 digest of a result (what the signers sign).
    function hashResult(ClearingResult calldata result) external view returns (bytes32);

    /// @notice keccak256(abi.encode(state)) of the round's result state; zero when it has none.
    function commitmentOf(uint64 roundId) external view returns (bytes32);

    /// @notice Whether the round is void.
    function isVoid(uint64 roundId) external view returns (bool);

    /// @notice Whether `state` is the round's current state and it is final: accepted, or posted and
    ///         past its challenge window.
    function isFinal(uint64 roundId, RoundResult calldata state) external view returns (bool);

    /// @notice Results of the round rejected so far (the next result's attempt number).
    function rejections(uint64 roundId) external view returns (uint32);

    /// @notice Bonds owed to `account`.
    function bondOwed(address account) external view returns (uint256);

    /// @notice Most results a round may have (rejected ones included).
    function MAX_ATTEMPTS() external view returns (uint32);

    /// @notice The configuration (fixed at deployment).
    function config() external view returns (Config memory);

    /// @notice This contract's EIP-712 domain separator (name "FlexUnity ClearingHouse", version "1").
    function domainSeparator() external view returns (bytes32);
}
