// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RevenueLeaf} from "../libraries/FlexTypes.sol";
import {IFlexErrors} from "./IFlexErrors.sol";

/// @title IRevenueDistributor
/// @notice External revenue (a balancing-market payment, say) shared among peers: the CM deposits the
///         revenue with the Merkle root of per-peer shares; each share is claimed with its proof.
/// @dev Unclaimed rule: after a distribution's claim deadline, anyone may sweep what is unclaimed into
///      the distributor's carry pool; the next distributions take their funds from the carry first and
///      pull only the difference from the CM, so no token ever leaves except to a claiming peer (the
///      audit checks that each document shares the carried amount). Shares of one distribution sum to
///      its total (checked by the audit; on chain, claims can never exceed it). At most one distribution
///      per round: a second one for the same round is refused ({DistributionExists}), so a revenue step
///      retried after a crash can never pay twice. Claim deadlines run on the community clock.
interface IRevenueDistributor is IFlexErrors {
    /// @notice One distribution.
    /// @param claimDeadline Community-clock time (registry.clock()) after which claims end.
    struct Distribution {
        uint64 roundId;
        bytes32 activationsHash;
        bytes32 root;
        uint128 total;
        uint128 claimed;
        uint64 claimDeadline;
        bool swept;
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
    /// @notice Claims would exceed the deposit (the shares' sum is wrong).
    error ShareExceedsDeposit(uint64 distributionId, uint256 claimed, uint256 total);

    /// @notice A distribution was funded: `carriedIn` of its `total` came from the carry pool, the rest
    ///         from the community manager.
    event DistributionCreated(
        uint64 indexed distributionId,
        uint64 indexed roundId,
        bytes32 activationsHash,
        bytes32 root,
        uint128 total,
        uint64 claimDeadline,
        bytes32 documentHash,
        uint128 carriedIn
    );
    /// @notice A share was claimed and paid to its account.
    event Claimed(uint64 indexed distributionId, address indexed account, uint32 index, uint256 amount);
    /// @notice The unclaimed rest of a distribution went into the carry pool.
    event Swept(uint64 indexed distributionId, uint256 amount);

    /// @notice Fund a distribution of `total`: min(carry, `total`) comes from the carry pool, the rest is
    ///         pulled from the caller (approve `total - min(carry(), total)` first). Community manager
    ///         only, not while paused, at most once per round.
    /// @param roundId The round whose balancing revenue this distributes (one distribution per round).
    /// @param activationsHash keccak256 of the activation set the revenue was earned with.
    /// @param claimDeadline Unix time claims end; stored on the community clock, so a pause extends it.
    /// @param documentHash keccak256 of the off-chain allocation document (rule, inputs, shares).
    /// @return distributionId The new distribution's id (1, 2, ...).
    function createDistribution(
        uint64 roundId,
        bytes32 activationsHash,
        bytes32 root,
        uint128 total,
        uint64 claimDeadline,
        bytes32 documentHash
    ) external returns (uint64 distributionId);

    /// @notice Pay a share to its account (anyone may call for anyone). Not while paused.
    function claim(RevenueLeaf calldata share, bytes32[] calldata proof) external;

    /// @notice Move the unclaimed rest into the carry pool after the deadline. Anyone may call.
    function sweep(uint64 distributionId) external;

    /// @notice A distribution.
    function distribution(uint64 distributionId) external view returns (Distribution memory);

    /// @notice Whether share `index` of a distribution was claimed.
    function isClaimed(uint64 distributionId, uint32 index) external view returns (bool);

    /// @notice The distribution of a round (0: none yet).
    function distributionOfRound(uint64 roundId) external view returns (uint64);

    /// @notice Number of distributions so far.
    function distributionCount() external view returns (uint64);

    /// @notice The carry pool: swept rests not yet spent by a later distribution (in token base units).
    ///         The next `createDistribution` takes min(carry, total) from it.
    /// @return The amount held for later distributions.
    function carry() external view returns (uint256);

    /// @notice The payout token (the settlement token).
    function token() external view returns (address);
}
