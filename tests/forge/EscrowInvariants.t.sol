// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IClearingHouse} from "../../contracts/interfaces/IClearingHouse.sol";
import {ISettlementEscrow} from "../../contracts/interfaces/ISettlementEscrow.sol";
import {SettlementLeaf} from "../../contracts/libraries/FlexTypes.sol";
import {Community} from "./utils/Community.sol";

/// @notice Random deposits, withdrawals and whole rounds (with shortfalls) against one community.
///         Ghost variables record what went in and out, and whether any round settled twice.
contract EscrowHandler is Community {
    uint256 public deposited;
    uint256 public withdrawn;
    uint256 public roundsSettled;
    uint256 public doubleSettlements;

    constructor() {
        deployCommunity();
        fund(cm, 1e12); // the fee account that advances shortfalls
        deposited += 1e12;
    }

    function deposit(uint256 who, uint256 amount) external {
        amount = bound(amount, 1, 1e12);
        fund(peers[who % 4], amount);
        deposited += amount;
    }

    function withdraw(uint256 who, uint256 amount) external {
        address peer = peers[who % 4];
        uint256 free = escrow.withdrawable(peer);
        if (free == 0) return;
        amount = bound(amount, 1, free);
        vm.prank(peer);
        escrow.withdraw(amount, peer);
        withdrawn += amount;
    }

    function settleRound(uint256 a, uint256 b, uint256 c) external {
        uint64 roundId = roundWithOrders();
        int256[4] memory bills;
        bills[0] = int256(bound(a, 0, 2e6)) - 1e6;
        bills[1] = int256(bound(b, 0, 2e6)) - 1e6;
        bills[2] = int256(bound(c, 0, 2e6)) - 1e6;
        bills[3] = -(bills[0] + bills[1] + bills[2]);
        SettlementLeaf[] memory leaves = leavesFor(roundId, bills);
        (bytes32 root, bytes32[][] memory proofs) = treeOf(leaves);
        IClearingHouse.RoundResult memory state = postAndFinalise(roundId, leaves, root);
        (SettlementLeaf[] memory ordered, bytes32[][] memory orderedProofs) = debitsFirst(leaves, proofs);
        escrow.applySettlements(roundId, state, ordered, orderedProofs);
        roundsSettled += 1;
        for (uint256 i = 0; i < 4; ++i) escrow.release(peers[i], one(roundId));
        // A second application of any leaf must fail.
        try escrow.applySettlements(roundId, state, ordered, orderedProofs) {
            doubleSettlements += 1;
        } catch {}
    }

    function debitsFirst(SettlementLeaf[] memory leaves, bytes32[][] memory proofs)
        internal
        pure
        returns (SettlementLeaf[] memory ordered, bytes32[][] memory orderedProofs)
    {
        ordered = new SettlementLeaf[](leaves.length);
        orderedProofs = new bytes32[][](leaves.length);
        uint256 next;
        for (uint256 pass = 0; pass < 2; ++pass) {
            for (uint256 i = 0; i < leaves.length; ++i) {
                if (leaves[i].isCredit == (pass == 1)) {
                    ordered[next] = leaves[i];
                    orderedProofs[next++] = proofs[i];
                }
            }
        }
    }

    function accountsTotal() external view returns (uint256 total) {
        total = escrow.accountOf(cm).balance;
        for (uint256 i = 0; i < 4; ++i) total += escrow.accountOf(peers[i]).balance;
    }

    function escrowTokenBalance() external view returns (uint256) {
        return token.balanceOf(address(escrow));
    }
}

contract EscrowInvariantsTest is Community {
    EscrowHandler internal handler;

    function setUp() public {
        handler = new EscrowHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice The escrow holds exactly what was deposited and not withdrawn.
    function invariant_tokenBalanceIsDepositsMinusWithdrawals() public view {
        assertEq(handler.escrowTokenBalance(), handler.deposited() - handler.withdrawn(), "escrow token balance");
    }

    /// @notice Peers' balances plus the fee account's equal what is deposited: settlement moves, never creates.
    function invariant_balancesPlusFeesEqualDeposits() public view {
        assertEq(handler.accountsTotal(), handler.deposited() - handler.withdrawn(), "sum of balances");
    }

    /// @notice No round ever settles twice.
    function invariant_noRoundSettlesTwice() public view {
        assertEq(handler.doubleSettlements(), 0, "double settlements");
    }
}
