// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ICommunityRegistry} from "./interfaces/ICommunityRegistry.sol";
import {IRevenueDistributor} from "./interfaces/IRevenueDistributor.sol";
import {IndexBitmap} from "./libraries/Bitmaps.sol";
import {RevenueLeaf} from "./libraries/FlexTypes.sol";
import {Hashing} from "./libraries/Hashing.sol";

/// @title RevenueDistributor
/// @notice Merkle distributions of external revenue (balancing-market payments) to peers.
/// @dev Invariant: token balance == Σ over unswept distributions of (total − claimed) + carry. A sweep
///      moves a distribution's unclaimed rest into the carry pool; the next distribution takes the whole
///      pool in and pays it out pro rata to its shares of the new revenue (a share s of new revenue R
///      with carry C pays ⌊s·(R+C)/R⌋), only to members of its round that hold none of the CM's or the
///      supplier's roles: the CM cannot route the carry to itself. No token leaves except to such a
///      claiming peer; the rounding dust stays in the distribution and is swept into the next carry.
contract RevenueDistributor is IRevenueDistributor, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using IndexBitmap for mapping(uint256 => uint256);

    IERC20 private immutable _token;
    ICommunityRegistry private immutable _registry;
    uint64 private _count;
    uint256 private _carry;
    mapping(uint64 distributionId => Distribution) private _distributions;
    mapping(uint64 distributionId => mapping(uint256 word => uint256 bits)) private _claimed;
    mapping(uint64 roundId => uint64 distributionId) private _ofRound;

    constructor(IERC20 token_, ICommunityRegistry registry) {
        _token = token_;
        _registry = registry;
    }

    /// @inheritdoc IRevenueDistributor
    function createDistribution(
        uint64 roundId,
        bytes32 activationsHash,
        bytes32 root,
        uint128 revenue,
        uint64 claimDeadline,
        bytes32 documentHash
    ) external nonReentrant returns (uint64 distributionId) {
        if (!_registry.isCommunityManager(msg.sender)) revert NotCommunityManager(msg.sender);
        if (_registry.paused()) revert CommunityPaused();
        if (revenue == 0) revert ZeroAmount();
        if (roundId == 0) revert MissingRound();
        uint64 existing = _ofRound[roundId];
        if (existing != 0) revert DistributionExists(roundId, existing);
        if (claimDeadline <= block.timestamp) revert InvalidDeadline(claimDeadline);
        // The whole carry goes in; SafeCast refuses a total beyond uint128 (never in practice).
        uint128 carried = SafeCast.toUint128(_carry);
        uint128 total = SafeCast.toUint128(uint256(revenue) + carried);
        _carry = 0;
        distributionId = ++_count;
        _ofRound[roundId] = distributionId;
        // Not paused here, so the clock's offset from unix time is the paused time so far.
        uint64 clockDeadline = claimDeadline - _registry.pausedTime();
        _distributions[distributionId] = Distribution({
            roundId: roundId,
            claimDeadline: clockDeadline,
            swept: false,
            carried: carried > 0,
            total: total,
            claimed: 0,
            root: root,
            revenue: revenue,
            activationsHash: activationsHash
        });
        emit DistributionCreated(
            distributionId, roundId, activationsHash, root, revenue, carried, clockDeadline, documentHash
        );
        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), revenue);
        uint256 received = _token.balanceOf(address(this)) - before;
        if (received != revenue) revert UnsupportedToken(address(_token), revenue, received);
    }

    /// @inheritdoc IRevenueDistributor
    function claim(RevenueLeaf calldata share, bytes32[] calldata proof) external nonReentrant {
        uint64 id = share.distributionId;
        Distribution storage target = _distributions[id];
        uint256 total = target.total;
        // One registry call for the pause, the clock and whether the account may receive revenue.
        (bool paused, uint64 clock, bool eligible) = _registry.revenueClaimStatus(share.account, target.roundId);
        if (paused) revert CommunityPaused();
        if (total == 0) revert UnknownDistribution(id);
        if (clock > target.claimDeadline) revert ClaimPeriodOver(id, target.claimDeadline);
        mapping(uint256 => uint256) storage claimedBits = _claimed[id];
        if (claimedBits.isSet(share.index)) revert AlreadyClaimed(id, share.index);
        if (!MerkleProof.verifyCalldata(proof, target.root, Hashing.leaf(share))) revert ShareProofInvalid(id, share.index);
        if (!eligible) revert RecipientNotEligible(id, share.account);
        uint256 paid = share.amount;
        if (target.carried) {
            // Without a carry the payout is the share (total == revenue): the revenue word is not read.
            uint256 revenue = target.revenue;
            if (paid > revenue) revert ShareExceedsDeposit(id, paid, revenue);
            paid = _payout(paid, revenue, total);
        }
        uint256 claimed = uint256(target.claimed) + paid;
        // Solvency: a wrong tree can never pay out more than was deposited and carried in for it.
        if (claimed > total) revert ShareExceedsDeposit(id, claimed, total);

        claimedBits.set(share.index);
        target.claimed = uint128(claimed);
        emit Claimed(id, share.account, share.index, paid);
        _token.safeTransfer(share.account, paid);
    }

    /// @inheritdoc IRevenueDistributor
    function sweep(uint64 distributionId) external nonReentrant {
        Distribution storage target = _distributions[distributionId];
        if (target.total == 0) revert UnknownDistribution(distributionId);
        if (_registry.clock() <= target.claimDeadline || target.swept) {
            revert NotSweepable(distributionId, target.claimDeadline, target.swept);
        }
        uint256 rest = target.total - target.claimed;
        target.swept = true;
        _carry += rest;
        emit Swept(distributionId, rest);
    }

    /// @inheritdoc IRevenueDistributor
    function distribution(uint64 distributionId) external view returns (Distribution memory) {
        return _distributions[distributionId];
    }

    /// @inheritdoc IRevenueDistributor
    function isClaimed(uint64 distributionId, uint32 index) external view returns (bool) {
        return _claimed[distributionId].isSet(index);
    }

    /// @inheritdoc IRevenueDistributor
    function payout(uint64 distributionId, uint256 share) external view returns (uint256) {
        Distribution storage target = _distributions[distributionId];
        if (target.total == 0) revert UnknownDistribution(distributionId);
        return _payout(share, target.revenue, target.total);
    }

    /// @inheritdoc IRevenueDistributor
    function distributionOfRound(uint64 roundId) external view returns (uint64) {
        return _ofRound[roundId];
    }

    /// @inheritdoc IRevenueDistributor
    function distributionCount() external view returns (uint64) {
        return _count;
    }

    /// @inheritdoc IRevenueDistributor
    function carry() external view returns (uint256) {
        return _carry;
    }

    /// @inheritdoc IRevenueDistributor
    function token() external view returns (address) {
        return address(_token);
    }

    /// @dev ⌊share·total/revenue⌋ (total = revenue + carried in), rounded down so claims never pay out more
    ///      than the total; share <= revenue < 2^128 and total < 2^128, so the product fits 256 bits.
    function _payout(uint256 share, uint256 revenue, uint256 total) private pure returns (uint256) {
        return total == revenue ? share : share * total / revenue;
    }
}
