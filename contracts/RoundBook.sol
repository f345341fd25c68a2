// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ICommunityRegistry} from "./interfaces/ICommunityRegistry.sol";
import {IRoundBook} from "./interfaces/IRoundBook.sol";
import {Order} from "./libraries/FlexTypes.sol";
import {Hashing} from "./libraries/Hashing.sol";

/// @title RoundBook
/// @notice Rounds and their orders: a hash chain on chain, the order data in events.
/// @dev Per order only the peer's member word in the registry (nonce, open rounds, debit cap), one bit of
///      the round's order bitmap and the round's digest change, so a relayed order costs its calldata,
///      one signature recovery, one non-zero storage rewrite and its event.
contract RoundBook is IRoundBook, EIP712 {
    ICommunityRegistry private immutable _registry;
    uint64 private immutable _maxLeadTime;
    uint32 private immutable _maxIntervalSeconds;
    uint16 private immutable _maxIntervalCount;
    uint64 private _roundCount;
    mapping(uint64 roundId => Round) private _rounds;

    constructor(ICommunityRegistry registry, ScheduleLimits memory limits) EIP712("FlexUnity RoundBook", "1") {
        _registry = registry;
        _maxLeadTime = limits.maxLeadTime;
        _maxIntervalSeconds = limits.maxIntervalSeconds;
        _maxIntervalCount = limits.maxIntervalCount;
        emit ScheduleLimitsSet(limits.maxLeadTime, limits.maxIntervalSeconds, limits.maxIntervalCount);
    }

    /// @inheritdoc IRoundBook
    function openRound(
        uint64 startTime,
        uint64 gateClosure,
        uint32 intervalSeconds,
        uint16 intervalCount,
        bytes32 configHash
    ) external returns (uint64 roundId) {
        if (!_registry.isCommunityManager(msg.sender)) revert NotCommunityManager(msg.sender);
        if (_registry.paused()) revert CommunityPaused();
        // Orders must be possible (gate in the future) and must close before delivery starts.
        if (gateClosure <= block.timestamp || gateClosure > startTime || intervalSeconds == 0 || intervalCount == 0) {
            revert InvalidSchedule(startTime, gateClosure, intervalSeconds, intervalCount);
        }
        // Every deadline of the round counts from its gate closure: it must come within the limits.
        if (
            gateClosure - block.timestamp > _maxLeadTime || startTime - gateClosure > _maxLeadTime
                || intervalSeconds > _maxIntervalSeconds || intervalCount > _maxIntervalCount
        ) revert ScheduleOutOfBounds(startTime, gateClosure, intervalSeconds, intervalCount);
        if (configHash == bytes32(0)) revert MissingConfig();
        roundId = ++_roundCount;
        _rounds[roundId] = Round({
            startTime: startTime,
            gateClosure: gateClosure,
            intervalSeconds: intervalSeconds,
            intervalCount: intervalCount,
            orderCount: 0,
            pausedBefore: uint48(_registry.pausedTime()),
            digest: bytes32(0),
            configHash: configHash
        });
        emit RoundOpened(roundId, startTime, gateClosure, intervalSeconds, intervalCount, configHash);
    }

    /// @inheritdoc IRoundBook
    function submitOrder(Order calldata order, bytes calldata payload) external {
        if (msg.sender != order.peer) revert SenderNotPeer(msg.sender, order.peer);
        if (_registry.paused()) revert CommunityPaused();
        bytes memory failure = _accept(order, payload, Hashing.hash(order));
        if (failure.length != 0) _revertWith(failure);
    }

    /// @inheritdoc IRoundBook
    function relayOrders(Order[] calldata orders, bytes[] calldata payloads, bytes[] calldata signatures)
        external
        returns (uint256 accepted)
    {
        if (!_registry.isCommunityManager(msg.sender)) revert NotCommunityManager(msg.sender);
        if (_registry.paused()) revert CommunityPaused();
        uint256 count = orders.length;
        if (payloads.length != count || signatures.length != count) {
            revert BatchLengthMismatch(count, payloads.length, signatures.length);
        }
        for (uint256 i = 0; i < count; ++i) {
            Order calldata order = orders[i];
            bytes32 orderHash = Hashing.hash(order);
            // The third value only details `error`, which is checked: nothing is ignored that matters.
            // slither-disable-next-line unused-return
            (address recovered, ECDSA.RecoverError error,) =
                ECDSA.tryRecover(_hashTypedDataV4(orderHash), signatures[i]);
            bytes memory failure = (error != ECDSA.RecoverError.NoError || recovered != order.peer)
                ? abi.encodeWithSelector(InvalidSignature.selector, orderHash, order.peer, recovered)
                : _accept(order, payloads[i], orderHash);
            // One member's bad order (or a front-run nonce invalidation) never sinks the others.
            if (failure.length != 0) emit OrderSkipped(order.roundId, order.peer, order.nonce, failure);
            else ++accepted;
        }
    }

    /// @inheritdoc IRoundBook
    function invalidateNonce(uint64 nonce) external {
        emit NonceInvalidated(msg.sender, nonce);
        uint64 lastNonce = _registry.raiseNonce(msg.sender, nonce);
        if (nonce <= lastNonce) revert NonceAlreadyUsed(bytes32(0), nonce, lastNonce);
    }

    /// @inheritdoc IRoundBook
    function hashOrder(Order calldata order) external view returns (bytes32) {
        return _hashTypedDataV4(Hashing.hash(order));
    }

    /// @inheritdoc IRoundBook
    function round(uint64 roundId) external view returns (Round memory) {
        return _rounds[roundId];
    }

    /// @inheritdoc IRoundBook
    function roundDigest(uint64 roundId) external view returns (bytes32) {
        return _rounds[roundId].digest;
    }

    /// @inheritdoc IRoundBook
    function roundCount() external view returns (uint64) {
        return _roundCount;
    }

    /// @inheritdoc IRoundBook
    function nonceOf(address peer) external view returns (uint64) {
        return _registry.nonceOf(peer);
    }

    /// @inheritdoc IRoundBook
    function scheduleLimits() external view returns (ScheduleLimits memory) {
        return ScheduleLimits(_maxLeadTime, _maxIntervalSeconds, _maxIntervalCount);
    }

    /// @inheritdoc IRoundBook
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @dev Checks the order and records it; returns the ABI-encoded error that rejects it (empty: accepted).
    ///      Nothing changes for a rejected order: the registry records only a valid member with a fresh nonce.
    ///      The registry is called before the digest is written: it is the project's own contract, fixed at
    ///      deployment, and never calls back; asking it first is what lets an invalid order be skipped.
    // slither-disable-next-line reentrancy-no-eth,reentrancy-events
    function _accept(Order calldata order, bytes calldata payload, bytes32 orderHash)
        private
        returns (bytes memory failure)
    {
        uint64 roundId = order.roundId;
        Round storage target = _rounds[roundId];
        uint64 gateClosure = target.gateClosure;
        // An unopened round has gateClosure 0; it reads as unknown rather than closed.
        if (gateClosure == 0) return abi.encodeWithSelector(UnknownRound.selector, roundId);
        if (block.timestamp >= gateClosure) return abi.encodeWithSelector(RoundClosed.selector, roundId, gateClosure);
        if (block.timestamp > order.deadline) {
            return abi.encodeWithSelector(OrderExpired.selector, orderHash, order.deadline);
        }
        if (keccak256(payload) != order.payloadHash) {
            return abi.encodeWithSelector(PayloadMismatch.selector, orderHash, order.payloadHash);
        }
        (bool belongs, uint64 lastNonce) = _registry.recordOrder(order.peer, roundId, order.nonce, order.maxDebit);
        if (!belongs) return abi.encodeWithSelector(NotMember.selector, order.peer, roundId);
        if (order.nonce <= lastNonce) {
            return abi.encodeWithSelector(NonceAlreadyUsed.selector, orderHash, order.nonce, lastNonce);
        }
        target.digest = Hashing.chain(target.digest, orderHash);
        target.orderCount += 1;
        emit OrderAccepted(roundId, order.peer, order.nonce, order.deadline, order.maxDebit, payload);
    }

    function _revertWith(bytes memory failure) private pure {
        assembly ("memory-safe") {
            revert(add(failure, 0x20), mload(failure))
        }
    }
}
