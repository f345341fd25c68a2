// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IFlexErrors
/// @notice The errors several FlexUnity contracts raise, declared once: one selector, one meaning and
///         one argument list wherever they come from (flexunity/chain/reverts.py decodes them by selector).
///         Every other error is declared in exactly one contract interface and named after what failed.
interface IFlexErrors {
    /// @notice The community is paused.
    error CommunityPaused();
    /// @notice The round does not exist.
    error UnknownRound(uint64 roundId);
    /// @notice The caller is not a community manager.
    error NotCommunityManager(address caller);
    /// @notice The amount is zero.
    error ZeroAmount();
    /// @notice The token moved another amount than asked (fee-on-transfer or rebasing tokens are refused).
    error UnsupportedToken(address token, uint256 expected, uint256 received);
}
