// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IClearingHouse} from "../../contracts/interfaces/IClearingHouse.sol";
import {ICommunityRegistry} from "../../contracts/interfaces/ICommunityRegistry.sol";
import {ISettlementEscrow} from "../../contracts/interfaces/ISettlementEscrow.sol";
import {ClearingResult, Order, SettlementLeaf} from "../../contracts/libraries/FlexTypes.sol";
import {Community} from "./utils/Community.sol";

/// @notice Rounds under random time jumps, pauses and faults: results with a wrong leaf count or totals,
///         debits above a cap or of peers without an order, disputes the arbiter upholds, rejects or never
///         rules on, a drained fee account, withdrawals at any time. After every action, every round whose
///         state passed its deadline is moved on by the permissionless exit (void, close, refund, release);
///         ghosts count every exit and withdrawal that failed.
contract LifecycleHandler is Community {
    /// @dev Clock seconds after gate closure by which every round is finished, whatever happens.
    uint64 public constant MAX_LIFETIME =
        RESULT_TIMEOUT + 3 * (uint64(WINDOW) + RULING_TIMEOUT + RESULT_TIMEOUT) + SETTLEMENT_WINDOW + 1;

    struct Tracked {
        uint64 gateClock;
        uint8 ordered; // bit i: peer i ordered
        IClearingHouse.RoundResult state;
        SettlementLeaf[] leaves;
        bytes32[][] proofs;
    }

    uint64[] public rounds;
    mapping(uint64 roundId => Tracked) internal tracked;
    uint256 public exitFailures;
    uint256 public withdrawFailures;
    uint256 public deposited;
    uint256 public withdrawn;
    uint256 public bondsIn;
    bool public isPaused;

    constructor() {
        deployCommunity();
        fund(cm, 5e7);
        deposited += 5e7;
        for (uint256 i = 0; i < 4; ++i) {
            fund(peers[i], 1e7);
            deposited += 1e7;
        }
        token.mint(address(this), 1e12);
        token.approve(address(clearing), type(uint256).max);
    }

    // ─────────────────────────────────────────── actions ───────────────────────────────────────────

    function openRound(uint256 seed) external {
        if (isPaused || rounds.length >= 12) return;
        uint64 gate = uint64(block.timestamp + 600);
        vm.prank(cm);
        uint64 roundId = book.openRound(gate + 3600, gate, 3600, 24, CONFIG);
        Tracked storage t = tracked[roundId];
        t.gateClock = gate - registry.pausedTime();
        bytes memory payload = hex"01";
        for (uint256 i = 0; i < 4; ++i) {
            if ((seed >> i) & 1 == 0) continue;
            uint80 cap = (seed >> (8 + i)) & 1 == 0 ? 5e6 : NO_CAP;
            Order memory order = Order(roundId, peers[i], book.nonceOf(peers[i]) + 1, gate, cap, keccak256(payload));
            vm.prank(peers[i]);
            book.submitOrder(order, payload);
            t.ordered |= uint8(1 << i);
        }
        rounds.push(roundId);
        vm.warp(gate);
        _exits();
    }

    function postResult(uint256 which, uint256 a, uint256 b, uint256 fault) external {
        (uint64 roundId, Tracked storage t) = _pick(which);
        if (roundId == 0 || isPaused) return;
        IClearingHouse.Status status = t.state.status;
        if (status != IClearingHouse.Status.None && status != IClearingHouse.Status.Rejected) return;
        int256[4] memory bills;
        int256 sum;
        uint256 last = 4;
        for (uint256 i = 0; i < 4; ++i) {
            if ((t.ordered >> i) & 1 == 0) continue;
            bills[i] = int256(bound(uint256(keccak256(abi.encode(a, b, i))), 0, 2e6)) - 1e6;
            sum += bills[i];
            last = i;
        }
        if (last < 4) bills[last] -= sum;
        fault = fault % 6;
        if (fault == 2 && last < 4) bills[last] += 1e13; // far above any cap, unbalanced too
        if (fault == 3) {
            for (uint256 i = 0; i < 4; ++i) if ((t.ordered >> i) & 1 == 0) bills[i] = 1e6; // debit a bystander
        }
        SettlementLeaf[] memory leaves = leavesFor(roundId, bills);
        (bytes32 root, bytes32[][] memory proofs) = treeOf(leaves);
        ClearingResult memory result = resultFor(roundId, leaves, root, t.state.attempt);
        if (fault == 1) result.leafCount += 1;
        if (fault == 4) {
            result.totalDebit += 1;
            result.totalCredit += 1;
        }
        if (result.totalDebit != result.totalCredit) result.totalCredit = result.totalDebit;
        try clearing.postResult(result, signedByCm(result)) {
            uint64 ends = registry.clock() + uint64(WINDOW);
            t.state = IClearingHouse.RoundResult(
                root, result.totalDebit, ends, ends + SETTLEMENT_WINDOW, result.leafCount, result.attempt,
                IClearingHouse.Status.Posted
            );
            delete t.leaves;
            delete t.proofs;
            for (uint256 i = 0; i < 4; ++i) {
                t.leaves.push(leaves[i]);
                t.proofs.push(proofs[i]);
            }
        } catch {}
        _exits();
    }

    function dispute(uint256 which) external {
        (uint64 roundId, Tracked storage t) = _pick(which);
        if (roundId == 0 || t.state.status != IClearingHouse.Status.Posted) return;
        if (registry.clock() >= t.state.challengeEnds) return;
        clearing.dispute(roundId, t.state, bytes32(0));
        bondsIn += 1e6;
        t.state.status = IClearingHouse.Status.Disputed;
        t.state.deadline = registry.clock() + RULING_TIMEOUT;
        _exits();
    }

    function rule(uint256 which, bool uphold) external {
        (uint64 roundId, Tracked storage t) = _pick(which);
        if (roundId == 0 || t.state.status != IClearingHouse.Status.Disputed) return;
        vm.prank(ARBITER);
        clearing.resolveDispute(roundId, t.state, uphold);
        uint64 now_ = registry.clock();
        if (uphold) {
            t.state.status = IClearingHouse.Status.Accepted;
            t.state.challengeEnds = now_;
            t.state.deadline = now_ + SETTLEMENT_WINDOW;
        } else {
            uint32 count = clearing.rejections(roundId);
            t.state = IClearingHouse.RoundResult(
                bytes32(0), 0, 0, count >= 3 ? now_ : now_ + RESULT_TIMEOUT, 0, count, IClearingHouse.Status.Rejected
            );
        }
        _exits();
    }

    function settle(uint256 which) external {
        (uint64 roundId, Tracked storage t) = _pick(which);
        if (roundId == 0 || isPaused || !clearing.isFinal(roundId, t.state)) return;
        ISettlementEscrow.Progress memory p = escrow.progress(roundId);
        if (p.closed || p.complete) return;
        for (uint256 pass = 0; pass < 2; ++pass) {
            for (uint256 i = 0; i < t.leaves.length; ++i) {
                if (t.leaves[i].isCredit != (pass == 1) || escrow.isApplied(roundId, uint32(i))) continue;
                SettlementLeaf[] memory single = new SettlementLeaf[](1);
                bytes32[][] memory proof = new bytes32[][](1);
                single[0] = t.leaves[i];
                proof[0] = t.proofs[i];
                try escrow.applySettlements(roundId, t.state, single, proof) {} catch {}
            }
        }
        // A result whose only leaves are zero completes with an empty call.
        if (t.state.leafCount == 0) escrow.applySettlements(roundId, t.state, new SettlementLeaf[](0), new bytes32[][](0));
        _exits();
    }

    function jump(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 0, 4 days));
        _exits();
    }

    function togglePause() external {
        vm.prank(ARBITER);
        if (isPaused) registry.unpause();
        else registry.pause();
        isPaused = !isPaused;
        _exits();
    }

    /// @dev A fault: the fee account empties itself (shortfalls can no longer be advanced), or refills.
    function feeAccount(bool drain) external {
        uint256 free = escrow.withdrawable(cm);
        if (drain && free > 0) {
            vm.prank(cm);
            escrow.withdraw(free, cm);
            withdrawn += free;
        } else if (!drain) {
            fund(cm, 1e7);
            deposited += 1e7;
        }
        _exits();
    }

    function withdraw(uint256 who) external {
        address account = peers[who % 4];
        uint256 free = escrow.withdrawable(account);
        if (free == 0) return;
        vm.prank(account);
        try escrow.withdraw(free, account) {
            withdrawn += free;
        } catch {
            withdrawFailures += 1;
        }
    }

    // ───────────────────────────────────── permissionless exits ─────────────────────────────────────

    /// @dev Every round whose state passed its deadline is moved on; every finished round is released.
    function _exits() internal {
        uint64 now_ = registry.clock();
        for (uint256 k = 0; k < rounds.length; ++k) {
            uint64 roundId = rounds[k];
            Tracked storage t = tracked[roundId];
            IClearingHouse.Status status = t.state.status;
            if (status == IClearingHouse.Status.None && now_ >= t.gateClock + RESULT_TIMEOUT) {
                _void(roundId, t);
            } else if (
                (status == IClearingHouse.Status.Rejected || status == IClearingHouse.Status.Disputed)
                    && now_ >= t.state.deadline
            ) {
                _void(roundId, t);
            } else if (
                (status == IClearingHouse.Status.Posted || status == IClearingHouse.Status.Accepted)
                    && now_ >= t.state.deadline && !escrow.isFinished(roundId)
            ) {
                try escrow.closeRound(roundId, t.state) {
                    _refundAll(roundId, t);
                } catch {
                    exitFailures += 1;
                }
            }
            if (escrow.isFinished(roundId)) _releaseAll(roundId, t);
        }
    }

    function _void(uint64 roundId, Tracked storage t) internal {
        try clearing.voidRound(roundId, t.state) {
            t.state = IClearingHouse.RoundResult(bytes32(0), 0, 0, 0, 0, 0, IClearingHouse.Status.Void);
        } catch {
            exitFailures += 1;
        }
    }

    function _refundAll(uint64 roundId, Tracked storage t) internal {
        for (uint256 i = 0; i < t.leaves.length; ++i) {
            if (t.leaves[i].isCredit || t.leaves[i].amount == 0 || !escrow.isApplied(roundId, uint32(i))) continue;
            SettlementLeaf[] memory single = new SettlementLeaf[](1);
            bytes32[][] memory proof = new bytes32[][](1);
            single[0] = t.leaves[i];
            proof[0] = t.proofs[i];
            try escrow.refundDebits(roundId, t.state, single, proof) {} catch {
                exitFailures += 1;
            }
        }
    }

    function _releaseAll(uint64 roundId, Tracked storage t) internal {
        for (uint256 i = 0; i < 4; ++i) {
            if ((t.ordered >> i) & 1 == 0) continue;
            (, bool released,,) = registry.orderStatus(peers[i], roundId);
            if (released) continue;
            try escrow.release(peers[i], one(roundId)) {} catch {
                exitFailures += 1;
            }
        }
    }

    function _pick(uint256 which) internal view returns (uint64 roundId, Tracked storage t) {
        if (rounds.length == 0) return (0, tracked[0]);
        roundId = rounds[which % rounds.length];
        t = tracked[roundId];
    }

    // ──────────────────────────────────────────── views ────────────────────────────────────────────

    function roundCount() external view returns (uint256) {
        return rounds.length;
    }

    function gateClockOf(uint64 roundId) external view returns (uint64) {
        return tracked[roundId].gateClock;
    }

    function orderedBy(uint64 roundId, uint256 peer) external view returns (bool) {
        return (tracked[roundId].ordered >> peer) & 1 == 1;
    }

    function peerAt(uint256 i) external view returns (address) {
        return peers[i];
    }

    function escrowHeld() external view returns (uint256 held) {
        for (uint256 k = 0; k < rounds.length; ++k) {
            ISettlementEscrow.Progress memory p = escrow.progress(rounds[k]);
            held += p.closed ? escrow.heldByClosedRound(rounds[k]) : p.debited - p.credited;
        }
    }

    function accountsTotal() external view returns (uint256 total) {
        total = escrow.accountOf(cm).balance;
        for (uint256 i = 0; i < 4; ++i) total += escrow.accountOf(peers[i]).balance;
    }

    function deployed() external view returns (ISettlementEscrow, IClearingHouse, ICommunityRegistry) {
        return (escrow, clearing, registry);
    }

    function escrowTokens() external view returns (uint256) {
        return token.balanceOf(address(escrow));
    }

    function clearingTokens() external view returns (uint256) {
        return token.balanceOf(address(clearing));
    }
}

