// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RevenueLeaf} from "../libraries/FlexTypes.sol";
import {IFlexErrors} from "./IFlexErrors.sol";

/// @title IRevenueDistributor
/// @notice External revenue (a balancing-market payment, say) shared among peers: the CM deposits the
///         revenue with the Merkle root of per-peer shares; each share is claimed with its proof.
/// @dev Unclaimed rule: after a distribution's claim deadline, anyone may sweep what is unclaimed into
///      the distributor's carry pool. The next distribution takes the whole pool in, and the chain pays
///      it out pro rata to that distribution's shares of its new revenue: the leaves share the new
///      revenue R (pulled from the CM) and a claim of share s pays ⌊s·(R+C)/R⌋, C the carry taken in.
///      Rounding is down, so the claims pay at most R+C (never a token created); the dust, less than
///      one base unit per leaf, stays in the distribution and its sweep passes it to the next carry.
///      Claims go only to members of the distribution's round that hold none of the community
///      manager's or supplier's roles ({ICommunityRegistry-mayReceiveRevenue}): the CM can neither
///      give itself the carry with a leaf of its own nor route it apart from the new revenue's shares.
///      Shares of one distribution sum to its revenue (checked by the audit; on chain no share exceeds
///      the revenue and claims never exceed the total). At most one distribution per round: a second
///      one for the same round is refused ({DistributionExists}), so a revenue step retried after a
///      crash can never pay twice. Claim deadlines run on the community clock.
interface IRevenueDistributor is IFlexErrors {
    /// @notice One distribution (fields ordered so that a claim without a carry reads three storage words).
    /// @param roundId The round whose revenue it distributes.
    /// @param claimDeadline Community-clock time (registry.clock()) after which claims end.
    /// @param swept Whether the unclaimed rest went into the carry pool.
    /// @param carried Whether a carry was taken in (total > revenue): claims then pay pro rata.
    /// @param total What the distribution holds: revenue + the carry taken in.
    /// @param claimed What claims paid out so far (at most `total`).
    /// @param revenue The new revenue deposited by the CM; the leaves' shares sum to it.
    struct Distribution {
        uint64 roundId;
        uint64 claimDeadline;
        bool swept;
        bool carried;
        uint128 total;
        uint128 claimed;
        bytes32 root;
        uint128 revenue;
        bytes32 activationsHash;
    }

    /// @notice The claim deadline is not in the future.
    error InvalidDeadline(uint64 claimDeadline);
    /// @notice The distribution does not exist.
    error UnknownDistribution(uint64 distributionId);
    /// @notice The share was already claimed.
    error AlreadyClaimed(uint64 distributionId, uint32 index);
    /// @notice The proof does not lead to the distribution's root.
    error ShareProofInvalid(uint64 distributionId, uint32 index);
    /// @notice The round already has a distribution.
    error DistributionExists(uint64 roundId, uint64 distributionId);
    /// @notice A distribution must name its round (non-zero).
    error MissingRound();
    /// @notice The claim period is over.
    error ClaimPeriodOver(uint64 distributionId, uint64 claimDeadline);
    /// @notice The claim period is not over yet, or the distribution was swept.
    error NotSweepable(uint64 distributionId, uint64 claimDeadline, bool swept);
    /// @notice A share exceeds the revenue, or claims would exceed the total (the shares' sum is wrong).
    error ShareExceedsDeposit(uint64 distributionId, uint256 claimed, uint256 total);
    /// @notice The share's account may not receive revenue: not a member of the distribution's round,
    ///         or a community manager, the fee recipient or the supplier.
    error RecipientNotEligible(uint64 distributionId, address account);

    /// @notice A distribution was funded: `revenue` pulled from the community manager, `carriedIn` (the
    ///         whole carry pool) taken in and paid out pro rata to the shares of `revenue`.
    event DistributionCreated(
        uint64 indexed distributionId,
        uint64 indexed roundId,
        bytes32 activationsHash,
        bytes32 root,
        uint128 revenue,
        uint128 carriedIn,
        uint64 claimDeadline,
        bytes32 documentHash
    );
    /// @notice A share was claimed: `amount` (the share plus its part of the carry) paid to its account.
    event Claimed(uint64 indexed distributionId, address indexed account, uint32 index, uint256 amount);
    /// @notice The unclaimed rest of a distribution went into the carry pool.
    event Swept(uint64 indexed distributionId, uint256 amount);

    /// @notice Fund a distribution of new revenue `revenue`, pulled from the caller (approve it first),
    ///         and take the whole carry pool in with it. Community manager only, not while paused, at
    ///         most once per round.
    /// @param roundId The round whose balancing revenue this distributes (one distribution per round).
    /// @param activationsHash keccak256 of the activation set the revenue was earned with.
    /// @param claimDeadline Unix time claims end; stored on the community clock, so a pause extends it.
    /// @param documentHash keccak256 of the off-chain allocation document (rule, inputs, shares).
    /// @return distributionId The new distribution's id (1, 2, ...).
    function createDistribution(
        uint64 roundId,
        bytes32 activationsHash,
        bytes32 root,
        uint128 revenue,
        uint64 claimDeadline,
        bytes32 documentHash
    ) external returns (uint64 distributionId);

    /// @notice Pay a share to its account (anyone may call for anyone): {payout} of the share. Not while
    ///         paused; only to an account {ICommunityRegistry-mayReceiveRevenue} allows for the round.
    function claim(RevenueLeaf calldata share, bytes32[] calldata proof) external;

    /// @notice Move the unclaimed rest into the carry pool after the deadline. Anyone may call.
    function sweep(uint64 distributionId) external;

    /// @notice A distribution.
    function distribution(uint64 distributionId) external view returns (Distribution memory);

    /// @notice Whether share `index` of a distribution was claimed.
    function isClaimed(uint64 distributionId, uint32 index) external view returns (bool);

    /// @notice What a claim of `share` pays in a distribution: ⌊share·total/revenue⌋.
    function payout(uint64 distributionId, uint256 share) external view returns (uint256);

    /// @notice The distribution of a round (0: none yet).
    function distributionOfRound(uint64 roundId) external view returns (uint64);

    /// @notice Number of distributions so far.
    function distributionCount() external view returns (uint64);

    /// @notice The carry pool: swept rests not yet taken in by a later distribution (token base units).
    ///         The next `createDistribution` takes all of it.
    /// @return The amount held for later distributions.
    function carry() external view returns (uint256);

    /// @notice The payout token (the settlement token).
    function token() external view returns (address);
}
