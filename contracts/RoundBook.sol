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
/// @dev Per order only the peer's member word in the registry (membership, nonce, last round: read and
///      rewritten in one call) and the round's digest change, so a relayed order costs its calldata,
///      one signature recovery, one non-zero storage rewrite and its event.
contract RoundBook is IRoundBook, EIP712 {
    ICommunityRegistry private immutable _registry;
    uint64 private _roundCount;
    mapping(uint64 roundId => Round) private _rounds;

    constructor(ICommunityRegistry registry) EIP712("FlexUnity RoundBook", "1") {
        _registry = registry;
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
        if (configHash == bytes32(0)) revert MissingConfig();
        roundId = ++_roundCount;
        _rounds[roundId] = Round({
            startTime: startTime,
            gateClosure: gateClosure,
            intervalSeconds: intervalSeconds,
            intervalCount: intervalCount,
            orderCount: 0,
            digest: bytes32(0),
            configHash: configHash
        });
        emit RoundOpened(roundId, startTime, gateClosure, intervalSeconds, intervalCount, configHash);
    }

    /// @inheritdoc IRoundBook
    function submitOrder(Order calldata order, bytes calldata payload) external {
        if (msg.sender != order.peer) revert SenderNotPeer(msg.sender, order.peer);
        if (_registry.paused()) revert CommunityPaused();
        Round storage target = _rounds[order.roundId];
        _accept(target, order, payload, Hashing.hash(order));
    }

    /// @inheritdoc IRoundBook
    function relayOrders(Order[] calldata orders, bytes[] calldata payloads, bytes[] calldata signatures)
        external
    {
        if (!_registry.isCommunityManager(msg.sender)) revert NotCommunityManager(msg.sender);
        if (_registry.paused()) revert CommunityPaused();
        uint256 count = orders.length;
        if (payloads.length != count || signatures.length != count) {
            revert LengthMismatch(count, payloads.length, signatures.length);
        }
        for (uint256 i = 0; i < count; ++i) {
            Order calldata order = orders[i];
            bytes32 orderHash = Hashing.hash(order);
            // The third value only details `failure`, which is checked: nothing is ignored that matters.
            // slither-disable-next-line unused-return
            (address recovered, ECDSA.RecoverError failure,) =
                ECDSA.tryRecover(_hashTypedDataV4(orderHash), signatures[i]);
            if (failure != ECDSA.RecoverError.NoError || recovered != order.peer) {
                revert InvalidSignature(orderHash, order.peer, recovered);
            }
            _accept(_rounds[order.roundId], order, payloads[i], orderHash);
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
    function lastOrderedRound(address peer) external view returns (uint64) {
        return _registry.lastOrderedRound(peer);
    }

    /// @inheritdoc IRoundBook
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _accept(Round storage target, Order calldata order, bytes calldata payload, bytes32 orderHash)
        private
    {
        uint64 roundId = order.roundId;
        uint64 gateClosure = target.gateClosure;
        // An unopened round has gateClosure 0; it reads as unknown rather than closed.
        if (gateClosure == 0) revert UnknownRound(roundId);
        if (block.timestamp >= gateClosure) revert RoundClosed(roundId, gateClosure);
        if (block.timestamp > order.deadline) revert OrderExpired(orderHash, order.deadline);
        if (keccak256(payload) != order.payloadHash) revert PayloadMismatch(orderHash, order.payloadHash);
        // Effects first, then the registry (trusted, immutable): a failed check reverts them all.
        target.digest = Hashing.chain(target.digest, orderHash);
        target.orderCount += 1;
        emit OrderAccepted(roundId, order.peer, order.nonce, order.deadline, payload);
        (bool belongs, uint64 lastNonce) = _registry.recordOrder(order.peer, roundId, order.nonce);
        if (!belongs) revert NotMember(order.peer, roundId);
        if (order.nonce <= lastNonce) revert NonceAlreadyUsed(orderHash, order.nonce, lastNonce);
    }
}
