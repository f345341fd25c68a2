// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRevenueDistributor} from "../../contracts/interfaces/IRevenueDistributor.sol";
import {RevenueLeaf} from "../../contracts/libraries/FlexTypes.sol";
import {Community} from "./utils/Community.sol";

/// @notice Random distributions (some of a tiny new revenue that takes in a large carry), claims and
///         sweeps; ghosts record every token in and out, and every amount swept into and carried out of
///         the carry.
contract RevenueHandler is Community {
    uint256 public deposited; // pulled from the CM
    uint256 public paidOut; // paid to claiming peers
    uint256 public created; // Σ new revenues of the distributions
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

    /// @dev A distribution of a tiny new revenue: the carry it takes in is paid pro rata to tiny shares.
    function distributeTiny(uint256 a, uint256 b) external {
        _distribute([bound(a, 0, 3), 0, 0, bound(b, 1, 3)]);
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
        uint256 before = token.balanceOf(peers[i]);
        revenue.claim(shares[id][i], proof);
        uint256 paid = token.balanceOf(peers[i]) - before;
        assertEq(paid, revenue.payout(id, shares[id][i].amount), "a claim pays the share's payout");
        paidOut += paid;
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
        uint128 amount = uint128(amounts[0] + amounts[1] + amounts[2] + amounts[3]);
        uint256 carryBefore = revenue.carry();
        uint256 cmBefore = token.balanceOf(cm);
        vm.prank(cm);
        revenue.createDistribution(id, bytes32(0), pairHash(left, right), amount, uint64(block.timestamp + 1 days), bytes32(0));
        count = id;
        created += amount;
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
    ///         exactly each distribution's new revenue.
    function invariant_carryIsSweptMinusCarriedIn() public view {
        assertEq(handler.revenue().carry(), handler.swept() - handler.carriedIn(), "carry");
        assertEq(handler.deposited(), handler.created(), "pulled from the CM");
    }

    /// @notice Each distribution holds its revenue plus what it carried in, and its claims never pay out
    ///         more than that (pro rata payouts round down).
    function invariant_claimsWithinRevenuePlusCarry() public view {
        IRevenueDistributor revenue_ = handler.revenue();
        uint256 totals = 0;
        for (uint64 id = 1; id <= handler.count(); ++id) {
            IRevenueDistributor.Distribution memory info = revenue_.distribution(id);
            assertTrue(info.claimed <= info.total, "claims within the total");
            assertTrue(info.carried == (info.total > info.revenue), "carried flag");
            totals += info.total - info.revenue;
        }
        assertEq(totals, handler.carriedIn(), "sum of (total - revenue) is what was carried in");
    }
}
