"""Revert explanations: the chain room's decoder of custom errors, plus reading revert data out of
web3's exceptions (``Error(string)``, ``Panic(uint256)`` and every custom error of the ABIs known)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eth_abi import decode as abi_decode
from eth_hash.auto import keccak

from flexunity.chain.reverts import ErrorDecoder as ChainErrorDecoder


class ErrorDecoder(ChainErrorDecoder):
    """The chain room's decoder of custom errors, plus reading revert data out of web3's exceptions."""

    @classmethod
    def from_abis(cls, abis: Iterable[list[dict[str, Any]]]) -> ErrorDecoder:
        return cls(list(abis))

    def explain(self, data: str | bytes | None) -> str:
        raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else (data or b"")
        if len(raw) < 4:
            return "reverted without a reason"
        if raw[:4] == keccak(b"Error(string)")[:4]:
            return f"Error({abi_decode(['string'], raw[4:])[0]!r})"
        if raw[:4] == keccak(b"Panic(uint256)")[:4]:
            return f"Panic(0x{abi_decode(['uint256'], raw[4:])[0]:02x})"
        return self.describe(raw)

    def explain_exception(self, exc: Exception) -> str:
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            return self.explain(data)
        message = str(exc)
        marker = message.find("0x")
        if marker >= 0:
            candidate = message[marker:].split()[0].strip("'\",)}")
            if len(candidate) >= 10 and all(c in "0123456789abcdefABCDEF" for c in candidate[2:]):
                return self.explain(candidate)
        return message
