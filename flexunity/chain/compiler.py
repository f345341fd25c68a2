"""The one compile path for the project's contracts, shared with Ape.

Settings come from the ``solidity:`` block of ``ape-config.yaml`` (compiler version, EVM version,
optimizer, import remappings), so ``ape compile``, ``forge build`` and this module produce the same
bytecode. The compiler is solcjs behind the ``tools/bin/solc`` wrapper (TOOLCHAIN.md: there is no
native solc here); py-solc-x drives it through the standard JSON interface.

Artefacts are generated into ``build/contracts.json`` and reused while no source changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from flexunity.errors import FlexUnityError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOLC_WRAPPER = PROJECT_ROOT / "tools" / "bin" / "solc"
BUILD_FILE = PROJECT_ROOT / "build" / "contracts.json"
FORGE_ONLY_FOLDERS = ("test", "forge")  # folders under contracts/ holding forge-only helpers, if any


class CompileError(FlexUnityError):
    """solc rejected a source file; the message carries solc's own formatted errors."""


@dataclass(frozen=True)
class CompilerSettings:
    version: str
    evm_version: str
    optimize: bool
    optimization_runs: int
    via_ir: bool
    remappings: tuple[str, ...]

    def standard_json_settings(self) -> dict[str, Any]:
        return {
            "evmVersion": self.evm_version,
            "optimizer": {"enabled": self.optimize, "runs": self.optimization_runs},
            "viaIR": self.via_ir,
            "remappings": list(self.remappings),
            "outputSelection": {
                "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"]}
            },
        }


@dataclass(frozen=True)
class CompiledContract:
    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str

    @property
    def abi_hash(self) -> str:
        """sha256 of the canonical ABI JSON: the deployment manifest records it per contract."""
        return hashlib.sha256(json.dumps(self.abi, sort_keys=True).encode()).hexdigest()


@cache
def compiler_settings(root: Path = PROJECT_ROOT) -> CompilerSettings:
    """Read the ``solidity:`` block of ape-config.yaml."""
    config = yaml.safe_load((root / "ape-config.yaml").read_text())["solidity"]
    return CompilerSettings(
        version=str(config["version"]),
        evm_version=str(config["evm_version"]),
        optimize=bool(config.get("optimize", True)),
        optimization_runs=int(config.get("optimization_runs", 200)),
        via_ir=bool(config.get("via_ir", False)),
        remappings=tuple(config.get("import_remapping", [])),
    )


def contract_sources(root: Path = PROJECT_ROOT) -> list[Path]:
    """Every .sol file under contracts/, in a stable order."""
    folder = root / "contracts"
    return sorted(
        p
        for p in folder.rglob("*.sol")
        if not set(p.relative_to(folder).parts[:-1]) & set(FORGE_ONLY_FOLDERS)
    )


def compile_contracts(root: Path = PROJECT_ROOT, *, use_cache: bool = True) -> dict[str, CompiledContract]:
    """Compile the project's contracts; return them by contract name.

    The result is cached in build/contracts.json keyed by a hash of the sources and settings, so a
    second call with nothing changed costs a file read.
    """
    settings = compiler_settings(root)
    sources = {str(p.relative_to(root)): p.read_text() for p in contract_sources(root)}
    key = _cache_key(sources, settings)
    build_file = root / "build" / "contracts.json"
    if use_cache and build_file.exists():
        cached = json.loads(build_file.read_text())
        if cached.get("key") == key:
            return {name: CompiledContract(**c) for name, c in cached["contracts"].items()}
    contracts = _run_solc(root, sources, settings)
    build_file.parent.mkdir(parents=True, exist_ok=True)
    payload = {"key": key, "contracts": {n: c.__dict__ for n, c in contracts.items()}}
    build_file.write_text(json.dumps(payload))
    return contracts


def _cache_key(sources: dict[str, str], settings: CompilerSettings) -> str:
    digest = hashlib.sha256(json.dumps([sources, settings.__dict__], sort_keys=True).encode())
    digest.update(SOLC_WRAPPER.read_bytes())
    return digest.hexdigest()


def _run_solc(root: Path, sources: dict[str, str], settings: CompilerSettings) -> dict[str, CompiledContract]:
    import solcx  # the chain room is the only one importing solcx

    job = {
        "language": "Solidity",
        "sources": {path: {"content": text} for path, text in sources.items()},
        "settings": settings.standard_json_settings(),
    }
    try:
        output = solcx.compile_standard(
            job, solc_binary=str(SOLC_WRAPPER), base_path=str(root), allow_paths=[str(root)]
        )
    except solcx.exceptions.SolcError as exc:
        raise CompileError(str(exc)) from None
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", e["message"]) for e in errors))
    compiled: dict[str, CompiledContract] = {}
    for source, by_name in output.get("contracts", {}).items():
        if not source.startswith("contracts/"):
            continue  # OpenZeppelin's own files are compiled as dependencies, not exported
        for name, artefact in by_name.items():
            compiled[name] = CompiledContract(
                name=name,
                source=source,
                abi=artefact["abi"],
                bytecode="0x" + artefact["evm"]["bytecode"]["object"],
                deployed_bytecode="0x" + artefact["evm"]["deployedBytecode"]["object"],
            )
    return compiled
