// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title FlexTestToken
/// @notice Settlement token for devnets and tests: a plain OpenZeppelin ERC-20 with 6 decimals (like
///         the fiat stablecoins a pilot would use) that its owner can mint. Never deploy on a pilot:
///         a pilot uses an existing standard ERC-20.
contract FlexTestToken is ERC20, Ownable {
    constructor(address owner_) ERC20("FlexUnity Test Pound", "tGBP") Ownable(owner_) {}

    /// @notice Create `amount` tokens for `to`. Owner only.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
