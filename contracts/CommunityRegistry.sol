// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ICommunityRegistry} from "./interfaces/ICommunityRegistry.sol";
import {IRoundBook} from "./interfaces/IRoundBook.sol";
import {IndexBitmap} from "./libraries/Bitmaps.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title CommunityRegistry
/// @notice Members and their commitments, roles, delayed clearing-signer rotation, fee and supplier
///         accounts, the community pause and the community clock.
/// @dev The default admin is changed in two steps after a delay (AccessControlDefaultAdminRules).
contract CommunityRegistry is ICommunityRegistry, AccessControlDefaultAdminRules, Pausable {
    using IndexBitmap for mapping(uint256 => uint256);

    /// @dev One announced signer set.
    struct SignerSet {
        address[] signers;
        uint8 threshold;
        uint64 effectiveAt;
    }

    uint64 private immutable _signerDelay;
    mapping(address peer => Member) private _members;
    uint24 private _memberCount;
    mapping(uint64 roundId => mapping(uint256 word => uint256 bits)) private _ordered;
    mapping(uint64 roundId => mapping(uint256 word => uint256 bits)) private _released;
    mapping(uint32 epoch => SignerSet) private _signerSets;
    mapping(uint32 epoch => mapping(address account => bool)) private _isSignerAt;
    uint32 private _latestEpoch;
    address private _feeRecipient;
    address private _supplier;
    IRoundBook private _roundBook;
    address private _escrow;
    uint64 private _pausedTotal;
    uint64 private _pausedSince;

    /// @param adminDelay Seconds a default-admin transfer waits (two-step, delayed).
    /// @param signerDelay_ Seconds between announcing a signer set and its taking effect; the clearing
    ///        house requires it to exceed its challenge window.
    /// @param admin Default admin: grants roles, announces signers, sets accounts.
    /// @param communityManager Holder of the CM role, the initial sole signer (1 of 1) and fee account.
    /// @param arbiter Holder of the arbiter role.
    /// @param pauser Holder of the pauser role.
    /// @param supplierAccount Receiver of supplier charges.
    constructor(
        uint48 adminDelay,
        uint64 signerDelay_,
        address admin,
        address communityManager,
        address arbiter,
        address pauser,
        address supplierAccount
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (communityManager == address(0) || arbiter == address(0) || pauser == address(0)) revert ZeroAddress();
        _signerDelay = signerDelay_;
        _grantRole(Roles.COMMUNITY_MANAGER, communityManager);
        _grantRole(Roles.ARBITER, arbiter);
        _grantRole(Roles.PAUSER, pauser);
        address[] memory initial = new address[](1);
        initial[0] = communityManager;
        _storeSigners(0, initial, 1, uint64(block.timestamp));
        _setAccounts(communityManager, supplierAccount);
    }

    // ───────────────────────────────────────── members ─────────────────────────────────────────

    /// @inheritdoc ICommunityRegistry
    function enrol(address peer, PeerKind kind, bytes32 metadataHash) external onlyRole(Roles.COMMUNITY_MANAGER) {
        if (peer == address(0)) revert ZeroAddress();
        uint32 next = _nextRound();
        Member storage record = _members[peer];
        // A current (or scheduled) member cannot be enrolled twice; a former member can come back.
        if (record.fromRound != 0 && (record.untilRound == 0 || record.untilRound > next)) revert AlreadyMember(peer);
        // Field by field: a returning member keeps its index, nonce and commitments.
        if (record.fromRound == 0) record.index = _memberCount++;
        record.kind = kind;
        record.fromRound = next;
        record.untilRound = 0;
        record.metadataHash = metadataHash;
        emit PeerEnrolled(peer, kind, metadataHash, next, record.index);
    }

    /// @inheritdoc ICommunityRegistry
    function updateMetadata(address peer, bytes32 metadataHash) external onlyRole(Roles.COMMUNITY_MANAGER) {
        if (!_isCurrent(_members[peer])) revert NotAMember(peer);
        _members[peer].metadataHash = metadataHash;
        emit PeerMetadataUpdated(peer, metadataHash);
    }

    /// @inheritdoc ICommunityRegistry
    function remove(address peer) external onlyRole(Roles.COMMUNITY_MANAGER) {
        _leave(peer, false);
    }

    /// @inheritdoc ICommunityRegistry
    function leave() external {
        _leave(msg.sender, true);
    }

    // ─────────────────────────────────── orders, commitments ───────────────────────────────────

    /// @inheritdoc ICommunityRegistry
    function recordOrder(address peer, uint64 roundId, uint64 nonce, uint80 maxDebit)
        external
        returns (bool belongs, uint64 lastNonce)
    {
        if (msg.sender != address(_roundBook)) revert NotRoundBook(msg.sender);
        // A storage pointer, not a memory copy: only the first word (not metadataHash) is touched.
        Member storage record = _members[peer];
        belongs = _belongs(record, roundId);
        lastNonce = record.nonce;
        if (!belongs || nonce <= lastNonce) return (belongs, lastNonce);
        record.nonce = nonce;
        uint16 open = record.openRounds;
        mapping(uint256 => uint256) storage ordered = _ordered[roundId];
        if (!ordered.isSet(record.index)) {
            // First order of the peer in this round: one more open round.
            ordered.set(record.index);
            if (open == type(uint16).max) revert TooManyOpenRounds(peer);
            if (open == 0) record.debitCap = maxDebit;
            record.openRounds = open + 1;
        }
        // The cap only rises while rounds are open: a later order cannot shrink what an open round may debit.
        if (maxDebit > record.debitCap) record.debitCap = maxDebit;
    }

    /// @inheritdoc ICommunityRegistry
    function raiseNonce(address peer, uint64 nonce) external returns (uint64 lastNonce) {
        if (msg.sender != address(_roundBook)) revert NotRoundBook(msg.sender);
        lastNonce = _members[peer].nonce;
        if (nonce > lastNonce) _members[peer].nonce = nonce;
    }

    /// @inheritdoc ICommunityRegistry
    function release(address peer, uint64 roundId) external {
        if (msg.sender != _escrow) revert NotEscrow(msg.sender);
        Member storage record = _members[peer];
        uint24 index = record.index;
        mapping(uint256 => uint256) storage released = _released[roundId];
        if (record.fromRound == 0 || !_ordered[roundId].isSet(index) || released.isSet(index)) {
            revert NothingToRelease(peer, roundId);
        }
        released.set(index);
        uint16 open = record.openRounds - 1;
        record.openRounds = open;
        emit CommitmentReleased(peer, roundId, open);
    }

    // ───────────────────────────────────── signers, accounts ─────────────────────────────────────

    /// @inheritdoc ICommunityRegistry
    function proposeSigners(address[] calldata newSigners, uint8 threshold) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint32 latest = _latestEpoch;
        uint64 effectiveAt = _signerSets[latest].effectiveAt;
        if (block.timestamp < effectiveAt) revert RotationPending(latest, effectiveAt);
        _storeSigners(latest + 1, newSigners, threshold, uint64(block.timestamp) + _signerDelay);
    }

    /// @inheritdoc ICommunityRegistry
    function setAccounts(address newFeeRecipient, address newSupplier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setAccounts(newFeeRecipient, newSupplier);
    }

    /// @inheritdoc ICommunityRegistry
    function bindRoundBook(address roundBook) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(_roundBook) != address(0)) revert AlreadyBound(address(_roundBook));
        if (roundBook == address(0)) revert ZeroAddress();
        _roundBook = IRoundBook(roundBook);
        emit ContractBound("RoundBook", roundBook);
    }

    /// @inheritdoc ICommunityRegistry
    function bindEscrow(address escrow) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_escrow != address(0)) revert AlreadyBound(_escrow);
        if (escrow == address(0)) revert ZeroAddress();
        _escrow = escrow;
        emit ContractBound("SettlementEscrow", escrow);
    }

    // ─────────────────────────────────────── pause, clock ───────────────────────────────────────

    /// @inheritdoc ICommunityRegistry
    function pause() external onlyRole(Roles.PAUSER) {
        _pause();
        _pausedSince = uint64(block.timestamp);
    }

    /// @inheritdoc ICommunityRegistry
    function unpause() external onlyRole(Roles.PAUSER) {
        _unpause();
        uint64 pausedFor = uint64(block.timestamp) - _pausedSince;
        uint64 total = _pausedTotal + pausedFor;
        _pausedTotal = total;
        emit ClockResumed(pausedFor, total);
    }

    /// @inheritdoc ICommunityRegistry
    function clock() external view returns (uint64) {
        return uint64(block.timestamp) - _pausedTime();
    }

    /// @inheritdoc ICommunityRegistry
    function pausedTime() external view returns (uint64) {
        return _pausedTime();
    }

    // ─────────────────────────────────────────── views ───────────────────────────────────────────

    /// @inheritdoc ICommunityRegistry
    function isMember(address peer, uint64 roundId) external view returns (bool) {
        return _belongs(_members[peer], roundId);
    }

    /// @inheritdoc ICommunityRegistry
    function mayReceiveRevenue(address account, uint64 roundId) external view returns (bool) {
        return _mayReceiveRevenue(account, roundId);
    }

    /// @inheritdoc ICommunityRegistry
    function revenueClaimStatus(address account, uint64 roundId)
        external
        view
        returns (bool isPaused, uint64 communityClock, bool mayReceive)
    {
        isPaused = paused();
        communityClock = uint64(block.timestamp) - _pausedTime();
        mayReceive = _mayReceiveRevenue(account, roundId);
    }

    /// @inheritdoc ICommunityRegistry
    function orderStatus(address peer, uint64 roundId)
        external
        view
        returns (bool ordered, bool released, uint24 index, uint80 debitCap)
    {
        Member storage record = _members[peer];
        if (record.fromRound == 0) return (false, false, 0, 0);
        index = record.index;
        return (_ordered[roundId].isSet(index), _released[roundId].isSet(index), index, record.debitCap);
    }

    /// @inheritdoc ICommunityRegistry
    function nonceOf(address peer) external view returns (uint64) {
        return _members[peer].nonce;
    }

    /// @inheritdoc ICommunityRegistry
    function member(address peer) external view returns (Member memory) {
        return _members[peer];
    }

    /// @inheritdoc ICommunityRegistry
    function isSigner(address account) external view returns (bool) {
        return _isSignerAt[_currentEpoch()][account];
    }

    /// @inheritdoc ICommunityRegistry
    function signers() external view returns (address[] memory) {
        return _signerSets[_currentEpoch()].signers;
    }

    /// @inheritdoc ICommunityRegistry
    function signerThreshold() external view returns (uint8) {
        return _signerSets[_currentEpoch()].threshold;
    }

    /// @inheritdoc ICommunityRegistry
    function signerEpoch() external view returns (uint32) {
        return _currentEpoch();
    }

    /// @inheritdoc ICommunityRegistry
    function latestSignerEpoch() external view returns (uint32 epoch, uint64 effectiveAt) {
        epoch = _latestEpoch;
        effectiveAt = _signerSets[epoch].effectiveAt;
    }

    /// @inheritdoc ICommunityRegistry
    function signerDelay() external view returns (uint64) {
        return _signerDelay;
    }

    /// @inheritdoc ICommunityRegistry
    function feeRecipient() external view returns (address) {
        return _feeRecipient;
    }

    /// @inheritdoc ICommunityRegistry
    function supplier() external view returns (address) {
        return _supplier;
    }

    /// @inheritdoc ICommunityRegistry
    function paused() public view override(ICommunityRegistry, Pausable) returns (bool) {
        return super.paused();
    }

    /// @inheritdoc ICommunityRegistry
    function isCommunityManager(address account) external view returns (bool) {
        return hasRole(Roles.COMMUNITY_MANAGER, account);
    }

    /// @inheritdoc ICommunityRegistry
    function isArbiter(address account) external view returns (bool) {
        return hasRole(Roles.ARBITER, account);
    }

    // ────────────────────────────────────────── internal ─────────────────────────────────────────

    function _mayReceiveRevenue(address account, uint64 roundId) private view returns (bool) {
        return _belongs(_members[account], roundId) && account != _feeRecipient && account != _supplier
            && !hasRole(Roles.COMMUNITY_MANAGER, account);
    }

    function _belongs(Member storage record, uint64 roundId) private view returns (bool) {
        return record.fromRound != 0 && roundId >= record.fromRound
            && (record.untilRound == 0 || roundId < record.untilRound);
    }

    function _leave(address peer, bool byPeer) private {
        Member storage record = _members[peer];
        if (!_isCurrent(record)) revert NotAMember(peer);
        uint32 next = _nextRound();
        // A member scheduled to start at `next` leaves before ever ordering: untilRound == fromRound.
        record.untilRound = next;
        emit PeerLeft(peer, next, byPeer);
    }

    function _isCurrent(Member storage record) private view returns (bool) {
        return record.fromRound != 0 && (record.untilRound == 0 || record.untilRound > _nextRound());
    }

    /// @dev The first round not opened yet: membership changes take effect from it.
    function _nextRound() private view returns (uint32) {
        if (address(_roundBook) == address(0)) return 1;
        // Round ids count up from 1 by one per round: far below 2^32.
        return uint32(_roundBook.roundCount() + 1);
    }

    function _pausedTime() private view returns (uint64) {
        return paused() ? _pausedTotal + (uint64(block.timestamp) - _pausedSince) : _pausedTotal;
    }

    /// @dev The latest announced epoch once its time has come, else the one before it.
    function _currentEpoch() private view returns (uint32) {
        uint32 latest = _latestEpoch;
        return block.timestamp >= _signerSets[latest].effectiveAt ? latest : latest - 1;
    }

    function _storeSigners(uint32 epoch, address[] memory newSigners, uint8 threshold, uint64 effectiveAt) private {
        uint256 count = newSigners.length;
        if (count == 0 || threshold == 0 || threshold > count) revert InvalidSignerSet(count, threshold);
        mapping(address => bool) storage isSignerAt = _isSignerAt[epoch];
        for (uint256 i = 0; i < count; ++i) {
            address signer = newSigners[i];
            if (signer == address(0) || isSignerAt[signer]) revert InvalidSignerSet(count, threshold);
            isSignerAt[signer] = true;
        }
        _signerSets[epoch] = SignerSet({signers: newSigners, threshold: threshold, effectiveAt: effectiveAt});
        _latestEpoch = epoch;
        emit SignersProposed(epoch, newSigners, threshold, effectiveAt);
    }

    function _setAccounts(address newFeeRecipient, address newSupplier) private {
        if (newFeeRecipient == address(0) || newSupplier == address(0)) revert ZeroAddress();
        _feeRecipient = newFeeRecipient;
        _supplier = newSupplier;
        emit AccountsUpdated(newFeeRecipient, newSupplier);
    }
}
