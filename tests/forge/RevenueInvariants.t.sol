// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRevenueDistributor} from "../../contracts/interfaces/IRevenueDistributor.sol";
import {RevenueLeaf} from "../../contracts/libraries/FlexTypes.sol";
import {Community} from "./utils/Community.sol";

/// @notice Random distributions, claims and sweeps; ghosts record every token in and out.
contract RevenueHandler is Community {
    uint256 public deposited;
    uint256 public paidOut;
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
        uint64 id = count + 1;
        uint256[4] memory amounts = [bound(a, 0, 1e9), bound(b, 0, 1e9), bound(c, 0, 1e9), bound(d, 1, 1e9)];
        bytes32[4] memory h;
        for (uint256 i = 0; i < 4; ++i) {
            shares[id][i] = RevenueLeaf(id, uint32(i), peers[i], amounts[i]);
            h[i] = keccak256(bytes.concat(keccak256(abi.encode(shares[id][i]))));
        }
        bytes32 left = pairHash(h[0], h[1]);
        bytes32 right = pairHash(h[2], h[3]);
        for (uint256 i = 0; i < 4; ++i) proofs[id][i] = [h[i ^ 1], i < 2 ? right : left];
        uint128 total = uint128(amounts[0] + amounts[1] + amounts[2] + amounts[3]);
        vm.prank(cm);
        revenue.createDistribution(pairHash(left, right), total, uint64(block.timestamp + 1 days), bytes32(0));
        count = id;
        deposited += total;
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
        paidOut += info.total - info.claimed;
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

    /// @notice The distributor holds exactly the revenue deposited minus claims and sweeps.
    function invariant_balanceIsDepositsMinusPayouts() public view {
        assertEq(
            handler.token().balanceOf(address(handler.revenue())),
            handler.deposited() - handler.paidOut(),
            "distributor balance"
        );
    }
}
