"""One compile path: ape-config.yaml, foundry.toml and py-solc-x agree, and the wrapper is a real solc."""

from __future__ import annotations

import subprocess
import tomllib

import pytest

from flexunity.chain.compiler import (
    PROJECT_ROOT,
    SOLC_WRAPPER,
    CompileError,
    compile_contracts,
    compiler_settings,
)


def test_foundry_settings_equal_ape_settings() -> None:
    ape = compiler_settings()
    forge = tomllib.loads((PROJECT_ROOT / "foundry.toml").read_text())["profile"]["default"]
    assert forge["evm_version"] == ape.evm_version
    assert forge["optimizer"] == ape.optimize
    assert forge["optimizer_runs"] == ape.optimization_runs
    assert forge["via_ir"] == ape.via_ir
    assert sorted(forge["remappings"]) == sorted(ape.remappings)


def test_wrapper_reports_the_configured_version() -> None:
    out = subprocess.run([str(SOLC_WRAPPER), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0] == "solc, the solidity compiler commandline interface"
    assert out.splitlines()[1].startswith(f"Version: {compiler_settings().version}+commit.")


def test_wrapper_keeps_outputs_over_64_kib(tmp_path) -> None:
    """TOOLCHAIN.md pitfall: exiting right after writing stdout truncates large outputs."""
    contracts = compile_contracts(use_cache=False)
    assert contracts, "the project has contracts"
    import json

    total = len(json.dumps({n: c.abi for n, c in contracts.items()})) + sum(
        len(c.bytecode) for c in contracts.values()
    )
    assert total > 65_536


def test_compile_error_names_the_file(tmp_path) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "ape-config.yaml").write_text((PROJECT_ROOT / "ape-config.yaml").read_text())
    (tmp_path / "contracts" / "Broken.sol").write_text(
        "pragma solidity ^0.8.24; contract Broken { uint x = ; }"
    )
    compiler_settings.cache_clear()
    with pytest.raises(CompileError, match=r"Broken\.sol"):
        compile_contracts(tmp_path, use_cache=False)


def test_second_compile_is_served_from_the_build_cache() -> None:
    first = compile_contracts()
    second = compile_contracts()
    assert {n: c.bytecode for n, c in first.items()} == {n: c.bytecode for n, c in second.items()}
