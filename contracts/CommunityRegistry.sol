// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ICommunityRegistry} from "./interfaces/ICommunityRegistry.sol";
import {IRoundBook} from "./interfaces/IRoundBook.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title CommunityRegistry
/// @notice Members, roles, clearing signers, fee and supplier accounts, and the community pause.
/// @dev The default admin is changed in two steps after a delay (AccessControlDefaultAdminRules).
contract CommunityRegistry is ICommunityRegistry, AccessControlDefaultAdminRules, Pausable {
    mapping(address peer => Member) private _members;
    mapping(address account => bool) private _isSigner;
    address[] private _signers;
    uint8 private _threshold;
    uint32 private _signerEpoch;
    address private _feeRecipient;
    address private _supplier;
    IRoundBook private _roundBook;

    /// @param adminDelay Seconds a default-admin transfer waits (two-step, delayed).
    /// @param admin Default admin: grants roles, rotates signers, sets accounts.
    /// @param communityManager Holder of the CM role, the initial sole signer (1 of 1) and fee account.
    /// @param arbiter Holder of the arbiter role.
    /// @param pauser Holder of the pauser role.
    /// @param supplierAccount Receiver of supplier charges.
    constructor(
        uint48 adminDelay,
        address admin,
        address communityManager,
        address arbiter,
        address pauser,
        address supplierAccount
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (communityManager == address(0) || arbiter == address(0) || pauser == address(0)) revert ZeroAddress();
        _grantRole(Roles.COMMUNITY_MANAGER, communityManager);
        _grantRole(Roles.ARBITER, arbiter);
        _grantRole(Roles.PAUSER, pauser);
        address[] memory initial = new address[](1);
        initial[0] = communityManager;
        _replaceSigners(initial, 1);
        _setAccounts(communityManager, supplierAccount);
    }

    // ───────────────────────────────────────── members ─────────────────────────────────────────

    /// @inheritdoc ICommunityRegistry
    function enrol(address peer, PeerKind kind, bytes32 metadataHash) external onlyRole(Roles.COMMUNITY_MANAGER) {
        if (peer == address(0)) revert ZeroAddress();
        uint48 next = _nextRound();
        Member storage record = _members[peer];
        // A current (or scheduled) member cannot be enrolled twice; a former member can come back.
        if (record.fromRound != 0 && (record.untilRound == 0 || record.untilRound > next)) revert AlreadyMember(peer);
        // Field by field: a returning member keeps its nonce, so its old signed orders stay dead.
        record.kind = kind;
        record.fromRound = next;
        record.untilRound = 0;
        record.metadataHash = metadataHash;
        emit PeerEnrolled(peer, kind, metadataHash, next);
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

    // ───────────────────────────────────────── orders ──────────────────────────────────────────

    /// @inheritdoc ICommunityRegistry
    function recordOrder(address peer, uint64 roundId, uint64 nonce)
        external
        returns (bool belongs, uint64 lastNonce)
    {
        if (msg.sender != address(_roundBook)) revert NotRoundBook(msg.sender);
        // A storage pointer, not a memory copy: only the first word (not metadataHash) is read.
        Member storage record = _members[peer];
        belongs = _belongs(record, roundId);
        lastNonce = record.nonce;
        if (!belongs || nonce <= lastNonce) return (belongs, lastNonce);
        record.nonce = nonce;
        // Round ids count up from 1 by one per round: far below 2^48.
        if (roundId > record.lastOrderedRound) record.lastOrderedRound = uint48(roundId);
    }

    /// @inheritdoc ICommunityRegistry
    function raiseNonce(address peer, uint64 nonce) external returns (uint64 lastNonce) {
        if (msg.sender != address(_roundBook)) revert NotRoundBook(msg.sender);
        lastNonce = _members[peer].nonce;
        if (nonce > lastNonce) _members[peer].nonce = nonce;
    }

    // ───────────────────────────────────── signers, accounts ─────────────────────────────────────

    /// @inheritdoc ICommunityRegistry
    function setSigners(address[] calldata newSigners, uint8 threshold) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _replaceSigners(newSigners, threshold);
    }

    /// @inheritdoc ICommunityRegistry
    function setAccounts(address newFeeRecipient, address newSupplier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setAccounts(newFeeRecipient, newSupplier);
    }

    /// @inheritdoc ICommunityRegistry
    function bindRoundBook(address roundBook) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(_roundBook) != address(0)) revert RoundBookBinding(address(_roundBook));
        if (roundBook == address(0)) revert ZeroAddress();
        _roundBook = IRoundBook(roundBook);
        emit RoundBookBound(roundBook);
    }

    // ─────────────────────────────────────────── pause ───────────────────────────────────────────

    /// @inheritdoc ICommunityRegistry
    function pause() external onlyRole(Roles.PAUSER) {
        _pause();
    }

    /// @inheritdoc ICommunityRegistry
    function unpause() external onlyRole(Roles.PAUSER) {
        _unpause();
    }

    // ─────────────────────────────────────────── views ───────────────────────────────────────────

    /// @inheritdoc ICommunityRegistry
    function isMember(address peer, uint64 roundId) external view returns (bool) {
        return _belongs(_members[peer], roundId);
    }

    /// @inheritdoc ICommunityRegistry
    function nonceOf(address peer) external view returns (uint64) {
        return _members[peer].nonce;
    }

    /// @inheritdoc ICommunityRegistry
    function lastOrderedRound(address peer) external view returns (uint64) {
        return _members[peer].lastOrderedRound;
    }

    /// @inheritdoc ICommunityRegistry
    function member(address peer) external view returns (Member memory) {
        return _members[peer];
    }

    /// @inheritdoc ICommunityRegistry
    function isSigner(address account) external view returns (bool) {
        return _isSigner[account];
    }

    /// @inheritdoc ICommunityRegistry
    function signers() external view returns (address[] memory) {
        return _signers;
    }

    /// @inheritdoc ICommunityRegistry
    function signerThreshold() external view returns (uint8) {
        return _threshold;
    }

    /// @inheritdoc ICommunityRegistry
    function signerEpoch() external view returns (uint32) {
        return _signerEpoch;
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

    function _belongs(Member storage record, uint64 roundId) private view returns (bool) {
        return record.fromRound != 0 && roundId >= record.fromRound
            && (record.untilRound == 0 || roundId < record.untilRound);
    }

    function _leave(address peer, bool byPeer) private {
        Member storage record = _members[peer];
        if (!_isCurrent(record)) revert NotAMember(peer);
        uint48 next = _nextRound();
        // A member scheduled to start at `next` leaves before ever ordering: untilRound == fromRound.
        record.untilRound = next;
        emit PeerLeft(peer, next, byPeer);
    }

    function _isCurrent(Member storage record) private view returns (bool) {
        return record.fromRound != 0 && (record.untilRound == 0 || record.untilRound > _nextRound());
    }

    /// @dev The first round not opened yet: membership changes take effect from it.
    function _nextRound() private view returns (uint48) {
        if (address(_roundBook) == address(0)) return 1;
        // Round ids count up from 1 by one per round: far below 2^48.
        return uint48(_roundBook.roundCount() + 1);
    }

    function _replaceSigners(address[] memory newSigners, uint8 threshold) private {
        uint256 count = newSigners.length;
        if (count == 0 || threshold == 0 || threshold > count) revert InvalidSignerSet(count, threshold);
        uint256 previousCount = _signers.length;
        for (uint256 i = 0; i < previousCount; ++i) {
            _isSigner[_signers[i]] = false;
        }
        for (uint256 i = 0; i < count; ++i) {
            address signer = newSigners[i];
            if (signer == address(0) || _isSigner[signer]) revert InvalidSignerSet(count, threshold);
            _isSigner[signer] = true;
        }
        _signers = newSigners;
        _threshold = threshold;
        // The constructor's set is epoch 0 (accounts are set after it); every rotation adds one.
        uint32 epoch = _initialised() ? _signerEpoch + 1 : 0;
        _signerEpoch = epoch;
        emit SignersRotated(epoch, newSigners, threshold);
    }

    function _initialised() private view returns (bool) {
        return _feeRecipient != address(0);
    }

    function _setAccounts(address newFeeRecipient, address newSupplier) private {
        if (newFeeRecipient == address(0) || newSupplier == address(0)) revert ZeroAddress();
        _feeRecipient = newFeeRecipient;
        _supplier = newSupplier;
        emit AccountsUpdated(newFeeRecipient, newSupplier);
    }
}
