// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ClearingHouse} from "../../../contracts/ClearingHouse.sol";
import {CommunityRegistry} from "../../../contracts/CommunityRegistry.sol";
import {RevenueDistributor} from "../../../contracts/RevenueDistributor.sol";
import {RoundBook} from "../../../contracts/RoundBook.sol";
import {SettlementEscrow} from "../../../contracts/SettlementEscrow.sol";
import {FlexTestToken} from "../../../contracts/devnet/FlexTestToken.sol";
import {IClearingHouse} from "../../../contracts/interfaces/IClearingHouse.sol";
import {ICommunityRegistry} from "../../../contracts/interfaces/ICommunityRegistry.sol";
import {IRoundBook} from "../../../contracts/interfaces/IRoundBook.sol";
import {ClearingResult, Order, SettlementLeaf} from "../../../contracts/libraries/FlexTypes.sol";
import {Test} from "./Test.sol";

/// @notice A deployed community with four peers and helpers to run a round with a 4-leaf tree.
abstract contract Community is Test {
    uint256 internal constant CM_KEY = 0xC0FFEE;
    uint256 internal constant WINDOW = 3600;
    uint64 internal constant RESULT_TIMEOUT = 1 days;
    uint64 internal constant RULING_TIMEOUT = 3 days;
    uint64 internal constant SETTLEMENT_WINDOW = 2 days;
    uint64 internal constant SIGNER_DELAY = 2 hours;
    uint80 internal constant NO_CAP = type(uint80).max;
    bytes32 internal constant CONFIG = keccak256("forge round config");
    address internal cm;
    address internal constant ADMIN = address(0xAD);
    address internal constant ARBITER = address(0xA7);
    address internal constant SUPPLIER = address(0x5);
    address[4] internal peers = [address(0x1001), address(0x1002), address(0x1003), address(0x1004)];

    FlexTestToken public token;
    CommunityRegistry internal registry;
    RoundBook internal book;
    ClearingHouse internal clearing;
    SettlementEscrow internal escrow;
    RevenueDistributor public revenue;

    function deployCommunity() internal {
        cm = vm.addr(CM_KEY);
        token = new FlexTestToken(address(this));
        registry = new CommunityRegistry(0, SIGNER_DELAY, ADMIN, cm, ARBITER, ARBITER, SUPPLIER);
        book = new RoundBook(registry, IRoundBook.ScheduleLimits(30 days, 1 days, 1000));
        vm.prank(ADMIN);
        registry.bindRoundBook(address(book));
        clearing = new ClearingHouse(
            registry,
            book,
            IERC20(address(token)),
            IClearingHouse.Config(uint64(WINDOW), RESULT_TIMEOUT, RULING_TIMEOUT, SETTLEMENT_WINDOW, 1e6)
        );
        escrow = new SettlementEscrow(IERC20(address(token)), registry, clearing);
        vm.prank(ADMIN);
        registry.bindEscrow(address(escrow));
        revenue = new RevenueDistributor(IERC20(address(token)), registry);
        for (uint256 i = 0; i < 4; ++i) {
            vm.prank(cm);
            registry.enrol(peers[i], ICommunityRegistry.PeerKind.Prosumer, bytes32(0));
        }
    }

    function fund(address account, uint256 amount) internal {
        token.mint(account, amount);
        vm.startPrank(account);
        token.approve(address(escrow), amount);
        escrow.deposit(account, amount);
        vm.stopPrank();
    }

    /// @dev Open a round, every peer orders directly, gate closes.
    function roundWithOrders() internal returns (uint64 roundId) {
        uint64 gate = uint64(block.timestamp + 600);
        vm.prank(cm);
        roundId = book.openRound(gate + 3600, gate, 3600, 24, CONFIG);
        bytes memory payload = hex"01";
        for (uint256 i = 0; i < 4; ++i) {
            Order memory order =
                Order(roundId, peers[i], uint64(book.nonceOf(peers[i]) + 1), gate, NO_CAP, keccak256(payload));
            vm.prank(peers[i]);
            book.submitOrder(order, payload);
        }
        vm.warp(gate + 1);
    }

    function leafHash(SettlementLeaf memory leaf) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(leaf))));
    }

    function pairHash(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }

    /// @dev Leaves for bills (positive: pays) of the four peers; they must sum to zero.
    function leavesFor(uint64 roundId, int256[4] memory bills) internal view returns (SettlementLeaf[] memory leaves) {
        leaves = new SettlementLeaf[](4);
        for (uint256 i = 0; i < 4; ++i) {
            int256 b = bills[i];
            leaves[i] = SettlementLeaf(
                roundId, uint32(i), peers[i], uint256(b < 0 ? -b : b), b < 0, 0, 0, 0, 0
            );
        }
    }

    /// @dev Root and proofs of a 4-leaf sorted-pair tree ((l0,l1),(l2,l3)).
    function treeOf(SettlementLeaf[] memory leaves) internal pure returns (bytes32 root, bytes32[][] memory proofs) {
        bytes32[4] memory h;
        for (uint256 i = 0; i < 4; ++i) h[i] = leafHash(leaves[i]);
        bytes32 left = pairHash(h[0], h[1]);
        bytes32 right = pairHash(h[2], h[3]);
        root = pairHash(left, right);
        proofs = new bytes32[][](4);
        for (uint256 i = 0; i < 4; ++i) {
            proofs[i] = new bytes32[](2);
            proofs[i][0] = h[i ^ 1];
            proofs[i][1] = i < 2 ? right : left;
        }
    }

    /// @dev The signed result of a round for these leaves (attempt and epoch as given).
    function resultFor(uint64 roundId, SettlementLeaf[] memory leaves, bytes32 root, uint32 attempt)
        internal
        view
        returns (ClearingResult memory result)
    {
        uint128 debit;
        uint128 credit;
        for (uint256 i = 0; i < leaves.length; ++i) {
            if (leaves[i].isCredit) credit += uint128(leaves[i].amount);
            else debit += uint128(leaves[i].amount);
        }
        result = ClearingResult(
            roundId,
            attempt,
            registry.signerEpoch(),
            book.roundDigest(roundId),
            root,
            bytes32(0),
            uint32(leaves.length),
            debit,
            credit,
            0,
            0,
            0,
            0,
            0
        );
    }

    function signedByCm(ClearingResult memory result) internal view returns (bytes[] memory signatures) {
        signatures = new bytes[](1);
        signatures[0] = signature(CM_KEY, clearing.hashResult(result));
    }

    /// @dev Post a signed result; returns the posted state.
    function post(ClearingResult memory result) internal returns (IClearingHouse.RoundResult memory state) {
        clearing.postResult(result, signedByCm(result));
        uint64 ends = registry.clock() + uint64(WINDOW);
        state = IClearingHouse.RoundResult(
            result.resultsRoot,
            result.totalDebit,
            ends,
            ends + SETTLEMENT_WINDOW,
            result.leafCount,
            result.attempt,
            IClearingHouse.Status.Posted
        );
    }

    /// @dev Post a signed result for the leaves and let the window pass; returns the final state.
    function postAndFinalise(uint64 roundId, SettlementLeaf[] memory leaves, bytes32 root)
        internal
        returns (IClearingHouse.RoundResult memory state)
    {
        state = post(resultFor(roundId, leaves, root, 0));
        vm.warp(block.timestamp + WINDOW);
    }

    /// @dev Every leaf, debits first, in one batch.
    function applyAll(
        uint64 roundId,
        IClearingHouse.RoundResult memory state,
        SettlementLeaf[] memory leaves,
        bytes32[][] memory proofs
    ) internal {
        SettlementLeaf[] memory ordered = new SettlementLeaf[](leaves.length);
        bytes32[][] memory orderedProofs = new bytes32[][](leaves.length);
        uint256 next;
        for (uint256 pass = 0; pass < 2; ++pass) {
            for (uint256 i = 0; i < leaves.length; ++i) {
                if (leaves[i].isCredit == (pass == 1)) {
                    ordered[next] = leaves[i];
                    orderedProofs[next++] = proofs[i];
                }
            }
        }
        escrow.applySettlements(roundId, state, ordered, orderedProofs);
    }

    function one(uint64 roundId) internal pure returns (uint64[] memory ids) {
        ids = new uint64[](1);
        ids[0] = roundId;
    }
}
