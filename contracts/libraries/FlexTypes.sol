// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// FlexUnity's structs, in one file (Seaport style). Every amount is an integer: energy in Wh, money
// in the settlement token's base units (docs/conventions.md). Money never carries a sign: an
// unsigned amount plus a direction flag (`isCredit`) is cheaper calldata than a negative int256.
// ─────────────────────────────────────────────────────────────────────────────────────────────────

/// @notice A peer's order for one round, signed with EIP-712 (see {OrderHashing}).
/// @dev `roundId`: the round the order is for; an order only counts in that round.
///      `peer`: the member placing the order (the signer when relayed, `msg.sender` when direct).
///      `nonce`: strictly greater than the peer's last used nonce; a later nonce replaces the peer's
///      earlier order of the round. One counter per peer across rounds (Seaport's per-signer counter).
///      `deadline`: unix time after which the signed order can no longer be submitted.
///      `maxDebit`: the most, in settlement-token base units, that a result may debit the peer in a round
///      it has an open order in (docs/contracts.md, "Commitment"): the peer's debit cap rises to the
///      highest `maxDebit` of its orders and starts again from its first order once no round is open.
///      `payloadHash`: keccak256 of the payload bytes emitted with the order (per-interval forecasts,
///      flexibility bounds, limit prices, δ_imp/δ_exp; layout in docs/contracts.md). An empty payload
///      (payloadHash = keccak256("")) cancels the peer's order for the round.
struct Order {
    uint64 roundId;
    address peer;
    uint64 nonce;
    uint64 deadline;
    uint80 maxDebit;
    bytes32 payloadHash;
}

/// @notice The clearing result of one round, signed by k of n authorised signers.
/// @dev `attempt`: how many results of the round the arbiter had rejected when this one was signed (0
///      for the first); a rejected result can never be accepted again, a corrected one carries the next
///      attempt. `signerEpoch`: the signer set (registry epoch) it was signed under; it must be the set in
///      force when it is posted. `orderDigest`: the round's running order digest on chain at gate closure (binds the result to
///      the exact order book it cleared). `resultsRoot`: OpenZeppelin StandardMerkleTree root of the
///      round's {SettlementLeaf}s. `leafCount`: number of leaves (indices 0..leafCount-1).
///      `documentHash`: keccak256 of the off-chain result document (solution, duals, prices, bills).
///      `totalDebit` / `totalCredit`: sums of debit and credit leaves; they must be equal (the round
///      sums to zero). `feesTotal` / `supplierTotal`: the parts of the credits paid to the CM's fee
///      address and to the supplier. `importWh` / `exportWh` / `tradedWh`: community energy totals.
struct ClearingResult {
    uint64 roundId;
    uint32 attempt;
    uint32 signerEpoch;
    bytes32 orderDigest;
    bytes32 resultsRoot;
    bytes32 documentHash;
    uint32 leafCount;
    uint128 totalDebit;
    uint128 totalCredit;
    uint128 feesTotal;
    uint128 supplierTotal;
    uint64 importWh;
    uint64 exportWh;
    uint64 tradedWh;
}

/// @notice One account's net result in a round: a leaf of the round's results tree.
/// @dev `index`: unique per round, 0..leafCount-1 (used for the applied-leaf bitmap). `account`: a peer,
///      the CM's fee address or the supplier's address. `amount`: net money in base units; `isCredit`
///      true means the account receives it, false that it pays it. Energy fields (Wh) are informative
///      for the audit: community purchases, community sales, grid import and grid export.
struct SettlementLeaf {
    uint64 roundId;
    uint32 index;
    address account;
    uint256 amount;
    bool isCredit;
    uint64 boughtWh;
    uint64 soldWh;
    uint64 importWh;
    uint64 exportWh;
}

/// @notice One account's share in a revenue distribution: a leaf of the distribution's tree.
struct RevenueLeaf {
    uint64 distributionId;
    uint32 index;
    address account;
    uint256 amount;
}
