// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRevenueDistributor} from "../../contracts/interfaces/IRevenueDistributor.sol";
import {RevenueLeaf} from "../../contracts/libraries/FlexTypes.sol";
import {Community} from "./utils/Community.sol";

/// @notice Issue 11's carry attack: the CM, who chooses every distribution's tree, routes the carry of
///         swept, unclaimed shares to itself. Each test below passed the attacker on the old contract
///         (the carry was a pool the next tree could give to anyone) and fails it now: the carry is paid
///         pro rata to the next distribution's shares of its new revenue, and only to members of its round
///         that hold no CM or supplier role.
contract RevenueCarryTest is Community {
    address internal constant OUTSIDER = address(0x0BAD);
    uint64 internal constant CLAIM_WINDOW = 1 days;

    function setUp() public {
        deployCommunity();
        token.mint(cm, 1e18);
        vm.prank(cm);
        token.approve(address(revenue), type(uint256).max);
    }

    /// @notice The attack: distribution 1 leaves 4e5 unclaimed, swept into the carry; the CM makes the
    ///         next distribution a tree with one leaf, its own, worth the carry, and claims it.
    function test_carryRoutedToTheCommunityManager() public {
        uint256 carried = sweptCarry();
        uint256 cmBefore = token.balanceOf(cm);
        (uint64 id, RevenueLeaf[2] memory leaves, bytes32[2] memory proofs) =
            distribute(2, [cm, peers[2]], [carried, 0], carried);
        vm.expectRevert(abi.encodeWithSignature("RecipientNotEligible(uint64,address)", id, cm));
        revenue.claim(leaves[0], proofOf(proofs[0]));
        assertTrue(token.balanceOf(cm) <= cmBefore, "the CM got nothing back");
    }

    /// @notice The same with the fee recipient's, the supplier's or an outsider's address (a key of the CM
    ///         that is no member of the round).
    function test_carryRoutedToTheCmsOtherAccounts() public {
        uint256 carried = sweptCarry();
        address[3] memory accounts = [cm, SUPPLIER, OUTSIDER];
        for (uint256 i = 0; i < accounts.length; ++i) {
            (uint64 id, RevenueLeaf[2] memory leaves, bytes32[2] memory proofs) =
                distribute(uint64(2 + i), [accounts[i], peers[2]], [carried, 0], carried);
            vm.expectRevert(abi.encodeWithSignature("RecipientNotEligible(uint64,address)", id, accounts[i]));
            revenue.claim(leaves[0], proofOf(proofs[0]));
        }
        assertEq(token.balanceOf(OUTSIDER), 0, "nothing to the outsider");
    }

    /// @notice The carry follows the next distribution's shares of its new revenue: shares 2 and 1 of new
    ///         revenue 3 with carry 4e5 pay ⌊2·400003/3⌋ and ⌊400003/3⌋; the one base unit of rounding dust
    ///         stays and is swept into the next carry.
    function test_carryFollowsTheNextDistributionsShares() public {
        uint256 carried = sweptCarry();
        assertEq(carried, 4e5, "carry");
        (uint64 id, RevenueLeaf[2] memory leaves, bytes32[2] memory proofs) =
            distribute(2, [peers[2], peers[3]], [uint256(2), 1], 3);
        assertEq(revenue.carry(), 0, "the whole carry went in");
        assertEq(revenue.distribution(id).total, 400_003, "revenue + carry");
        revenue.claim(leaves[0], proofOf(proofs[0]));
        revenue.claim(leaves[1], proofOf(proofs[1]));
        assertEq(token.balanceOf(peers[2]), 266_668, "2/3 of 400003, rounded down");
        assertEq(token.balanceOf(peers[3]), 133_334, "1/3 of 400003, rounded down");
        vm.warp(block.timestamp + CLAIM_WINDOW + 1);
        revenue.sweep(id);
        assertEq(revenue.carry(), 1, "the dust carries on");
        assertEq(token.balanceOf(address(revenue)), 1, "nothing created or lost");
    }

    /// @notice Pro rata never creates a token: for any shares of any revenue and any carry, the claims
    ///         pay at most revenue + carry, short of it by less than one base unit per leaf.
    function testFuzz_payoutsNeverExceedTheTotal(uint256 a, uint256 b) public {
        uint256 carried = sweptCarry();
        uint256 first = bound(a, 0, 1e15);
        uint256 second = bound(b, 1, 1e15);
        (uint64 id, RevenueLeaf[2] memory leaves, bytes32[2] memory proofs) =
            distribute(2, [peers[2], peers[3]], [first, second], first + second);
        revenue.claim(leaves[1], proofOf(proofs[1]));
        if (first > 0) revenue.claim(leaves[0], proofOf(proofs[0]));
        uint256 paid = token.balanceOf(peers[2]) + token.balanceOf(peers[3]);
        assertEq(token.balanceOf(peers[2]), revenue.payout(id, first), "a claim pays its payout");
        uint256 total = first + second + carried;
        assertTrue(paid <= total, "no token created");
        assertTrue(total - paid < 2, "dust below one unit per leaf");
    }

    /// @notice A share above the distribution's revenue is refused before any payout is computed.
    function test_shareAboveTheRevenueRefused() public {
        sweptCarry();
        (uint64 id, RevenueLeaf[2] memory leaves, bytes32[2] memory proofs) =
            distribute(2, [peers[2], peers[3]], [uint256(5), 0], 3);
        vm.expectRevert(abi.encodeWithSelector(IRevenueDistributor.ShareExceedsDeposit.selector, id, 5, 3));
        revenue.claim(leaves[0], proofOf(proofs[0]));
    }

    // ─────────────────────────────────────────── helpers ───────────────────────────────────────────

    /// @dev Round 1's distribution of 1e6 (6e5 to peer 0, 4e5 to peer 1); peer 0 claims, peer 1 does not,
    ///      the rest is swept: the carry is 4e5.
    function sweptCarry() internal returns (uint256) {
        (uint64 id, RevenueLeaf[2] memory leaves, bytes32[2] memory proofs) =
            distribute(1, [peers[0], peers[1]], [uint256(6e5), 4e5], 1e6);
        revenue.claim(leaves[0], proofOf(proofs[0]));
        vm.warp(block.timestamp + CLAIM_WINDOW + 1);
        revenue.sweep(id);
        return revenue.carry();
    }

    /// @dev The CM distributes `amount` for `roundId` with a two-leaf tree.
    function distribute(uint64 roundId, address[2] memory accounts, uint256[2] memory shares, uint256 amount)
        internal
        returns (uint64 id, RevenueLeaf[2] memory leaves, bytes32[2] memory proofs)
    {
        id = revenue.distributionCount() + 1;
        bytes32[2] memory hashes;
        for (uint256 i = 0; i < 2; ++i) {
            leaves[i] = RevenueLeaf(id, uint32(i), accounts[i], shares[i]);
            hashes[i] = keccak256(bytes.concat(keccak256(abi.encode(leaves[i]))));
        }
        proofs = [hashes[1], hashes[0]];
        vm.prank(cm);
        revenue.createDistribution(
            roundId, bytes32(0), pairHash(hashes[0], hashes[1]), uint128(amount),
            uint64(block.timestamp + CLAIM_WINDOW), bytes32(0)
        );
    }

    function proofOf(bytes32 sibling) internal pure returns (bytes32[] memory proof) {
        proof = new bytes32[](1);
        proof[0] = sibling;
    }
}
