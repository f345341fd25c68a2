// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Roles
/// @notice Role identifiers of the community registry's AccessControl, shared by every contract.
/// @dev The default admin (AccessControlDefaultAdminRules, two-step and delayed) grants and revokes
///      these; it holds no operational power itself.
library Roles {
    /// @notice Community manager: enrols and removes peers, opens rounds, relays orders, deposits revenue.
    bytes32 internal constant COMMUNITY_MANAGER = keccak256("COMMUNITY_MANAGER_ROLE");
    /// @notice Arbiter: resolves disputes over posted clearing results.
    bytes32 internal constant ARBITER = keccak256("ARBITER_ROLE");
    /// @notice Pauser: stops new rounds, orders, results, settlement and claims in an emergency.
    bytes32 internal constant PAUSER = keccak256("PAUSER_ROLE");
}
