"""`flexunity serve` as a user runs it: a real HTTP server on a loopback port, and its one-line errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from flexunity.chain.manifest import DeployedContract, Manifest
from flexunity.record.store import FolderStore, document_hash

FLEXUNITY = [sys.executable, "-m", "flexunity"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_manifest(folder: Path) -> Path:
    manifest = Manifest(31337, {"RoundBook": DeployedContract("0x" + "22" * 20, 1, "0x" + "cd" * 32)}, {})
    return manifest.save(folder / "manifest.json")


def test_serve_publishes_documents_over_http(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    store = FolderStore(tmp_path / "store")  # the default: 'store' beside the manifest
    digest = store.put_json({"format": "flexunity-round-config/1", "round": 1})
    port = free_port()
    server = subprocess.Popen(
        [*FLEXUNITY, "serve", "--manifest", str(manifest), "--port", str(port), "--documents-only"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                index = json.load(urllib.request.urlopen(f"{base}/documents", timeout=2))
                break
            except OSError:
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "the server did not start within 30 s"
                time.sleep(0.2)
        assert index == {
            "documents": [
                {
                    "hash": digest,
                    "kind": "round-config",
                    "round": 1,
                    "bytes": store.path(digest).stat().st_size,
                }
            ]
        }
        body = urllib.request.urlopen(f"{base}/documents/{digest}", timeout=5).read()
        assert document_hash(body) == digest
        assert urllib.request.urlopen(f"{base}/manifest.json", timeout=5).read() == manifest.read_bytes()
        try:
            urllib.request.urlopen(urllib.request.Request(f"{base}/documents", data=b"{}"), timeout=5)
            raise AssertionError("a POST was accepted")
        except urllib.error.HTTPError as exc:
            assert exc.code == 405
            assert "read-only" in json.load(exc)["error"]
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert "serving" in server.stdout.read() if server.stdout else True


def test_serve_refuses_a_missing_manifest_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [*FLEXUNITY, "serve", "--manifest", str(tmp_path / "nope.json")], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "manifest file not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_refuses_a_missing_store_in_one_line(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    done = subprocess.run(
        [*FLEXUNITY, "serve", "--manifest", str(manifest), "--store", str(tmp_path / "none")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert "no such store folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_pages_need_a_node(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)  # no rpc_url in it
    (tmp_path / "store").mkdir()
    done = subprocess.run([*FLEXUNITY, "serve", "--manifest", str(manifest)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "the pages need a node: pass --rpc URL (or --documents-only)" in done.stderr
