#!/usr/bin/env python3
"""A pilot's rehearsal: the whole life of a community, party by party, through the CLI alone.

Run it against your own testnet (or an anvil devnet) before the pilot starts:

    export FLEXUNITY_PASSPHRASE=...            # the keystores' passphrase (default: "rehearsal")
    python tools/pilot_rehearsal.py --rpc http://testnet:8545 --chain-id 424242 \\
        --cm-keystore cm.json --workdir rehearsal/        # the CM's keystore must hold ether
    python tools/pilot_rehearsal.py --rpc http://127.0.0.1:8545 --devnet --workdir rehearsal/

Every step is a ``flexunity`` command, printed as ``$ flexunity ...`` before it runs, as each party
would type it on its own machine, in its own folder of ``--workdir``: ``cm/`` (keystore, manifest,
document store, oracle state), ``supplier/``, ``arbiter/``, ``peer-1/`` ... ``peer-N/`` (a keystore and
the peer's own forecast file each) and ``auditor/`` (empty: the auditor has only two URLs).

1. keystores for the CM (unless ``--cm-keystore``), the supplier, the arbiter and the peers;
2. the CM deploys (``--supplier``, ``--arbiter``, ``--test-chain``) and publishes the manifest and its
   documents with ``flexunity serve``; peers use only the manifest URL from then on;
3. the CM's faucet gives every party ether and test tokens (``oracle fund``); peers deposit; the CM
   enrols them;
4. ``--rounds`` rounds: the CM opens each, every peer signs and sends its order, the oracle clears,
   posts and (after the challenge window) settles;
5. a balancing-revenue distribution for the last round (``oracle revenue``, the pilot's own product in
   ``cm/products.json``), and every peer with a share claims it (``peer claim``);
6. ``peer status`` and a withdrawal (``peer withdraw``);
7. the audit, in a separate process from ``auditor/``, with only the manifest URL and the RPC URL;
8. the token supply is accounted for: wallets + escrow + revenue distributor = total supply, and the
   escrow holds exactly the sum of its accounts.

Gate closures and challenge windows pass in real time (``--gate-in``, ``--challenge-window``, with a
countdown); ``--devnet`` moves the node's clock instead (``evm_increaseTime``) and pays the CM's
ether from the node's first unlocked account. Exit code 0 when every step worked, the audit passed and
the balances add up; otherwise the failing step's exit code (docs/deployment.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

PEER_IDS = ("sunny", "flat", "shop", "store", "office", "terrace", "garage", "bakery")
PRODUCT = "PILOT-LOCAL"


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    os.environ.setdefault("FLEXUNITY_PASSPHRASE", "rehearsal")
    try:
        return Rehearsal(args).run()
    except Failed as exc:
        print(f"rehearsal stopped: {exc}", file=sys.stderr)
        return exc.code


class Failed(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Rehearsal:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work: Path = args.workdir.resolve()
        self.cm = self.work / "cm"
        self.manifest = self.cm / "manifest.json"
        self.server: subprocess.Popen[bytes] | None = None
        self.url = ""

    # --- the steps ---------------------------------------------------------------------------------

    def run(self) -> int:
        started = time.monotonic()
        for folder in ("cm", "supplier", "arbiter", "auditor", *self.peer_dirs()):
            (self.work / folder).mkdir(parents=True, exist_ok=True)
        try:
            self.keys_and_deploy()
            self.publish()
            self.fund_and_enrol()
            for round_id in range(1, self.args.rounds + 1):
                self.one_round(round_id)
            self.revenue_and_claims()
            self.status_and_withdraw()
            audit_code = self.audit()
            balanced = self.balances()
        finally:
            self.stop_server()
        seconds = time.monotonic() - started
        ok = audit_code == 0 and balanced
        print(f"\nrehearsal {'PASSED' if ok else 'FAILED'} in {seconds:.0f} s (workdir {self.work})")
        return 0 if ok else (audit_code or 1)

    def keys_and_deploy(self) -> None:
        self.title("1. keystores (each party makes its own)")
        cm_key = self.args.cm_keystore or self.cm / "cm.json"
        self.keys = {"cm": Path(cm_key)}
        if self.args.cm_keystore is None:
            self.flexunity("peer", "new", "--keystore", cm_key, "--light")
        for party in ("supplier", "arbiter", *self.peer_dirs()):
            self.keys[party] = self.work / party / "key.json"
            if not self.keys[party].exists():
                self.flexunity("peer", "new", "--keystore", self.keys[party], "--light")
        self.address = {party: _address_of(path) for party, path in self.keys.items()}
        if self.args.devnet:
            self.devnet_ether(self.address["cm"], 100 * 10**18)
        self.title("2. the CM deploys, naming the supplier and the arbiter")
        deploy = ["deploy", "--rpc", self.args.rpc, "--keystore", self.keys["cm"], "--out", self.manifest]
        deploy += ["--supplier", self.address["supplier"], "--arbiter", self.address["arbiter"]]
        deploy += ["--test-chain", "--challenge-window", str(self.args.challenge_window)]
        if self.args.chain_id:
            deploy += ["--chain-id", str(self.args.chain_id)]
        self.flexunity(*deploy)
        self.write_inputs()

    def publish(self) -> None:
        self.title("the CM publishes the manifest and its documents (flexunity serve)")
        port = _free_port()
        command = ["serve", "--manifest", str(self.manifest), "--port", str(port)]
        print(f"$ flexunity {' '.join(command)} &", flush=True)
        self.server = subprocess.Popen([sys.executable, "-m", "flexunity", *command], cwd=self.cm)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/manifest.json", timeout=2) as response:
                    json.loads(response.read())
                break
            except OSError:
                if self.server.poll() is not None or time.monotonic() > deadline:
                    raise Failed("flexunity serve did not start") from None
                time.sleep(0.3)
        self.manifest_url = f"{self.url}/manifest.json"

    def fund_and_enrol(self) -> None:
        self.title("3. faucet (test chain), deposits, enrolment")
        parties = ["supplier", "arbiter", *self.peer_dirs()]
        addresses = [a for p in parties for a in ("--address", self.address[p])]
        self.cm_says("oracle", "fund", *addresses, "--ether", "1", "--tokens", "500")
        for peer in self.peer_dirs():
            self.peer_says(peer, "peer", "deposit", "--amount", "200")
        enrol = [a for p in self.peer_dirs() for a in ("--address", self.address[p])]
        self.cm_says("oracle", "enrol", *enrol, "--kind", "prosumer")

    def one_round(self, round_id: int) -> None:
        self.title(f"4. round {round_id}")
        gate_in = self.args.gate_in
        self.cm_says("oracle", "open", "--scenario", self.cm / "community.json", "--gate-in", str(gate_in))
        opened = time.monotonic()
        for i, peer in enumerate(self.peer_dirs()):
            mine = self.work / peer / "forecast.json"
            self.peer_says(peer, "peer", "order", "--round", str(round_id), "--scenario", mine,
                           "--peer", PEER_IDS[i])  # fmt: skip
        self.wait(gate_in - (time.monotonic() - opened) + 2, f"gate closure of round {round_id}")
        self.cm_says(
            "oracle", "run", "--once", "--round", str(round_id), "--state", self.cm / "oracle.sqlite"
        )
        self.wait(self.args.challenge_window + 2, f"challenge window of round {round_id}")
        self.cm_says(
            "oracle", "run", "--once", "--round", str(round_id), "--state", self.cm / "oracle.sqlite"
        )

    def revenue_and_claims(self) -> None:
        self.title("5. balancing revenue: offer, deliver, share, deposit; peers claim")
        last = str(self.args.rounds)
        self.cm_says("oracle", "revenue", "--round", last, "--products", self.cm / "products.json",
                     "--product", PRODUCT)  # fmt: skip
        for peer in self.peer_dirs():
            self.peer_says(peer, "peer", "claim", ok_codes=(0, 2))  # 2: this peer has no share

    def status_and_withdraw(self) -> None:
        self.title("6. a peer looks at its status and withdraws")
        first = self.peer_dirs()[0]
        self.peer_says(first, "peer", "status")
        self.peer_says(first, "peer", "withdraw")

    def audit(self) -> int:
        self.title("7. the auditor, on another machine: only the manifest URL and the RPC URL")
        command = ["audit", "--manifest", self.manifest_url, "--rpc", self.args.rpc]
        print(f"(in {self.work / 'auditor'})\n$ flexunity {' '.join(command)}", flush=True)
        done = subprocess.run([sys.executable, "-m", "flexunity", *command], cwd=self.work / "auditor")
        return done.returncode

    def balances(self) -> bool:
        self.title("8. every token accounted for")
        from web3 import HTTPProvider, Web3

        from flexunity.chain.contracts import ContractClients
        from flexunity.chain.manifest import deployment_of, load_manifest

        manifest = load_manifest(self.manifest)
        w3 = Web3(HTTPProvider(self.args.rpc))
        clients = ContractClients(w3, deployment_of(manifest))
        token, escrow = clients.token, clients.escrow
        holders = {party: address for party, address in self.address.items()}
        wallets = {p: token.balance_of(a) for p, a in holders.items()}
        escrowed = {p: escrow.account(a).balance for p, a in holders.items()}
        in_escrow = token.balance_of(escrow.address)
        in_distributor = token.balance_of(clients.revenue.address)
        supply = int(token.contract.functions.totalSupply().call())
        for party in holders:
            print(f"  {party:<10} wallet {wallets[party]:>14,}  escrow {escrowed[party]:>14,}")
        print(f"  escrow contract {in_escrow:,}, revenue distributor {in_distributor:,}, supply {supply:,}")
        total = sum(wallets.values()) + in_escrow + in_distributor
        ok = total == supply and in_escrow == sum(escrowed.values())
        print(
            f"  wallets + escrow + distributor = {total:,} {'=' if total == supply else '≠'} "
            f"supply {supply:,}; "
            f"escrow accounts sum {sum(escrowed.values()):,} {'=' if ok else '≠'} escrow balance: "
            + ("balances add up" if ok else "BALANCES DO NOT ADD UP")
        )
        return ok

    # --- helpers -----------------------------------------------------------------------------------

    def peer_dirs(self) -> list[str]:
        return [f"peer-{i + 1}" for i in range(self.args.peers)]

    def write_inputs(self) -> None:
        """The community's round terms (CM), each peer's own forecast file, the pilot's product."""
        community = _community(self.args.peers)
        (self.cm / "community.json").write_text(json.dumps(community, indent=2))
        for i, peer in enumerate(self.peer_dirs()):
            mine = {**community, "peers": [community["peers"][i]]}
            (self.work / peer / "forecast.json").write_text(json.dumps(mine, indent=2))
        (self.cm / "products.json").write_text(json.dumps({"format": "flexunity-products/1",
                                                           "products": [_product()]}, indent=2))  # fmt: skip

    def cm_says(self, *argv: Any) -> None:
        self.flexunity(*argv, "--manifest", self.manifest, "--keystore", self.keys["cm"])

    def peer_says(self, peer: str, *argv: Any, ok_codes: tuple[int, ...] = (0,)) -> None:
        self.flexunity(
            *argv, "--manifest", self.manifest_url, "--keystore", self.keys[peer], ok_codes=ok_codes
        )

    def flexunity(self, *argv: Any, ok_codes: tuple[int, ...] = (0,)) -> None:
        """Run one ``flexunity`` command in this process (as typed; errors as the console shows them)."""
        import click

        from flexunity.cli import cli
        from flexunity.errors import UserError

        words = [str(a) for a in argv]
        print(f"$ flexunity {' '.join(_short(w, self.work) for w in words)}", flush=True)
        code = 0
        try:
            cli.main(words, prog_name="flexunity", standalone_mode=False)
        except click.ClickException as exc:
            exc.show()
            code = exc.exit_code
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            code = exc.exit_code
        sys.stdout.flush()
        if code not in ok_codes:
            raise Failed(f"`flexunity {words[0]} {words[1] if len(words) > 1 else ''}` exited {code}", code)

    def wait(self, seconds: float, what: str) -> None:
        if seconds <= 0:
            return
        if self.args.devnet:
            self.devnet_rpc("evm_increaseTime", [int(seconds) + 1])
            self.devnet_rpc("evm_mine", [])
            print(f"(devnet: clock moved {int(seconds) + 1} s past the {what})", flush=True)
            return
        from rich.progress import Progress

        print(f"(waiting {seconds:.0f} s for the {what})", flush=True)
        with Progress(transient=True) as progress:
            task = progress.add_task(f"waiting for the {what}", total=seconds)
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0:
                time.sleep(min(1.0, left))
                progress.update(task, completed=seconds - max(0.0, end - time.monotonic()))

    def devnet_ether(self, address: str, wei: int) -> None:
        accounts = self.devnet_rpc("eth_accounts", [])
        tx = {"from": accounts[0], "to": address, "value": hex(wei)}
        self.devnet_rpc("eth_sendTransaction", [tx])
        print(f"(devnet: the node's account {accounts[0]} paid the CM {wei // 10**18} ether)", flush=True)
        while int(self.devnet_rpc("eth_getBalance", [address, "latest"]), 16) < wei:
            time.sleep(0.3)

    def devnet_rpc(self, method: str, params: list[Any]) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(self.args.rpc, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise Failed(f"{method}: {answer['error']}")
        return answer["result"]

    def stop_server(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()

    @staticmethod
    def title(text: str) -> None:
        print(f"\n=== {text}", flush=True)


def _community(peers: int) -> dict[str, Any]:
    """A small community of ``peers`` homes and businesses, 4 hourly intervals from 16:00 (PV,
    a battery, flexible loads): enough to trade, clear and offer flexibility to the pilot's product."""
    base = [
        {"kind": "home", "load_kw": [0.4, 0.9, 1.1, 0.5], "pv_kw": [3.1, 1.4, 0.2, 0.0]},
        {"kind": "home", "load_kw": [0.7, 1.6, 1.9, 0.8]},
        {"kind": "business", "load_kw": [2.2, 2.0, 1.2, 0.3], "pv_kw": [1.5, 0.6, 0.0, 0.0]},
        {"kind": "home", "load_kw": [0.5, 1.0, 1.4, 0.6],
         "batteries": [{"id": "bat", "capacity_kwh": 5.0, "charge_kw": 2.5, "discharge_kw": 2.5,
                        "charge_efficiency": 0.95, "discharge_efficiency": 0.95, "soc_initial_kwh": 2.0}]},
        {"kind": "business", "load_kw": [3.0, 2.6, 1.8, 0.9], "pv_kw": [4.0, 2.0, 0.3, 0.0]},
    ]  # fmt: skip
    chosen = [dict(base[i % len(base)], id=PEER_IDS[i], tariff="std") for i in range(peers)]
    return {
        "format": "flexunity-scenario/1", "name": "rehearsal", "start": "2026-06-01T16:00:00+01:00",
        "timezone": "Europe/London", "interval_minutes": 60, "intervals": 4, "currency": "GBP",
        "tariffs": {"std": {"import_price": [0.28, 0.34, 0.34, 0.22], "export_price": 0.05}},
        "grid": {"connected": True, "capacity_charge_per_kw": 0.0},
        "community": {"fee_per_kwh": 0.01, "pricing": "dual"},
        "peers": chosen,
    }  # fmt: skip


def _product() -> dict[str, Any]:
    """The pilot's own local product, sized for a small community (1 kW minimum, 16:00-18:00)."""
    return {
        "name": PRODUCT, "description": "A local flexibility service of the pilot's distribution operator.",
        "country": "GB", "currency": "GBP", "direction": "down", "min_offer_kw": 1.0,
        "notice_minutes": 60, "duration_minutes": 60, "windows": [["16:00", "18:00"]],
        "availability_price_per_mw_h": 20.0, "utilisation_price_per_mwh": 300.0,
        "penalty_per_mwh": 300.0, "delivery_tolerance": 0.05,
    }  # fmt: skip


def _address_of(keystore: Path) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address("0x" + json.loads(keystore.read_text())["address"].removeprefix("0x")))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _short(word: str, work: Path) -> str:
    return word.replace(str(work) + os.sep, "")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rpc", required=True, help="JSON-RPC URL of the testnet")
    parser.add_argument("--chain-id", type=int, default=None, help="refuse a node with another chain id")
    parser.add_argument("--workdir", type=Path, default=Path("rehearsal"), help="one folder per party")
    parser.add_argument("--cm-keystore", type=Path, default=None, help="the CM's funded keystore")
    parser.add_argument("--peers", type=int, default=5, help="number of peers (5-8)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gate-in", type=int, default=60, help="seconds from opening to gate closure")
    parser.add_argument("--challenge-window", type=int, default=30, help="seconds")
    devnet_help = "anvil: the node pays the CM's ether and its clock is moved instead of waiting"
    parser.add_argument("--devnet", action="store_true", help=devnet_help)
    args = parser.parse_args(argv)
    if not 1 <= args.peers <= len(PEER_IDS):
        parser.error(f"--peers must be 1-{len(PEER_IDS)}")
    return args


if __name__ == "__main__":
    sys.exit(main())
