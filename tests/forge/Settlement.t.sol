// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IClearingHouse} from "../../contracts/interfaces/IClearingHouse.sol";
import {ICommunityRegistry} from "../../contracts/interfaces/ICommunityRegistry.sol";
import {IRoundBook} from "../../contracts/interfaces/IRoundBook.sol";
import {ISettlementEscrow} from "../../contracts/interfaces/ISettlementEscrow.sol";
import {Order, SettlementLeaf} from "../../contracts/libraries/FlexTypes.sol";
import {Community} from "./utils/Community.sol";

/// @notice Fuzz tests of settlement and order replay.
contract SettlementTest is Community {
    function setUp() public {
        deployCommunity();
        fund(cm, 1e12);
    }

    /// @notice Any zero-sum round settles exactly: each balance moves by its bill, shortfalls become debt.
    function testFuzz_applySettlements_movesExactlyTheBills(uint256 a, uint256 b, uint256 c, uint256 deposit)
        public
    {
        deposit = bound(deposit, 0, 3e6);
        for (uint256 i = 0; i < 4; ++i) if (deposit > 0) fund(peers[i], deposit);
        uint64 roundId = roundWithOrders();
        int256[4] memory bills;
        bills[0] = int256(bound(a, 0, 4e6)) - 2e6;
        bills[1] = int256(bound(b, 0, 4e6)) - 2e6;
        bills[2] = int256(bound(c, 0, 4e6)) - 2e6;
        bills[3] = -(bills[0] + bills[1] + bills[2]);
        SettlementLeaf[] memory leaves = leavesFor(roundId, bills);
        (bytes32 root, bytes32[][] memory proofs) = treeOf(leaves);
        IClearingHouse.RoundResult memory state = postAndFinalise(roundId, leaves, root);
        uint256 feeBefore = escrow.accountOf(cm).balance;
        for (uint256 pass = 0; pass < 2; ++pass) {
            for (uint256 i = 0; i < 4; ++i) {
                if (leaves[i].isCredit != (pass == 1)) continue;
                SettlementLeaf[] memory single = new SettlementLeaf[](1);
                bytes32[][] memory proof = new bytes32[][](1);
                single[0] = leaves[i];
                proof[0] = proofs[i];
                escrow.applySettlements(roundId, state, single, proof);
            }
        }
        uint256 advanced;
        for (uint256 i = 0; i < 4; ++i) {
            ISettlementEscrow.Account memory account = escrow.accountOf(peers[i]);
            int256 expected = int256(deposit) - bills[i];
            if (expected >= 0) {
                assertEq(account.balance, uint256(expected), "balance");
                assertEq(account.debt, 0, "no debt");
            } else {
                assertEq(account.balance, 0, "emptied");
                assertEq(account.debt, uint256(-expected), "debt recorded");
                advanced += uint256(-expected);
            }
        }
        assertEq(feeBefore - escrow.accountOf(cm).balance, advanced, "fee account advanced the shortfalls");
        assertTrue(escrow.isFinished(roundId), "round finished");
        ISettlementEscrow.Progress memory progress = escrow.progress(roundId);
        assertEq(progress.debited, progress.credited, "round sums to zero");
    }

    /// @notice A credit cannot be applied before debits cover it.
    function testFuzz_creditBeforeDebits_reverts(uint256 amount) public {
        amount = bound(amount, 1, 1e6);
        uint64 roundId = roundWithOrders();
        int256[4] memory bills = [int256(amount), -int256(amount), int256(0), int256(0)];
        SettlementLeaf[] memory leaves = leavesFor(roundId, bills);
        (bytes32 root, bytes32[][] memory proofs) = treeOf(leaves);
        IClearingHouse.RoundResult memory state = postAndFinalise(roundId, leaves, root);
        SettlementLeaf[] memory single = new SettlementLeaf[](1);
        bytes32[][] memory proof = new bytes32[][](1);
        single[0] = leaves[1];
        proof[0] = proofs[1];
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementEscrow.CreditsBeforeDebits.selector, roundId, uint32(1), 0, amount)
        );
        escrow.applySettlements(roundId, state, single, proof);
    }

    /// @notice A signed order cannot be replayed on another chain id.
    function testFuzz_relayedOrder_otherChainRejected(uint64 otherChain) public {
        vm.chainId(1);
        if (otherChain == 1 || otherChain == 0) otherChain = 2;
        uint256 peerKey = 0xBEEF;
        address peer = vm.addr(peerKey);
        vm.prank(cm);
        registry.enrol(peer, ICommunityRegistry.PeerKind.Consumer, bytes32(0));
        uint64 gate = uint64(block.timestamp + 600);
        vm.prank(cm);
        uint64 roundId = book.openRound(gate + 60, gate, 900, 4, CONFIG);
        Order[] memory orders = new Order[](1);
        orders[0] = Order(roundId, peer, 1, gate, 0, keccak256(""));
        bytes[] memory payloads = new bytes[](1);
        bytes[] memory signatures = new bytes[](1);
        signatures[0] = signature(peerKey, book.hashOrder(orders[0]));
        vm.chainId(otherChain);
        vm.prank(cm);
        assertEq(book.relayOrders(orders, payloads, signatures), 0, "skipped on another chain");
        vm.chainId(1);
        vm.prank(cm);
        book.relayOrders(orders, payloads, signatures);
        assertEq(book.round(roundId).orderCount, 1, "accepted on its own chain");
        // and never twice: the replay is skipped, the order count stays
        vm.prank(cm);
        assertEq(book.relayOrders(orders, payloads, signatures), 0, "replay skipped");
        assertEq(book.round(roundId).orderCount, 1, "replay not counted");
        // submitted directly, the replay reverts with its error
        vm.prank(peer);
        vm.expectRevert(
            abi.encodeWithSelector(IRoundBook.NonceAlreadyUsed.selector, keccak256(abi.encode(
                keccak256(
                    "Order(uint64 roundId,address peer,uint64 nonce,uint64 deadline,uint80 maxDebit,bytes32 payloadHash)"
                ),
                roundId, peer, uint64(1), gate, uint80(0), keccak256("")
            )), uint64(1), uint64(1))
        );
        book.submitOrder(orders[0], payloads[0]);
    }

    /// @notice A round is bound to the config hash it was opened with; a zero hash is refused.
    function testFuzz_openRound_bindsConfigHash(bytes32 configHash) public {
        uint64 gate = uint64(block.timestamp + 600);
        vm.prank(cm);
        if (configHash == bytes32(0)) {
            vm.expectRevert(IRoundBook.MissingConfig.selector);
            book.openRound(gate + 60, gate, 900, 4, configHash);
            return;
        }
        uint64 roundId = book.openRound(gate + 60, gate, 900, 4, configHash);
        IRoundBook.Round memory info = book.round(roundId);
        assertTrue(info.configHash == configHash, "config hash stored");
        assertEq(info.gateClosure, gate, "schedule stored");
        assertEq(info.intervalCount, 4, "schedule stored");
    }
}
