// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Order} from "../libraries/FlexTypes.sol";
import {IFlexErrors} from "./IFlexErrors.sol";

/// @title IRoundBook
/// @notice Market rounds and their orders. The community manager opens a round with its intervals, gate
///         closure and the keccak256 of its configuration document, within the schedule limits fixed at
///         deployment; peers submit EIP-712 orders themselves or the CM relays batches of peer-signed
///         orders (an invalid order in a batch is skipped with {OrderSkipped}, the rest land). Only a hash
///         chain of the orders is stored; the order data is emitted, so the order book is rebuilt from
///         {OrderAccepted} events alone and checked against {roundDigest}.
interface IRoundBook is IFlexErrors {
    /// @notice A round's schedule and order book summary.
    /// @param startTime Unix time of the start of interval 0.
    /// @param gateClosure Unix time from which no order is accepted (gateClosure <= startTime).
    /// @param intervalSeconds Length of each interval.
    /// @param intervalCount Number of intervals.
    /// @param orderCount Number of accepted orders (replacements and cancellations included).
    /// @param pausedBefore The registry's {ICommunityRegistry.pausedTime} when the round was opened: the
    ///        community clock at gate closure is at least `gateClosure - pausedBefore`.
    /// @param digest Running keccak chain of the accepted orders' EIP-712 struct hashes.
    /// @param configHash keccak256 of the round's configuration document (`flexunity-round-config/1`).
    struct Round {
        uint64 startTime;
        uint64 gateClosure;
        uint32 intervalSeconds;
        uint16 intervalCount;
        uint32 orderCount;
        uint48 pausedBefore;
        bytes32 digest;
        bytes32 configHash;
    }

    /// @notice Bounds on a round's schedule, fixed at deployment: no round can be opened so far ahead
    ///         (or with such long intervals) that its deadlines never come.
    /// @param maxLeadTime Most seconds from opening to gate closure, and from gate closure to start.
    /// @param maxIntervalSeconds Longest interval.
    /// @param maxIntervalCount Most intervals.
    struct ScheduleLimits {
        uint64 maxLeadTime;
        uint32 maxIntervalSeconds;
        uint16 maxIntervalCount;
    }

    /// @notice The round's gate has closed: no more orders.
    error RoundClosed(uint64 roundId, uint64 gateClosure);
    /// @notice The peer is not a member for that round.
    error NotMember(address peer, uint64 roundId);
    /// @notice The relayed signature was not made by the order's peer.
    error InvalidSignature(bytes32 orderHash, address peer, address recovered);
    /// @notice The nonce is not above the peer's last used nonce (replay, or an outdated order).
    error NonceAlreadyUsed(bytes32 orderHash, uint64 nonce, uint64 lastNonce);
    /// @notice The order's deadline has passed.
    error OrderExpired(bytes32 orderHash, uint64 deadline);
    /// @notice keccak256(payload) differs from the order's payloadHash.
    error PayloadMismatch(bytes32 orderHash, bytes32 payloadHash);
    /// @notice A direct order must be sent by its peer.
    error SenderNotPeer(address sender, address peer);
    /// @notice The relayed batch's arrays have different lengths.
    error BatchLengthMismatch(uint256 orders, uint256 payloads, uint256 signatures);
    /// @notice The schedule is inconsistent (gate closure in the past or after the start, no intervals).
    error InvalidSchedule(uint64 startTime, uint64 gateClosure, uint32 intervalSeconds, uint16 intervalCount);
    /// @notice The schedule exceeds the deployment's limits: gate closure or start too far ahead (a
    ///         timestamp in milliseconds, say), intervals too long or too many.
    error ScheduleOutOfBounds(uint64 startTime, uint64 gateClosure, uint32 intervalSeconds, uint16 intervalCount);
    /// @notice A round must name its configuration: configHash is zero.
    error MissingConfig();

    /// @notice A round was opened under the configuration document whose keccak256 is `configHash`.
    event RoundOpened(
        uint64 indexed roundId,
        uint64 startTime,
        uint64 gateClosure,
        uint32 intervalSeconds,
        uint16 intervalCount,
        bytes32 configHash
    );
    /// @notice An order was accepted; it replaces the peer's earlier order of the round (empty payload:
    ///         cancels it). The order's struct hash is rebuilt from these fields and keccak256(payload);
    ///         chaining those hashes in event order gives {roundDigest}.
    event OrderAccepted(
        uint64 indexed roundId, address indexed peer, uint64 nonce, uint64 deadline, uint80 maxDebit, bytes payload
    );
    /// @notice A relayed order was skipped; `reason` is the ABI-encoded custom error it would have raised.
    event OrderSkipped(uint64 indexed roundId, address indexed peer, uint64 nonce, bytes reason);
    /// @notice A peer raised its nonce, cancelling every signed order with a lower or equal nonce.
    event NonceInvalidated(address indexed peer, uint64 nonce);
    /// @notice The schedule limits set at deployment.
    event ScheduleLimitsSet(uint64 maxLeadTime, uint32 maxIntervalSeconds, uint16 maxIntervalCount);

    /// @notice Open a round. Community manager only, not while paused.
    /// @param startTime Unix time of the start of interval 0, at most `maxLeadTime` after gate closure.
    /// @param gateClosure Unix time from which no order is accepted: in the future (at most `maxLeadTime`
    ///        ahead), at or before startTime.
    /// @param intervalSeconds Length of each interval (1..maxIntervalSeconds).
    /// @param intervalCount Number of intervals (1..maxIntervalCount).
    /// @param configHash keccak256 of the round's configuration document. Non-zero ({MissingConfig}).
    /// @return roundId The new round's id (1, 2, ...).
    function openRound(
        uint64 startTime,
        uint64 gateClosure,
        uint32 intervalSeconds,
        uint16 intervalCount,
        bytes32 configHash
    ) external returns (uint64 roundId);

    /// @notice Submit one's own order (no signature needed: the sender is the peer). Reverts with the
    ///         order's custom error if it is invalid.
    function submitOrder(Order calldata order, bytes calldata payload) external;

    /// @notice Relay peer-signed orders in one transaction. Community manager only, not while paused.
    ///         Each invalid order (bad signature, replayed or invalidated nonce, expired, not a member,
    ///         wrong payload, closed or unknown round) is skipped with {OrderSkipped}; the others land.
    /// @param signatures 65-byte ECDSA signatures of each order's EIP-712 digest by its peer.
    /// @return accepted How many orders of the batch were accepted.
    function relayOrders(Order[] calldata orders, bytes[] calldata payloads, bytes[] calldata signatures)
        external
        returns (uint256 accepted);

    /// @notice Raise the caller's nonce to `nonce`, cancelling every signed order at or below it.
    function invalidateNonce(uint64 nonce) external;

    /// @notice EIP-712 digest of an order (what the peer signs).
    function hashOrder(Order calldata order) external view returns (bytes32);

    /// @notice A round's schedule and order book summary.
    function round(uint64 roundId) external view returns (Round memory);

    /// @notice A round's running order digest.
    function roundDigest(uint64 roundId) external view returns (bytes32);

    /// @notice Number of rounds opened so far (the last round's id).
    function roundCount() external view returns (uint64);

    /// @notice A peer's last used nonce.
    function nonceOf(address peer) external view returns (uint64);

    /// @notice The schedule limits fixed at deployment.
    function scheduleLimits() external view returns (ScheduleLimits memory);

    /// @notice This contract's EIP-712 domain separator (name "FlexUnity RoundBook", version "1").
    function domainSeparator() external view returns (bytes32);
}
