"""The deployment manifest: what the oracle, the audit and the scripts need to find the contracts.

One JSON file written by ``flexunity deploy``: chain id, RPC URL used at deployment (a hint only),
each contract's address, deployment block and ABI hash, the compiler settings and the community's
parameters (CM, supplier, token, challenge window). Readers check the ABI hashes against the compiled
contracts so that a manifest from another build is refused with a clear message.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flexunity.chain.deploy import ClearingConfig, Deployment, RoleAccounts
from flexunity.errors import InputError

FORMAT = "flexunity-manifest/1"


@dataclass(frozen=True)
class DeployedContract:
    address: str
    block: int
    abi_hash: str


@dataclass
class Manifest:
    chain_id: int
    contracts: dict[str, DeployedContract]
    compiler: dict[str, Any]
    rpc_url: str | None = None
    network: str = "anvil"
    roles: dict[str, str] = field(default_factory=dict)  # name (admin, cm, supplier, ...) -> address
    parameters: dict[str, Any] = field(default_factory=dict)  # challenge window, token decimals, ...

    def address(self, name: str) -> str:
        if name not in self.contracts:
            raise InputError(f"the manifest has no contract {name!r} (it has {sorted(self.contracts)})")
        return self.contracts[name].address

    @property
    def first_block(self) -> int:
        return min((c.block for c in self.contracts.values()), default=0)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"format": FORMAT, **data}

    def save(self, path: Path | str) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "manifest") -> Manifest:
        if data.get("format") != FORMAT:
            raise InputError(f"not a {FORMAT} file (format: {data.get('format')!r})", where=where)
        try:
            contracts = {name: DeployedContract(**c) for name, c in data["contracts"].items()}
            return cls(
                chain_id=int(data["chain_id"]),
                contracts=contracts,
                compiler=dict(data.get("compiler", {})),
                rpc_url=data.get("rpc_url"),
                network=str(data.get("network", "anvil")),
                roles=dict(data.get("roles", {})),
                parameters=dict(data.get("parameters", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed manifest: {exc}", where=where) from None


def load_manifest(path: Path | str) -> Manifest:
    path = Path(path)
    if not path.exists():
        raise InputError(
            "manifest file not found (write one with `flexunity deploy --out FILE`)", where=str(path)
        )
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc}", where=str(path)) from None
    return Manifest.from_dict(data, where=str(path))


def check_abi_hashes(manifest: Manifest, abi_hashes: dict[str, str]) -> list[str]:
    """Names of contracts whose compiled ABI differs from the one recorded at deployment."""
    return [
        name
        for name, deployed in manifest.contracts.items()
        if name in abi_hashes and abi_hashes[name] != deployed.abi_hash
    ]


def deployment_of(manifest: Manifest) -> Deployment:
    """The chain room's ``Deployment`` for a manifest (ABIs from the compiled sources)."""
    roles = manifest.roles
    return Deployment(
        chain_id=manifest.chain_id,
        addresses={k: c.address for k, c in manifest.contracts.items()},
        blocks={k: c.block for k, c in manifest.contracts.items()},
        abi_hashes={k: c.abi_hash for k, c in manifest.contracts.items()},
        roles=RoleAccounts(
            roles["admin"], roles["community_manager"], roles["arbiter"], roles["pauser"], roles["supplier"]
        ),
        config=ClearingConfig(**manifest.parameters.get("clearing", {})),
        token_is_test_token=bool(manifest.parameters.get("token_is_test_token", True)),
    )
