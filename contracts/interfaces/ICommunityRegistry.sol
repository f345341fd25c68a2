// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ICommunityRegistry
/// @notice Who belongs to the community and who may do what: members (peers) by round, the roles
///         (admin, community manager, arbiter, pauser), the clearing signers with their threshold
///         (rotated only after a delay), the fee and supplier accounts, the community-wide emergency
///         pause and the community clock that stands still while paused. It also keeps each peer's
///         commitment: which rounds it ordered in, how many of them are still open, and its debit cap.
/// @dev Membership is counted in rounds so that leaving takes effect from the next round on: a peer
///      belongs to round r when fromRound <= r < untilRound (untilRound 0 means open-ended).
///      Gas: a member's first word also carries its order nonce, its open-round count and its debit
///      cap (written by the bound RoundBook), so accepting an order rewrites one word that enrolment
///      already made non-zero, plus one bit in a per-round bitmap shared by 256 members.
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
    /// @param index The member's number (0, 1, ...), fixed at its first enrolment: its bit in the
    ///        per-round order bitmaps.
    /// @param nonce The member's last used order nonce (kept across leaving and re-joining).
    /// @param openRounds Rounds the member has ordered in and that are not yet released (finished).
    /// @param debitCap The most a result may debit the member in any one open round: the highest
    ///        `maxDebit` of its orders since its open-round count was last zero.
    /// @param metadataHash keccak256 of the member's off-chain metadata (assets, tariff, site).
    struct Member {
        PeerKind kind;
        uint32 fromRound;
        uint32 untilRound;
        uint24 index;
        uint64 nonce;
        uint16 openRounds;
        uint80 debitCap;
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
    /// @notice A signer rotation is already announced and not yet in force.
    error RotationPending(uint32 epoch, uint64 effectiveAt);
    /// @notice A bound contract (round book, escrow) is already bound, or was never bound.
    error AlreadyBound(address current);
    /// @notice Only the bound round book records orders and nonces.
    error NotRoundBook(address caller);
    /// @notice Only the bound escrow releases commitments.
    error NotEscrow(address caller);
    /// @notice The peer has no unreleased order in that round.
    error NothingToRelease(address peer, uint64 roundId);
    /// @notice A peer has 65,535 open rounds: finish some first.
    error TooManyOpenRounds(address peer);

    /// @notice A peer was enrolled; it may order from `fromRound` on.
    event PeerEnrolled(address indexed peer, PeerKind kind, bytes32 metadataHash, uint32 fromRound, uint24 index);
    /// @notice A member's metadata hash changed.
    event PeerMetadataUpdated(address indexed peer, bytes32 metadataHash);
    /// @notice A member leaves (removed by the CM, or by itself); it may no longer order from `untilRound` on.
    event PeerLeft(address indexed peer, uint32 untilRound, bool byPeer);
    /// @notice A new clearing signer set was announced; results signed under `epoch` are accepted from
    ///         `effectiveAt` (unix time) on, and results of the previous epoch until then.
    event SignersProposed(uint32 indexed epoch, address[] signers, uint8 threshold, uint64 effectiveAt);
    /// @notice The fee account (the CM's) and the supplier account were set.
    event AccountsUpdated(address indexed feeRecipient, address indexed supplier);
    /// @notice The round book or the escrow was bound to the registry (once each).
    event ContractBound(bytes32 indexed what, address indexed bound);
    /// @notice A peer's commitment to a round ended (the round settled, was voided or closed).
    event CommitmentReleased(address indexed peer, uint64 indexed roundId, uint16 openRounds);
    /// @notice The pause ended; the community clock stood still for `pausedFor` seconds.
    event ClockResumed(uint64 pausedFor, uint64 pausedTotal);

    /// @notice Enrol a peer from the next round on. Community manager only.
    function enrol(address peer, PeerKind kind, bytes32 metadataHash) external;

    /// @notice Replace a member's metadata hash. Community manager only.
    function updateMetadata(address peer, bytes32 metadataHash) external;

    /// @notice Remove a member from the next round on. Community manager only.
    function remove(address peer) external;

    /// @notice Leave the community from the next round on (always allowed). Funds stay withdrawable
    ///         under the escrow's rules.
    function leave() external;

    /// @notice Announce a new clearing signer set and threshold (k of n). Default admin only. It takes
    ///         effect `signerDelay()` seconds later (longer than the challenge window): a stolen admin key
    ///         cannot swap the signers and post a result before anyone can react.
    function proposeSigners(address[] calldata newSigners, uint8 threshold) external;

    /// @notice Set the CM's fee account and the supplier's account. Default admin only.
    function setAccounts(address newFeeRecipient, address newSupplier) external;

    /// @notice Bind the round book whose round count defines "the next round". Default admin, once.
    function bindRoundBook(address roundBook) external;

    /// @notice Bind the escrow that releases commitments of finished rounds. Default admin, once.
    function bindEscrow(address escrow) external;

    /// @notice Record an accepted order of `peer` for `roundId` with `nonce` and `maxDebit`, if the
    ///         peer is a member of the round and the nonce is above its last one; otherwise change
    ///         nothing. Round book only.
    /// @return belongs Whether the peer belongs to the round.
    /// @return lastNonce The peer's last nonce before this call (the order was recorded iff
    ///         `belongs && nonce > lastNonce`).
    function recordOrder(address peer, uint64 roundId, uint64 nonce, uint80 maxDebit)
        external
        returns (bool belongs, uint64 lastNonce);

    /// @notice Raise `peer`'s nonce to `nonce` if it is higher. Round book only.
    /// @return lastNonce The nonce before the call.
    function raiseNonce(address peer, uint64 nonce) external returns (uint64 lastNonce);

    /// @notice End `peer`'s commitment to `roundId` (the escrow checked that the round is finished).
    ///         Escrow only.
    function release(address peer, uint64 roundId) external;

    /// @notice Pause new rounds, orders, results, settlement and claims, and stop the community clock.
    ///         Pauser only.
    function pause() external;

    /// @notice Lift the pause; the community clock runs again. Pauser only.
    function unpause() external;

    /// @notice Whether `peer` may order in round `roundId`.
    function isMember(address peer, uint64 roundId) external view returns (bool);

    /// @notice Whether `account` may receive a share of round `roundId`'s revenue: a member of the round
    ///         that is neither a community manager, the fee recipient nor the supplier.
    function mayReceiveRevenue(address account, uint64 roundId) external view returns (bool);

    /// @notice What a revenue claim needs in one call: {paused}, {clock} and {mayReceiveRevenue}.
    function revenueClaimStatus(address account, uint64 roundId)
        external
        view
        returns (bool isPaused, uint64 communityClock, bool mayReceive);

    /// @notice The member record of `peer` (all zero if never enrolled).
    function member(address peer) external view returns (Member memory);

    /// @notice Whether `peer` had an order accepted in `roundId`, whether that commitment was released,
    ///         the peer's member index and its current debit cap.
    function orderStatus(address peer, uint64 roundId)
        external
        view
        returns (bool ordered, bool released, uint24 index, uint80 debitCap);

    /// @notice A peer's last used order nonce.
    function nonceOf(address peer) external view returns (uint64);

    /// @notice Whether `account` is a signer of the signer set in force.
    function isSigner(address account) external view returns (bool);

    /// @notice The signer set in force.
    function signers() external view returns (address[] memory);

    /// @notice Number of signatures a clearing result needs under the set in force.
    function signerThreshold() external view returns (uint8);

    /// @notice The epoch of the signer set in force (0 for the initial set).
    function signerEpoch() external view returns (uint32);

    /// @notice The last announced epoch and when it takes (or took) effect.
    function latestSignerEpoch() external view returns (uint32 epoch, uint64 effectiveAt);

    /// @notice Seconds between announcing signers and their taking effect.
    function signerDelay() external view returns (uint64);

    /// @notice The CM's fee account: receives fees and forfeited bonds, covers shortfalls (escrow rule).
    function feeRecipient() external view returns (address);

    /// @notice The supplier's account: receives supplier charges.
    function supplier() external view returns (address);

    /// @notice Whether the community is paused.
    function paused() external view returns (bool);

    /// @notice The community clock: unix time minus every second the community has been paused. Every
    ///         deadline of a round's result, settlement and revenue claims is measured on it, so a pause
    ///         never makes one run out.
    function clock() external view returns (uint64);

    /// @notice Seconds the community has been paused in all (the current pause included).
    function pausedTime() external view returns (uint64);

    /// @notice Whether `account` is a community manager.
    function isCommunityManager(address account) external view returns (bool);

    /// @notice Whether `account` is an arbiter.
    function isArbiter(address account) external view returns (bool);
}
