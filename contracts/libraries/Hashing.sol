// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Order, ClearingResult, SettlementLeaf, RevenueLeaf} from "./FlexTypes.sol";

/// @title Hashing
/// @notice EIP-712 struct hashes and OpenZeppelin StandardMerkleTree leaf hashes of FlexUnity's structs.
/// @dev Type strings are written one field per line so that they diff against the structs in
///      FlexTypes.sol. flexunity/chain/eip712.py and merkle.py build the same hashes in Python.
library Hashing {
    bytes32 internal constant ORDER_TYPEHASH = keccak256(
        "Order("
            "uint64 roundId,"
            "address peer,"
            "uint64 nonce,"
            "uint64 deadline,"
            "uint80 maxDebit,"
            "bytes32 payloadHash"
        ")"
    );

    bytes32 internal constant CLEARING_RESULT_TYPEHASH = keccak256(
        "ClearingResult("
            "uint64 roundId,"
            "uint32 attempt,"
            "uint32 signerEpoch,"
            "bytes32 orderDigest,"
            "bytes32 resultsRoot,"
            "bytes32 documentHash,"
            "uint32 leafCount,"
            "uint128 totalDebit,"
            "uint128 totalCredit,"
            "uint128 feesTotal,"
            "uint128 supplierTotal,"
            "uint64 importWh,"
            "uint64 exportWh,"
            "uint64 tradedWh"
        ")"
    );

    /// @notice EIP-712 struct hash of an order.
    function hash(Order calldata order) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                ORDER_TYPEHASH,
                order.roundId,
                order.peer,
                order.nonce,
                order.deadline,
                order.maxDebit,
                order.payloadHash
            )
        );
    }

    /// @notice EIP-712 struct hash of a clearing result (all fields are static: one abi.encode).
    function hash(ClearingResult calldata result) internal pure returns (bytes32) {
        return keccak256(bytes.concat(CLEARING_RESULT_TYPEHASH, abi.encode(result)));
    }

    /// @notice The running order digest after one more accepted order: keccak256(previous ‖ orderHash).
    function chain(bytes32 digest, bytes32 orderHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(digest, orderHash));
    }

    /// @notice StandardMerkleTree leaf: keccak256(bytes.concat(keccak256(abi.encode(fields...)))).
    function leaf(SettlementLeaf calldata entry) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(entry))));
    }

    /// @notice StandardMerkleTree leaf of a revenue share.
    function leaf(RevenueLeaf calldata entry) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(entry))));
    }
}
