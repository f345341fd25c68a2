// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ClearingHouse} from "../../contracts/ClearingHouse.sol";
import {SettlementEscrow} from "../../contracts/SettlementEscrow.sol";
import {IClearingHouse} from "../../contracts/interfaces/IClearingHouse.sol";
import {ICommunityRegistry} from "../../contracts/interfaces/ICommunityRegistry.sol";
import {IRoundBook} from "../../contracts/interfaces/IRoundBook.sol";
import {ISettlementEscrow} from "../../contracts/interfaces/ISettlementEscrow.sol";
import {ClearingResult, Order, SettlementLeaf} from "../../contracts/libraries/FlexTypes.sol";
import {Community} from "./utils/Community.sol";
import {BlocklistToken, FeeOnTransferToken} from "./utils/OddTokens.sol";

/// @notice The six attacks of issue 11, each as the attacker would run it, and each now failing; plus the
///         "also close these" items. Names: test_attack<N>_<what the attacker tried>.
contract AttacksTest is Community {
    address internal constant DISPUTER = address(0xD15);
    address internal constant BYSTANDER = address(0xB1);

    function setUp() public {
        deployCommunity();
        fund(cm, 1e12);
        token.mint(DISPUTER, 10e6);
        vm.prank(DISPUTER);
        token.approve(address(clearing), type(uint256).max);
    }

    // ───────────────────────────────────── 1. a rejected result posted again ─────────────────────────────────────

    function test_attack1_rejectedResultPostedAgain() public {
        uint64 roundId = roundWithOrders();
        SettlementLeaf[] memory leaves = leavesFor(roundId, [int256(5e5), -5e5, 0, 0]);
        (bytes32 root,) = treeOf(leaves);
        ClearingResult memory wrong = resultFor(roundId, leaves, root, 0);
        bytes[] memory signatures = signedByCm(wrong);
        IClearingHouse.RoundResult memory state = post(wrong);
        vm.prank(DISPUTER);
        clearing.dispute(roundId, state, keccak256("wrong prices"));
        state.status = IClearingHouse.Status.Disputed;
        state.deadline = registry.clock() + RULING_TIMEOUT;
        vm.prank(ARBITER);
        clearing.resolveDispute(roundId, state, false);
        // The attacker re-posts the rejected result with its original signatures.
        vm.expectRevert(abi.encodeWithSelector(IClearingHouse.AttemptMismatch.selector, roundId, uint32(1), uint32(0)));
        clearing.postResult(wrong, signatures);
        // The rejection is stored as such.
        IClearingHouse.RoundResult memory rejected = IClearingHouse.RoundResult(
            bytes32(0), 0, 0, registry.clock() + RESULT_TIMEOUT, 0, 1, IClearingHouse.Status.Rejected
        );
        assertTrue(clearing.commitmentOf(roundId) == keccak256(abi.encode(rejected)), "Rejected is stored");
        // The CM's corrected result (next attempt) is still postable.
        SettlementLeaf[] memory fixedLeaves = leavesFor(roundId, [int256(4e5), -4e5, 0, 0]);
        (bytes32 fixedRoot,) = treeOf(fixedLeaves);
        post(resultFor(roundId, fixedLeaves, fixedRoot, 1));
        assertEq(clearing.rejections(roundId), 1, "one rejection");
    }

    // ──────────────────────────────── 2. one round freezing every later round ────────────────────────────────

    function test_attack2_oneRoundFreezingEveryLaterRound() public {
        vm.warp(1_764_547_200); // 2025-12-01: a realistic unix time, so that milliseconds are far ahead
        uint64 nowTs = uint64(block.timestamp);
        // Gate closure years ahead, or milliseconds where seconds are meant: refused with a clear error.
        uint64 far = nowTs + 3 * 365 days;
        vm.prank(cm);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.ScheduleOutOfBounds.selector, far, far, 3600, 24));
        book.openRound(far, far, 3600, 24, CONFIG);
        uint64 millis = (nowTs + 600) * 1000;
        vm.prank(cm);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.ScheduleOutOfBounds.selector, millis, millis, 3600, 24));
        book.openRound(millis, millis, 3600, 24, CONFIG);
        vm.prank(cm);
        vm.expectRevert(
            abi.encodeWithSelector(IRoundBook.ScheduleOutOfBounds.selector, nowTs + 700, nowTs + 600, 900_000, 24)
        );
        book.openRound(nowTs + 700, nowTs + 600, 900_000, 24, CONFIG);

        // A stuck round (no result, nobody voids it) locks only what its own orders committed.
        for (uint256 i = 0; i < 4; ++i) fund(peers[i], 5e6);
        uint64 stuck = openWithOrders(1e6, 2); // peers 0 and 1 order, cap 1e6 each
        uint64 later = roundWithOrders(); // every peer orders in the next round
        SettlementLeaf[] memory leaves = leavesFor(later, [int256(1e5), -1e5, 0, 0]);
        (bytes32 root, bytes32[][] memory proofs) = treeOf(leaves);
        IClearingHouse.RoundResult memory state = postAndFinalise(later, leaves, root);
        applyAll(later, state, leaves, proofs);
        for (uint256 i = 0; i < 4; ++i) escrow.release(peers[i], one(later));
        // Peer 2 never ordered in the stuck round: everything is free.
        assertEq(escrow.withdrawable(peers[2]), 5e6, "bystander of the stuck round withdraws all");
        vm.prank(peers[2]);
        escrow.withdraw(5e6, peers[2]);
        assertTrue(!escrow.isFinished(stuck), "the stuck round is still open");
    }

    /// @notice The same with modest caps: a stuck round holds exactly its cap.
    function test_attack2_stuckRoundHoldsOnlyItsCommitment() public {
        fund(peers[0], 5e6);
        uint64 stuck = openWithOrders(1e6, 1);
        uint64 later = openWithOrders(1e6, 1);
        vm.warp(block.timestamp + 601);
        SettlementLeaf[] memory leaves = new SettlementLeaf[](0);
        IClearingHouse.RoundResult memory state = post(resultFor(later, leaves, bytes32(0), 0));
        vm.warp(block.timestamp + WINDOW);
        escrow.applySettlements(later, state, leaves, new bytes32[][](0));
        assertEq(escrow.withdrawable(peers[0]), 3e6, "two open rounds hold 2 x 1e6");
        escrow.release(peers[0], one(later));
        assertEq(escrow.withdrawable(peers[0]), 4e6, "only the stuck round's 1e6 stays committed");
        vm.prank(peers[0]);
        escrow.withdraw(4e6, peers[0]);
        // and the stuck round itself ends by its deadline
        vm.warp(block.timestamp + RESULT_TIMEOUT);
        clearing.voidRound(stuck, state);
        escrow.release(peers[0], one(stuck));
        assertEq(escrow.withdrawable(peers[0]), 1e6, "all free once the stuck round is void");
    }

    // ─────────────────────────────── 3. a final result that cannot settle ───────────────────────────────

    function test_attack3_finalResultThatCannotSettle() public {
        for (uint256 i = 0; i < 4; ++i) fund(peers[i], 2e6);
        uint64 roundId = roundWithOrders();
        SettlementLeaf[] memory leaves = leavesFor(roundId, [int256(1e6), -1e6, 0, 0]);
        (bytes32 root, bytes32[][] memory proofs) = treeOf(leaves);
        // Signed with a leaf count its tree does not have: it can never complete.
        ClearingResult memory result = resultFor(roundId, leaves, root, 0);
        result.leafCount = 5;
        IClearingHouse.RoundResult memory state = post(result);
        vm.warp(block.timestamp + WINDOW);
        applyAll(roundId, state, leaves, proofs);
        assertTrue(!escrow.progress(roundId).complete, "never completes");
        vm.expectRevert(abi.encodeWithSelector(ISettlementEscrow.RoundNotFinished.selector, roundId));
        escrow.release(peers[0], one(roundId));
        // The exit: after the settlement deadline anyone closes it; the commitments end.
        vm.expectRevert(abi.encodeWithSelector(ISettlementEscrow.NotClosable.selector, roundId, state.deadline));
        escrow.closeRound(roundId, state);
        vm.warp(block.timestamp + SETTLEMENT_WINDOW);
        escrow.closeRound(roundId, state);
        for (uint256 i = 0; i < 4; ++i) escrow.release(peers[i], one(roundId));
        assertEq(escrow.withdrawable(peers[0]), 1e6, "peer 0 paid its bill and is free");
        assertEq(escrow.withdrawable(peers[1]), 3e6, "peer 1 got its credit and is free");
    }

    function test_attack3_silentArbiterVoidsAfterTheRulingTimeout() public {
        uint64 roundId = roundWithOrders();
        SettlementLeaf[] memory leaves = leavesFor(roundId, [int256(0), 0, 0, 0]);
        (bytes32 root,) = treeOf(leaves);
        IClearingHouse.RoundResult memory state = post(resultFor(roundId, leaves, root, 0));
        vm.prank(DISPUTER);
        clearing.dispute(roundId, state, bytes32(0));
        state.status = IClearingHouse.Status.Disputed;
        state.deadline = registry.clock() + RULING_TIMEOUT;
        vm.expectRevert(abi.encodeWithSelector(IClearingHouse.NotVoidable.selector, roundId, state.deadline));
        clearing.voidRound(roundId, state);
        vm.warp(block.timestamp + RULING_TIMEOUT);
        clearing.voidRound(roundId, state);
        assertTrue(clearing.isVoid(roundId), "void");
        assertEq(clearing.bondOwed(DISPUTER), 1e6, "bond owed back");
        vm.prank(DISPUTER);
        clearing.withdrawBond(DISPUTER);
        assertEq(token.balanceOf(DISPUTER), 10e6, "disputer whole again");
        escrow.release(peers[0], one(roundId));
    }

    function test_attack3_uncoveredShortfallClosesAndRefunds() public {
        // The fee account cannot advance anything: peer 0 owes more than it holds.
        vm.prank(cm);
        escrow.withdraw(1e12, cm);
        fund(peers[0], 1e6);
        fund(peers[2], 3e6);
        uint64 roundId = roundWithOrders();
        SettlementLeaf[] memory leaves = leavesFor(roundId, [int256(2e6), -3e6, int256(1e6), 0]);
        (bytes32 root, bytes32[][] memory proofs) = treeOf(leaves);
        IClearingHouse.RoundResult memory state = postAndFinalise(roundId, leaves, root);
        SettlementLeaf[] memory batch = new SettlementLeaf[](1);
        bytes32[][] memory batchProofs = new bytes32[][](1);
        batch[0] = leaves[2];
        batchProofs[0] = proofs[2];
        escrow.applySettlements(roundId, state, batch, batchProofs); // peer 2 pays 1e6
        batch[0] = leaves[0];
        batchProofs[0] = proofs[0];
        vm.expectRevert(abi.encodeWithSelector(ISettlementEscrow.ShortfallUncovered.selector, roundId, peers[0], 1e6, 0));
        escrow.applySettlements(roundId, state, batch, batchProofs);
        vm.warp(block.timestamp + SETTLEMENT_WINDOW);
        escrow.closeRound(roundId, state);
        batch[0] = leaves[2];
        batchProofs[0] = proofs[2];
        escrow.refundDebits(roundId, state, batch, batchProofs);
        for (uint256 i = 0; i < 4; ++i) escrow.release(peers[i], one(roundId));
        assertEq(escrow.withdrawable(peers[2]), 3e6, "peer 2 refunded in full");
        assertEq(escrow.withdrawable(peers[0]), 1e6, "peer 0 untouched");
    }

    // ──────────────────────────────────── 4. debiting a bystander ────────────────────────────────────

    function test_attack4_debitingABystander() public {
        vm.prank(cm);
        registry.enrol(BYSTANDER, ICommunityRegistry.PeerKind.Consumer, bytes32(0));
        fund(BYSTANDER, 5e6);
        uint64 roundId = roundWithOrders(); // the bystander does not order
        SettlementLeaf[] memory leaves = leavesFor(roundId, [int256(0), -1e6, 0, 0]);
        leaves[0] = SettlementLeaf(roundId, 0, BYSTANDER, 1e6, false, 0, 0, 0, 0);
        (bytes32 root, bytes32[][] memory proofs) = treeOf(leaves);
        IClearingHouse.RoundResult memory state = postAndFinalise(roundId, leaves, root);
        vm.expectRevert(abi.encodeWithSelector(ISettlementEscrow.DebitWithoutOrder.selector, roundId, BYSTANDER));
        applyAll(roundId, state, leaves, proofs);
        assertEq(escrow.accountOf(BYSTANDER).balance, 5e6, "bystander untouched");
    }

    function test_attack4_debitAboveWhatThePeerCommitted() public {
        fund(peers[0], 5e6);
        uint64 roundId = openWithOrders(1e6, 2);
        vm.warp(block.timestamp + 601);
        SettlementLeaf[] memory leaves = leavesFor(roundId, [int256(2e6), -2e6, 0, 0]);
        (bytes32 root, bytes32[][] memory proofs) = treeOf(leaves);
        IClearingHouse.RoundResult memory state = postAndFinalise(roundId, leaves, root);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementEscrow.DebitAboveCommitment.selector, roundId, peers[0], 2e6, 1e6)
        );
        applyAll(roundId, state, leaves, proofs);
    }

    // ─────────────────────────────────────────── 5. debt dodged ───────────────────────────────────────────

    function test_attack5_debtDodged() public {
        // Round 1: peer 0 owes 3e6 with 1e6 deposited: 2e6 becomes debt to the fee account.
        fund(peers[0], 1e6);
        uint64 first = roundWithOrders();
        SettlementLeaf[] memory leaves = leavesFor(first, [int256(3e6), -3e6, 0, 0]);
        (bytes32 root, bytes32[][] memory proofs) = treeOf(leaves);
        applyAll(first, postAndFinalise(first, leaves, root), leaves, proofs);
        assertEq(escrow.accountOf(peers[0]).debt, 2e6, "debt recorded");
        // Round 2: peer 0 earns 2.5e6 and tries to walk away with it.
        uint64 second = roundWithOrders();
        leaves = leavesFor(second, [int256(-25e5), 25e5, 0, 0]);
        fund(peers[1], 25e5);
        (root, proofs) = treeOf(leaves);
        uint256 feeBefore = escrow.accountOf(cm).balance;
        applyAll(second, postAndFinalise(second, leaves, root), leaves, proofs);
        escrow.release(peers[0], one(first));
        escrow.release(peers[0], one(second));
        assertEq(escrow.accountOf(peers[0]).debt, 0, "credit repaid the debt first");
        assertEq(escrow.withdrawable(peers[0]), 5e5, "only the rest is withdrawable");
        assertEq(escrow.accountOf(cm).balance - feeBefore, 2e6, "fee account repaid");
        vm.prank(peers[0]);
        vm.expectRevert(abi.encodeWithSelector(ISettlementEscrow.FundsCommitted.selector, peers[0], 5e5, 25e5));
        escrow.withdraw(25e5, peers[0]);
    }

    // ────────────────────────────── 6. one peer sinking the relayed batch ──────────────────────────────

    function test_attack6_onePeerSinksTheRelayedBatch() public {
        uint256[3] memory keys = [uint256(0xA11CE), 0xB0B, 0xCA7];
        uint64 gate = uint64(block.timestamp + 600);
        vm.prank(cm);
        uint64 roundId = book.openRound(gate + 3600, gate, 3600, 24, CONFIG);
        Order[] memory orders = new Order[](3);
        bytes[] memory payloads = new bytes[](3);
        bytes[] memory signatures = new bytes[](3);
        for (uint256 i = 0; i < 3; ++i) {
            address peer = vm.addr(keys[i]);
            vm.prank(cm);
            registry.enrol(peer, ICommunityRegistry.PeerKind.Consumer, bytes32(0));
            payloads[i] = hex"0102";
            orders[i] = Order(roundId + 1, peer, 1, gate + 1200, NO_CAP, keccak256(payloads[i]));
        }
        // Members enrolled now belong from the next round on.
        gate = gate + 1200;
        vm.prank(cm);
        roundId = book.openRound(gate + 3600, gate, 3600, 24, CONFIG);
        for (uint256 i = 0; i < 3; ++i) signatures[i] = signature(keys[i], book.hashOrder(orders[i]));
        // The middle peer front-runs the CM's batch by invalidating its nonce.
        vm.prank(orders[1].peer);
        book.invalidateNonce(1);
        vm.prank(cm);
        uint256 accepted = book.relayOrders(orders, payloads, signatures);
        assertEq(accepted, 2, "the two valid orders land");
        assertEq(book.round(roundId).orderCount, 2, "counted");
        (bool ordered,,,) = registry.orderStatus(orders[1].peer, roundId);
        assertTrue(!ordered, "the invalidated order is skipped");
        (ordered,,,) = registry.orderStatus(orders[2].peer, roundId);
        assertTrue(ordered, "the order after it lands");
    }

    // ─────────────────────────────────────── also closed ───────────────────────────────────────

    function test_signerRotationTakesEffectAfterTheDelay() public {
        uint256 newKey = 0x5EED;
        address[] memory next = new address[](1);
        next[0] = vm.addr(newKey);
        vm.prank(ADMIN);
        registry.proposeSigners(next, 1);
        assertEq(registry.signerEpoch(), 0, "old set still in force");
        uint64 roundId = roundWithOrders();
        SettlementLeaf[] memory leaves = new SettlementLeaf[](0);
        ClearingResult memory result = resultFor(roundId, leaves, bytes32(0), 0);
        result.signerEpoch = 1;
        bytes[] memory stolen = new bytes[](1);
        stolen[0] = signature(newKey, clearing.hashResult(result));
        vm.expectRevert(abi.encodeWithSelector(IClearingHouse.SignerEpochMismatch.selector, uint32(0), uint32(1)));
        clearing.postResult(result, stolen);
        // A second rotation cannot be slipped in before the first takes effect.
        vm.prank(ADMIN);
        vm.expectRevert();
        registry.proposeSigners(next, 1);
        vm.warp(block.timestamp + SIGNER_DELAY);
        assertEq(registry.signerEpoch(), 1, "new set in force after the delay");
        assertTrue(SIGNER_DELAY > WINDOW, "delay longer than the challenge window");
        clearing.postResult(result, stolen);
    }

    function test_clearingHouseRefusesASignerDelayWithinTheWindow() public {
        vm.expectRevert(
            abi.encodeWithSelector(IClearingHouse.SignerDelayTooShort.selector, SIGNER_DELAY, SIGNER_DELAY)
        );
        new ClearingHouse(
            registry,
            book,
            IERC20(address(token)),
            IClearingHouse.Config(SIGNER_DELAY, RESULT_TIMEOUT, RULING_TIMEOUT, SETTLEMENT_WINDOW, 1e6)
        );
    }

    function test_pauseDoesNotRunOutDeadlines() public {
        uint64 roundId = roundWithOrders();
        IClearingHouse.RoundResult memory none;
        vm.prank(ARBITER);
        registry.pause();
        vm.warp(block.timestamp + 10 days);
        vm.expectRevert();
        clearing.voidRound(roundId, none);
        vm.prank(ARBITER);
        registry.unpause();
        vm.expectRevert();
        clearing.voidRound(roundId, none);
        vm.warp(block.timestamp + RESULT_TIMEOUT);
        clearing.voidRound(roundId, none);
    }

    function test_feeOnTransferDepositCreditsWhatArrived() public {
        FeeOnTransferToken odd = new FeeOnTransferToken();
        SettlementEscrow oddEscrow = new SettlementEscrow(IERC20(address(odd)), registry, clearing);
        odd.mint(peers[0], 1000);
        vm.startPrank(peers[0]);
        odd.approve(address(oddEscrow), 1000);
        oddEscrow.deposit(peers[0], 1000);
        vm.stopPrank();
        assertEq(oddEscrow.accountOf(peers[0]).balance, 990, "credited what arrived");
        assertEq(odd.balanceOf(address(oddEscrow)), 990, "backed by tokens");
    }

    function test_blocklistedDisputerDoesNotBlockTheRuling() public {
        BlocklistToken odd = new BlocklistToken();
        ClearingHouse oddClearing = new ClearingHouse(
            registry,
            book,
            IERC20(address(odd)),
            IClearingHouse.Config(uint64(WINDOW), RESULT_TIMEOUT, RULING_TIMEOUT, SETTLEMENT_WINDOW, 1e6)
        );
        odd.mint(DISPUTER, 1e6);
        vm.prank(DISPUTER);
        odd.approve(address(oddClearing), 1e6);
        uint64 roundId = roundWithOrders();
        SettlementLeaf[] memory leaves = new SettlementLeaf[](0);
        ClearingResult memory result = resultFor(roundId, leaves, bytes32(0), 0);
        bytes[] memory signatures = new bytes[](1);
        signatures[0] = signature(CM_KEY, oddClearing.hashResult(result));
        oddClearing.postResult(result, signatures);
        uint64 ends = registry.clock() + uint64(WINDOW);
        IClearingHouse.RoundResult memory state = IClearingHouse.RoundResult(
            bytes32(0), 0, ends, ends + SETTLEMENT_WINDOW, 0, 0, IClearingHouse.Status.Posted
        );
        vm.prank(DISPUTER);
        oddClearing.dispute(roundId, state, bytes32(0));
        odd.setBlocked(DISPUTER, true);
        state.status = IClearingHouse.Status.Disputed;
        state.deadline = registry.clock() + RULING_TIMEOUT;
        vm.prank(ARBITER);
        oddClearing.resolveDispute(roundId, state, false); // the ruling goes through
        assertEq(oddClearing.bondOwed(DISPUTER), 1e6, "bond waits to be pulled");
    }

    function test_secondDistributionForTheSameRoundRefused() public {
        token.mint(cm, 2e6);
        vm.startPrank(cm);
        token.approve(address(revenue), 2e6);
        uint64 id = revenue.createDistribution(7, keccak256("activations"), bytes32(uint256(1)), 1e6, 2 days, bytes32(0));
        vm.expectRevert(abi.encodeWithSignature("DistributionExists(uint64,uint64)", uint64(7), id));
        revenue.createDistribution(7, keccak256("activations"), bytes32(uint256(1)), 1e6, 2 days, bytes32(0));
        vm.stopPrank();
        assertEq(revenue.distributionOfRound(7), id, "one per round");
    }

    // ─────────────────────────────────────────── helpers ───────────────────────────────────────────

    /// @dev Open a round where the first `count` peers order with debit cap `cap`; the gate closes.
    function openWithOrders(uint80 cap, uint256 count) internal returns (uint64 roundId) {
        uint64 gate = uint64(block.timestamp + 600);
        vm.prank(cm);
        roundId = book.openRound(gate + 3600, gate, 3600, 24, CONFIG);
        bytes memory payload = hex"01";
        for (uint256 i = 0; i < count; ++i) {
            Order memory order = Order(roundId, peers[i], book.nonceOf(peers[i]) + 1, gate, cap, keccak256(payload));
            vm.prank(peers[i]);
            book.submitOrder(order, payload);
        }
    }
}
