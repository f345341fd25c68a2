// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ICommunityRegistry
/// @notice Who belongs to the community and who may do what: members (peers) by round, the roles
///         (admin, community manager, arbiter, pauser), the clearing signers with their threshold,
///         the fee and supplier accounts, and the community-wide emergency pause.
/// @dev Membership is counted in rounds so that leaving takes effect from the next round on: a peer
///      belongs to round r when fromRound <= r < untilRound (untilRound 0 means open-ended).
///      Gas: a member's record also carries its order nonce and last ordered round (written by the
///      bound RoundBook), so accepting an order reads and rewrites one word that enrolment already
///      made non-zero, instead of a membership read plus a separate nonce word.
interface ICommunityRegistry {
    /// @notice Kind of a member, as declared by the community manager.
    enum PeerKind {
        Consumer,
        Prosumer,
        Producer,
        Storage
    }

    /// @notice A member's record.
    /// @param kind What the member is.
    /// @param fromRound First round the member may order in.
    /// @param untilRound First round the member may no longer order in (0: none set).
    /// @param lastOrderedRound Highest round the member had an order accepted in (0: none).
    /// @param nonce The member's last used order nonce (kept across leaving and re-joining).
    /// @param metadataHash keccak256 of the member's off-chain metadata (assets, tariff, site).
    struct Member {
        PeerKind kind;
        uint48 fromRound;
        uint48 untilRound;
        uint48 lastOrderedRound;
        uint64 nonce;
        bytes32 metadataHash;
    }

    /// @notice The account is already a current member.
    error AlreadyMember(address peer);
    /// @notice The account is not a current member.
    error NotAMember(address peer);
    /// @notice The zero address was given where an account is needed.
    error ZeroAddress();
    /// @notice The signer set is empty, has duplicates or zero addresses, or the threshold is out of range.
    error InvalidSignerSet(uint256 signers, uint256 threshold);
    /// @notice The round book is already bound, or was never bound.
    error RoundBookBinding(address current);
    /// @notice Only the bound round book records orders and nonces.
    error NotRoundBook(address caller);

    /// @notice A peer was enrolled; it may order from `fromRound` on.
    event PeerEnrolled(address indexed peer, PeerKind kind, bytes32 metadataHash, uint48 fromRound);
    /// @notice A member's metadata hash changed.
    event PeerMetadataUpdated(address indexed peer, bytes32 metadataHash);
    /// @notice A member leaves (removed by the CM, or by itself); it may no longer order from `untilRound` on.
    event PeerLeft(address indexed peer, uint48 untilRound, bool byPeer);
    /// @notice The clearing signer set was replaced; results must now carry `threshold` of these signatures.
    event SignersRotated(uint32 indexed epoch, address[] signers, uint8 threshold);
    /// @notice The fee account (the CM's) and the supplier account were set.
    event AccountsUpdated(address indexed feeRecipient, address indexed supplier);
    /// @notice The round book was bound to the registry (once).
    event RoundBookBound(address indexed roundBook);

    /// @notice Enrol a peer from the next round on. Community manager only.
    function enrol(address peer, PeerKind kind, bytes32 metadataHash) external;

    /// @notice Replace a member's metadata hash. Community manager only.
    function updateMetadata(address peer, bytes32 metadataHash) external;

    /// @notice Remove a member from the next round on. Community manager only.
    function remove(address peer) external;

    /// @notice Leave the community from the next round on (always allowed: a peer can go back to a
    ///         plain supplier contract at any round). Funds stay withdrawable under the escrow's rules.
    function leave() external;

    /// @notice Replace the clearing signers and threshold (k of n). Default admin only.
    /// @param newSigners The new signers, distinct and non-zero.
    /// @param threshold How many of them must sign a result, 1..newSigners.length.
    function setSigners(address[] calldata newSigners, uint8 threshold) external;

    /// @notice Set the CM's fee account and the supplier's account. Default admin only.
    function setAccounts(address newFeeRecipient, address newSupplier) external;

    /// @notice Bind the round book whose round count defines "the next round". Default admin, once.
    function bindRoundBook(address roundBook) external;

    /// @notice Record an accepted order of `peer` for `roundId` with `nonce`, if the peer is a member of
    ///         the round and the nonce is above its last one; otherwise change nothing. Round book only.
    /// @return belongs Whether the peer belongs to the round.
    /// @return lastNonce The peer's last nonce before this call (the order was recorded iff
    ///         `belongs && nonce > lastNonce`).
    function recordOrder(address peer, uint64 roundId, uint64 nonce) external returns (bool belongs, uint64 lastNonce);

    /// @notice Raise `peer`'s nonce to `nonce` if it is higher. Round book only.
    /// @return lastNonce The nonce before the call.
    function raiseNonce(address peer, uint64 nonce) external returns (uint64 lastNonce);

    /// @notice Pause new rounds, orders, results, settlement and claims. Pauser only.
    function pause() external;

    /// @notice Lift the pause. Pauser only.
    function unpause() external;

    /// @notice Whether `peer` may order in round `roundId`.
    function isMember(address peer, uint64 roundId) external view returns (bool);

    /// @notice The member record of `peer` (all zero if never enrolled).
    function member(address peer) external view returns (Member memory);

    /// @notice A peer's last used order nonce.
    function nonceOf(address peer) external view returns (uint64);

    /// @notice The highest round a peer has had an order accepted in (0: none).
    function lastOrderedRound(address peer) external view returns (uint64);

    /// @notice Whether `account` is one of the current clearing signers.
    function isSigner(address account) external view returns (bool);

    /// @notice The current clearing signers.
    function signers() external view returns (address[] memory);

    /// @notice Number of signatures a clearing result needs.
    function signerThreshold() external view returns (uint8);

    /// @notice Counter of signer rotations (0 for the initial set).
    function signerEpoch() external view returns (uint32);

    /// @notice The CM's fee account: receives fees and forfeited bonds, covers shortfalls (escrow rule).
    function feeRecipient() external view returns (address);

    /// @notice The supplier's account: receives supplier charges.
    function supplier() external view returns (address);

    /// @notice Whether the community is paused.
    function paused() external view returns (bool);

    /// @notice Whether `account` is a community manager.
    function isCommunityManager(address account) external view returns (bool);

    /// @notice Whether `account` is an arbiter.
    function isArbiter(address account) external view returns (bool);
}
