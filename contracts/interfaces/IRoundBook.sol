// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Order} from "../libraries/FlexTypes.sol";

/// @title IRoundBook
/// @notice Market rounds and their orders. The community manager opens a round with its intervals, gate
///         closure and the keccak256 of its configuration document; peers submit EIP-712 orders
///         themselves or the CM relays batches of peer-signed orders. Only a hash chain of the orders
///         is stored; the order data is emitted, so the order book is rebuilt from {OrderAccepted}
///         events alone and checked against {roundDigest}.
interface IRoundBook {
    /// @notice A round's schedule and order book summary.
    /// @param startTime Unix time of the start of interval 0.
    /// @param gateClosure Unix time from which no order is accepted (gateClosure <= startTime).
    /// @param intervalSeconds Length of each interval (900, 1800 or 3600).
    /// @param intervalCount Number of intervals.
    /// @param orderCount Number of accepted orders (replacements and cancellations included).
    /// @param digest Running keccak chain of the accepted orders' EIP-712 struct hashes.
    /// @param configHash keccak256 of the round's configuration document (`flexunity-round-config/1`:
    ///        tariffs, grid, fee, pricing rule), kept off chain in the document store. Its own slot, last:
    ///        the fields an order reads and writes stay in the first two.
    struct Round {
        uint64 startTime;
        uint64 gateClosure;
        uint32 intervalSeconds;
        uint16 intervalCount;
        uint32 orderCount;
        bytes32 digest;
        bytes32 configHash;
    }

    /// @notice The round does not exist.
    error UnknownRound(uint64 roundId);
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
    /// @notice The batch arrays have different lengths.
    error LengthMismatch(uint256 orders, uint256 payloads, uint256 signatures);
    /// @notice The schedule is inconsistent (gate closure in the past or after the start, no intervals).
    error InvalidSchedule(uint64 startTime, uint64 gateClosure, uint32 intervalSeconds, uint16 intervalCount);
    /// @notice A round must name its configuration: configHash is zero.
    error MissingConfig();
    /// @notice The caller is not a community manager.
    error NotCommunityManager(address caller);
    /// @notice The community is paused.
    error CommunityPaused();

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
    event OrderAccepted(uint64 indexed roundId, address indexed peer, uint64 nonce, uint64 deadline, bytes payload);
    /// @notice A peer raised its nonce, cancelling every signed order with a lower or equal nonce.
    event NonceInvalidated(address indexed peer, uint64 nonce);

    /// @notice Open a round. Community manager only, not while paused.
    /// @param startTime Unix time of the start of interval 0.
    /// @param gateClosure Unix time from which no order is accepted: in the future, at or before startTime.
    /// @param intervalSeconds Length of each interval (non-zero).
    /// @param intervalCount Number of intervals (non-zero).
    /// @param configHash keccak256 of the round's configuration document in the document store; binds the
    ///        tariffs, grid, fee and pricing rule the round is cleared under. Non-zero ({MissingConfig}).
    /// @return roundId The new round's id (1, 2, ...).
    function openRound(
        uint64 startTime,
        uint64 gateClosure,
        uint32 intervalSeconds,
        uint16 intervalCount,
        bytes32 configHash
    ) external returns (uint64 roundId);

    /// @notice Submit one's own order (no signature needed: the sender is the peer).
    /// @param order The order; `order.peer` must be the sender.
    /// @param payload The per-interval data whose keccak256 is `order.payloadHash`.
    function submitOrder(Order calldata order, bytes calldata payload) external;

    /// @notice Relay peer-signed orders in one transaction. Community manager only. All or nothing:
    ///         the first invalid order reverts the batch with its custom error.
    /// @param signatures 65-byte ECDSA signatures of each order's EIP-712 digest by its peer.
    function relayOrders(Order[] calldata orders, bytes[] calldata payloads, bytes[] calldata signatures)
        external;

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

    /// @notice The highest round a peer has had an order accepted in (0: none).
    function lastOrderedRound(address peer) external view returns (uint64);

    /// @notice This contract's EIP-712 domain separator (name "FlexUnity RoundBook", version "1").
    function domainSeparator() external view returns (bytes32);
}
