// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ICommunityRegistry} from "./interfaces/ICommunityRegistry.sol";
import {IRevenueDistributor} from "./interfaces/IRevenueDistributor.sol";
import {IndexBitmap} from "./libraries/Bitmaps.sol";
import {RevenueLeaf} from "./libraries/FlexTypes.sol";
import {Hashing} from "./libraries/Hashing.sol";

/// @title RevenueDistributor
/// @notice Merkle distributions of external revenue (balancing-market payments) to peers.
/// @dev Invariant: token balance == Σ over unswept distributions of (total − claimed) + carry. A sweep
///      moves a distribution's unclaimed rest into the carry pool, and the next distributions spend the
///      carry before pulling new tokens from the CM: no token leaves except to a claiming peer.
contract RevenueDistributor is IRevenueDistributor, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using IndexBitmap for mapping(uint256 => uint256);

    IERC20 private immutable _token;
    ICommunityRegistry private immutable _registry;
    uint64 private _count;
    uint256 private _carry;
    mapping(uint64 distributionId => Distribution) private _distributions;
    mapping(uint64 distributionId => mapping(uint256 word => uint256 bits)) private _claimed;

    constructor(IERC20 token_, ICommunityRegistry registry) {
        _token = token_;
        _registry = registry;
    }

    /// @inheritdoc IRevenueDistributor
    function createDistribution(bytes32 root, uint128 total, uint64 claimDeadline, bytes32 documentHash)
        external
        nonReentrant
        returns (uint64 distributionId)
    {
        if (!_registry.isCommunityManager(msg.sender)) revert NotCommunityManager(msg.sender);
        if (_registry.paused()) revert CommunityPaused();
        if (total == 0) revert ZeroAmount();
        if (claimDeadline <= block.timestamp) revert InvalidDeadline(claimDeadline);
        uint256 pool = _carry;
        uint128 carried = pool < total ? uint128(pool) : total;
        _carry = pool - carried;
        distributionId = ++_count;
        _distributions[distributionId] =
            Distribution({root: root, total: total, claimed: 0, claimDeadline: claimDeadline, swept: false});
        emit DistributionCreated(distributionId, root, total, claimDeadline, documentHash, carried);
        uint256 pulled = total - carried;
        if (pulled > 0) _token.safeTransferFrom(msg.sender, address(this), pulled);
    }

    /// @inheritdoc IRevenueDistributor
    function claim(RevenueLeaf calldata share, bytes32[] calldata proof) external nonReentrant {
        if (_registry.paused()) revert CommunityPaused();
        uint64 id = share.distributionId;
        Distribution storage target = _distributions[id];
        if (target.total == 0) revert UnknownDistribution(id);
        if (block.timestamp > target.claimDeadline) revert ClaimPeriodOver(id, target.claimDeadline);
        mapping(uint256 => uint256) storage claimedBits = _claimed[id];
        if (claimedBits.isSet(share.index)) revert AlreadyClaimed(id, share.index);
        if (!MerkleProof.verifyCalldata(proof, target.root, Hashing.leaf(share))) revert InvalidProof(id, share.index);
        uint256 claimed = uint256(target.claimed) + share.amount;
        // Solvency: a wrong tree can never pay out more than was deposited for it.
        if (claimed > target.total) revert ShareExceedsDeposit(id, claimed, target.total);

        claimedBits.set(share.index);
        target.claimed = uint128(claimed);
        emit Claimed(id, share.account, share.index, share.amount);
        _token.safeTransfer(share.account, share.amount);
    }

    /// @inheritdoc IRevenueDistributor
    function sweep(uint64 distributionId) external nonReentrant {
        Distribution storage target = _distributions[distributionId];
        if (target.total == 0) revert UnknownDistribution(distributionId);
        if (block.timestamp <= target.claimDeadline || target.swept) {
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
}
