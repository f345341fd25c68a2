// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IndexBitmap
/// @notice One bit per leaf index, 256 per storage word: marking consecutive leaves of a batch costs
///         one cold write per 256 leaves instead of one per leaf.
library IndexBitmap {
    function isSet(mapping(uint256 word => uint256 bits) storage map, uint256 index) internal view returns (bool) {
        return map[index >> 8] & (1 << (index & 0xff)) != 0;
    }

    function set(mapping(uint256 word => uint256 bits) storage map, uint256 index) internal {
        map[index >> 8] |= 1 << (index & 0xff);
    }
}
