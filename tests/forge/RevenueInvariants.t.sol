// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRevenueDistributor} from "../../contracts/interfaces/IRevenueDistributor.sol";
import {RevenueLeaf} from "../../contracts/libraries/FlexTypes.sol";
import {Community} from "./utils/Community.sol";

/// @notice Random distributions (some funded mostly or wholly by the carry), claims and sweeps; ghosts
///         record every token in and out, and every amount swept into and carried out of the carry.
contract RevenueHandler is Community {
    uint256 public deposited; // pulled from the CM
    uint256 public paidOut; // paid to claiming peers
    uint256 public created; // Σ totals of the distributions
    uint256 public swept; // Σ Swept amounts
    uint256 public carriedIn; // Σ carried amounts of the distributions
    uint64 public count;
    mapping(uint64 id => RevenueLeaf[4]) internal shares;
    mapping(uint64 id => bytes32[2][4]) internal proofs;

    constructor() {
        deployCommunity();
        token.mint(cm, type(uint128).max);
        vm.prank(cm);
        token.approve(address(revenue), type(uint256).max);
    }

    function distribute(uint256 a, uint256 b, uint256 c, uint256 d) external {
        _distribute([bound(a, 0, 1e9), bound(b, 0, 1e9), bound(c, 0, 1e9), bound(d, 1, 1e9)]);
    }

    /// @dev A small distribution, at most the carry when there is one: the carry pays all of it.
    function distributeFromCarry(uint256 a, uint256 b) external {
        uint256 cap = revenue.carry() / 2;
        if (cap == 0) cap = 1;
        _distribute([bound(a, 0, cap), 0, 0, bound(b, 1, cap)]);
    }

    function claim(uint256 which, uint256 index) external {
        if (count == 0) return;
        uint64 id = uint64(bound(which, 1, count));
        uint256 i = index % 4;
        IRevenueDistributor.Distribution memory info = revenue.distribution(id);
        if (revenue.isClaimed(id, uint32(i)) || block.timestamp > info.claimDeadline) return;
        bytes32[] memory proof = new bytes32[](2);
        proof[0] = proofs[id][i][0];
        proof[1] = proofs[id][i][1];
        revenue.claim(shares[id][i], proof);
        paidOut += shares[id][i].amount;
    }

    function sweep(uint256 which) external {
        if (count == 0) return;
        uint64 id = uint64(bound(which, 1, count));
        IRevenueDistributor.Distribution memory info = revenue.distribution(id);
        if (info.swept) return;
        if (block.timestamp <= info.claimDeadline) vm.warp(info.claimDeadline + 1);
        revenue.sweep(id);
        swept += info.total - info.claimed;
    }

    function _distribute(uint256[4] memory amounts) internal {
        uint64 id = count + 1;
        bytes32[4] memory h;
        for (uint256 i = 0; i < 4; ++i) {
            shares[id][i] = RevenueLeaf(id, uint32(i), peers[i], amounts[i]);
            h[i] = keccak256(bytes.concat(keccak256(abi.encode(shares[id][i]))));
        }
        bytes32 left = pairHash(h[0], h[1]);
        bytes32 right = pairHash(h[2], h[3]);
        for (uint256 i = 0; i < 4; ++i) proofs[id][i] = [h[i ^ 1], i < 2 ? right : left];
        uint128 total = uint128(amounts[0] + amounts[1] + amounts[2] + amounts[3]);
        uint256 carryBefore = revenue.carry();
        uint256 cmBefore = token.balanceOf(cm);
        vm.prank(cm);
        revenue.createDistribution(id, bytes32(0), pairHash(left, right), total, uint64(block.timestamp + 1 days), bytes32(0));
        count = id;
        created += total;
        carriedIn += carryBefore - revenue.carry();
        deposited += cmBefore - token.balanceOf(cm);
    }
}

contract RevenueInvariantsTest is Community {
    RevenueHandler internal handler;

    function setUp() public {
        handler = new RevenueHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice Tokens leave the distributor only to claiming peers: it holds what the CM deposited
    ///         minus the claims (a sweep moves nothing out).
    function invariant_balanceIsDepositsMinusClaims() public view {
        assertEq(
            handler.token().balanceOf(address(handler.revenue())),
            handler.deposited() - handler.paidOut(),
            "distributor balance"
        );
    }

    /// @notice Balance == Σ over unswept distributions of (total − claimed) + carry.
    function invariant_balanceIsUnsweptRestsPlusCarry() public view {
        IRevenueDistributor revenue_ = handler.revenue();
        uint256 open = 0;
        for (uint64 id = 1; id <= handler.count(); ++id) {
            IRevenueDistributor.Distribution memory info = revenue_.distribution(id);
            if (!info.swept) open += info.total - info.claimed;
        }
        assertEq(handler.token().balanceOf(address(revenue_)), open + revenue_.carry(), "balance identity");
    }

    /// @notice The carry is what was swept minus what later distributions carried in, and the CM paid
    ///         only the part of each total the carry did not cover.
    function invariant_carryIsSweptMinusCarriedIn() public view {
        assertEq(handler.revenue().carry(), handler.swept() - handler.carriedIn(), "carry");
        assertEq(handler.deposited(), handler.created() - handler.carriedIn(), "pulled from the CM");
    }
}
