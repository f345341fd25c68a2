"""A community on anvil, `flexunity serve` on it, and Debian's chromium with a wallet injected.

The wallet (``FakeWallet``) is an EIP-1193 provider put in the page as ``window.ethereum``; every
request goes to Python, which answers account and chain requests itself and forwards the rest to
anvil, whose unlocked dev accounts sign typed data v4 and send transactions: the page makes the same
calls it makes to MetaMask. The wallet starts on another chain (1) and does not know the community's
chain, so the page must add it and switch to it; ``reject`` makes it refuse like a user (4001).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from web3 import Web3

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
INJECTED = """
window.ethereum = (() => {
  const listeners = {};
  return {
    isFlexUnityTestWallet: true,
    async request({ method, params }) {
      const answer = JSON.parse(await window.__wallet(JSON.stringify({ method, params: params || [] })));
      if (answer.error) {
        const error = new Error(answer.error.message);
        error.code = answer.error.code;
        error.data = answer.error.data;
        throw error;
      }
      return answer.result;
    },
    on(name, listener) { (listeners[name] ||= []).push(listener); },
    removeListener(name, listener) {
      listeners[name] = (listeners[name] || []).filter((l) => l !== listener);
    },
  };
})();
"""


@dataclass
class FakeWallet:
    """The injected provider's Python side: one anvil dev account, a chain it may not know yet."""

    w3: Web3
    address: str
    chain_id: int
    current: int = 1
    known: set[int] = field(default_factory=lambda: {1})
    reject: set[str] = field(default_factory=set)  # methods the "user" refuses (code 4001)
    calls: list[str] = field(default_factory=list)
    key: Any = None  # a LocalAccount: the wallet signs itself (the CM's key); None: anvil signs

    def __call__(self, text: str) -> str:
        request = json.loads(text)
        method, params = request["method"], request.get("params") or []
        self.calls.append(method)
        return json.dumps(self._answer(method, params))

    def _answer(self, method: str, params: list[Any]) -> dict[str, Any]:
        if method in ("eth_requestAccounts", "eth_accounts"):
            return {"result": [self.address]}
        if method == "eth_chainId":
            return {"result": hex(self.current)}
        if method == "wallet_switchEthereumChain":
            wanted = int(params[0]["chainId"], 16)
            if wanted not in self.known:
                return {"error": {"code": 4902, "message": f"Unrecognized chain ID {hex(wanted)}."}}
            self.current = wanted
            return {"result": None}
        if method == "wallet_addEthereumChain":
            self.known.add(int(params[0]["chainId"], 16))
            self.current = int(params[0]["chainId"], 16)
            return {"result": None}
        if method in self.reject:
            return {"error": {"code": 4001, "message": "User rejected the request."}}
        if self.current != self.chain_id:
            return {"error": {"code": 4901, "message": "The wallet is on another chain."}}
        if self.key is not None and method == "eth_sendTransaction":
            return {"result": self._send_signed(params[0])}
        answer = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in answer:
            return {"error": dict(answer["error"])}
        return {"result": answer["result"]}

    def _send_signed(self, tx: dict[str, Any]) -> str:
        """What a wallet with its own key does: fill in, sign locally, send raw."""
        full = {
            "from": self.key.address, "to": tx["to"], "data": tx.get("data", "0x"),
            "value": int(tx.get("value", "0x0"), 16), "chainId": self.chain_id,
            "nonce": self.w3.eth.get_transaction_count(self.key.address, "pending"),
            "gasPrice": self.w3.eth.gas_price,
        }  # fmt: skip
        full["gas"] = int(self.w3.eth.estimate_gas(full) * 1.2)  # type: ignore[arg-type]
        del full["from"]
        signed = self.key.sign_transaction(full)
        return str(self.w3.eth.send_raw_transaction(signed.raw_transaction).to_0x_hex())

    def sent(self, method: str) -> int:
        return self.calls.count(method)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread on a free loopback port; yield its base URL; stop it."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless chromium under Playwright (Playwright's own download cannot work here)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError("no /usr/bin/chromium: run tools/setup.sh as root (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def wallet_page(browser: Any, wallet: FakeWallet, *, phone: bool = False, dark: bool = False) -> Any:
    """A new page with ``wallet`` injected as window.ethereum."""
    viewport = {"width": 390, "height": 844} if phone else {"width": 1200, "height": 900}
    context = browser.new_context(viewport=viewport, color_scheme="dark" if dark else "light",
                                  device_scale_factor=1)  # fmt: skip
    context.expose_function("__wallet", wallet)
    context.add_init_script(INJECTED)
    return context.new_page()


def shoot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
