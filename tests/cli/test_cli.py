"""The console command answers --help and --version, and shows user errors without a traceback."""

from __future__ import annotations

import subprocess
import sys

from flexunity import __version__


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flexunity", *args], capture_output=True, text=True)


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_help_lists_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "Usage: flexunity" in result.stdout


def test_unknown_command_is_an_error_without_traceback() -> None:
    result = run("no-such-command")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "No such command" in result.stderr