/// forge-config: default.invariant.runs = 96
/// forge-config: default.invariant.depth = 64
contract LifecycleInvariantsTest is Community {
    LifecycleHandler internal handler;

    function setUp() public {
        handler = new LifecycleHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice Every deadline-passed state could be left by anyone, and every round is finished (settled,
    ///         closed or void) within MAX_LIFETIME of community clock after its gate closure.
    function invariant_everyRoundReachesATerminalState() public view {
        assertEq(handler.exitFailures(), 0, "a permissionless exit failed");
        (ISettlementEscrow escrow_,, ICommunityRegistry registry_) = handler.deployed();
        uint64 now_ = registry_.clock();
        for (uint256 k = 0; k < handler.roundCount(); ++k) {
            uint64 roundId = handler.rounds(k);
            if (now_ >= handler.gateClockOf(roundId) + handler.MAX_LIFETIME()) {
                assertTrue(escrow_.isFinished(roundId), "a round outlived its lifetime");
            }
        }
    }

    /// @notice Every peer can withdraw, at any moment, its balance minus its cap for each round it ordered
    ///         in that is not finished; withdrawing that never fails.
    function invariant_peersCanWithdrawWhatNoOpenRoundCommitted() public view {
        assertEq(handler.withdrawFailures(), 0, "a withdrawal of the withdrawable amount failed");
        (ISettlementEscrow escrow_,, ICommunityRegistry registry_) = handler.deployed();
        for (uint256 i = 0; i < 4; ++i) {
            address p = handler.peerAt(i);
            uint256 open;
            for (uint256 k = 0; k < handler.roundCount(); ++k) {
                uint64 roundId = handler.rounds(k);
                if (handler.orderedBy(roundId, i) && !escrow_.isFinished(roundId)) open += 1;
            }
            ICommunityRegistry.Member memory record = registry_.member(p);
            assertEq(record.openRounds, open, "open rounds = ordered and unfinished rounds");
            uint256 balance = escrow_.accountOf(p).balance;
            uint256 committed = open * record.debitCap;
            assertEq(escrow_.withdrawable(p), committed >= balance ? 0 : balance - committed, "withdrawable");
        }
    }

    /// @notice Nothing created or lost: the escrow's tokens are the accounts' balances plus what rounds hold.
    function invariant_escrowTokensAreBalancesPlusHeld() public view {
        assertEq(handler.escrowTokens(), handler.accountsTotal() + handler.escrowHeld(), "escrow conservation");
        assertEq(handler.escrowTokens(), handler.deposited() - handler.withdrawn(), "deposits minus withdrawals");
    }
}

contract LifecycleSmokeTest is Community {
    function test_handlerReachesEveryExit() public {
        LifecycleHandler h = new LifecycleHandler();
        h.openRound(0xF0F);
        h.postResult(0, 1, 2, 0);
        h.dispute(0);
        h.jump(4 days);
        (, IClearingHouse clearing_,) = h.deployed();
        assertTrue(clearing_.isVoid(1), "silent arbiter: void");
        h.openRound(0xF0F);
        h.postResult(1, 1, 2, 1);
        h.jump(1 hours);
        h.settle(1);
        h.jump(4 days);
        (ISettlementEscrow escrow_,,) = h.deployed();
        assertTrue(escrow_.progress(2).closed, "wrong leaf count: closed");
        assertEq(h.exitFailures(), 0, "no failed exit");
    }
}
