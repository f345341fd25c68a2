"""The pages in Debian's headless chromium, a wallet injected, on a community running on anvil.

One peer (an anvil dev account) lives a whole round through the peer page: connects on the wrong
chain and switches, deposits, refuses a signature, has a tampered order refused by the inbox, signs
and submits its order, sees it counted at gate closure, sees its bill with the Merkle proof verified
in the browser, claims its revenue share and withdraws. The CM and auditor pages are then read. Each
page is photographed into docs/screenshots/ (desktop; phone width in dark mode for the peer page).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest
from browser_world import FakeWallet, chromium, serving, shoot, wallet_page

from flexunity.chain.contracts import PeerKind
from flexunity.chain.devnet import anvil
from flexunity.chain.node import advance_time
from flexunity.demo.community import Gas
from flexunity.demo.options import DemoOptions, Timer, build_scenario
from flexunity.demo.prepare import open_round_with_orders, prepare, private_chain_id
from flexunity.markets.products import get_product
from flexunity.oracle.revenue import RevenuePlan, distribute_revenue
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateDB, Step
from flexunity.record.orders import encode_payload, order_document
from flexunity.web.app import ServeSettings, create_app

pytestmark = [pytest.mark.browser, pytest.mark.devnet]
WIDER_THAN_VIEWPORT = """[...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
    || e.scrollWidth > e.clientWidth + 1)
  .filter((e) => !e.closest('.scroll'))
  .map((e) => `${e.tagName}#${e.id}.${e.className}: ${Math.round(e.getBoundingClientRect().right)}px`)"""
WAIT = 30_000  # ms: generous on a loaded 2-core machine


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("web-world")
    options = DemoOptions(peers=3, out=out, challenge_window=600, audit=False, plot=False)
    scenario = build_scenario(options, "2026-06-15")
    with anvil(chain_id=private_chain_id(), gas_limit=100_000_000) as node:
        w3 = node.web3(timeout=120)
        community = prepare(
            w3, node.rpc_url, options, scenario, Timer({}, lambda _: None), Gas(), lambda _: None
        )
        chain = community.chain
        me = w3.eth.accounts[5]  # an anvil dev account: anvil signs for it, as a wallet would
        chain.enrol([(me, PeerKind.PROSUMER, b"\0" * 32)])
        token = chain.clients.token.contract.functions
        chain.sender.transact(token.mint(me, 100 * 10 ** chain.token_decimals()), "mint for the browser peer")
        round_id, gate = open_round_with_orders(community, scenario, Timer({}, lambda _: None))
        # a demo peer's corrected order has the wrong shape (24 intervals): the chain takes it, the
        # oracle leaves it out of the clearing, and the CM page must say so
        odd = community.wallets[0]
        bad = encode_payload(order_document({**odd.peer, "load_kw": 1.0, "pv_kw": None}, 24, 30))
        chain.relay([chain.sign_order(odd.account, round_id, round_id + 1, gate, bad)])
        settings = ServeSettings(
            manifest_path=community.manifest_path, store_dir=community.store.folder, rpc_url=node.rpc_url,
            cm_account=community.roles.cm, relay_every=1.0,
        )  # fmt: skip
        with serving(create_app(settings)) as url, chromium() as browser:
            yield {
                "url": url, "w3": w3, "node": node, "community": community, "me": me, "round": round_id,
                "gate": gate, "browser": browser, "out": out,
            }  # fmt: skip


def settle_round(world: dict[str, Any]) -> str:
    """The CM's oracle clears, posts, waits out the challenge window (devnet clock) and settles."""
    community, w3 = world["community"], world["w3"]
    runner = RoundRunner(community.chain, community.store, StateDB(world["out"] / "oracle.sqlite"))
    state = runner.run(world["round"], wait=False)
    if state.step is not Step.DONE:
        advance_time(w3, 601)
        state = runner.run(world["round"], wait=False)
    assert state.step is Step.DONE
    return str(state.data["result_hash"])


def test_a_peer_lives_a_round_in_the_browser(world: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    w3, me, round_id = world["w3"], world["me"], world["round"]
    wallet = FakeWallet(w3, me, world["node"].chain_id)
    page = wallet_page(world["browser"], wallet)
    page.goto(world["url"] + "/peer")
    expect(page.locator("body[data-ready]")).to_be_attached(timeout=WAIT)
    messages = page.locator("#messages")

    # connect on the wrong chain, then switch (the wallet does not know the chain: it is added)
    page.click("#connect")
    expect(page.locator("#wrong-chain-text")).to_contain_text("Your wallet is on chain 1", timeout=WAIT)
    shoot(page, "peer-wrong-chain")
    page.click("#switch")
    expect(messages).to_contain_text("Connected to the community's chain", timeout=WAIT)
    assert wallet.sent("wallet_switchEthereumChain") == 1 and wallet.sent("wallet_addEthereumChain") == 1
    expect(page.locator("#membership")).to_contain_text("member", timeout=WAIT)

    # deposit 25.00 (approve, then deposit, both from the wallet)
    page.fill("#deposit-amount", "25.00")
    page.click("#deposit")
    expect(messages).to_contain_text("Deposited 25", timeout=WAIT)
    expect(page.locator("#escrow-balance")).to_contain_text("25", timeout=WAIT)
    escrow = world["community"].chain.clients.escrow
    assert escrow.account(me).balance == 25 * 10 ** world["community"].chain.token_decimals()

    # prepare an order from a preset with a battery
    battery = page.locator("#preset option", has_text="battery").first.get_attribute("value")
    page.select_option("#preset", battery)
    config = world["community"].store.get_json(world["community"].chain.view(round_id).config_hash)
    times = pd.date_range(pd.Timestamp(config["start"]), periods=24, freq="60min")
    csv = "timestamp,load_kwh\n" + "".join(f"{t.isoformat()},0.5\n" for t in times)  # the peer's meter
    page.set_input_files(
        "#load-file", files=[{"name": "my-meter.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.click("#prepare")
    expect(page.locator("#draft-load")).to_have_text("12 kWh", timeout=WAIT)
    expect(page.locator("#draft-summary")).to_contain_text("your own load")

    # the user refuses to sign: a message, nothing signed, nothing sent to the inbox or the chain
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/inbox/" in r.url else None)
    sends = wallet.sent("eth_sendTransaction")
    wallet.reject.add("eth_signTypedData_v4")
    page.click("#sign-submit")
    expect(messages).to_contain_text("You rejected the request in your wallet", timeout=WAIT)
    assert posts == [] and wallet.sent("eth_sendTransaction") == sends
    shoot(page, "peer-signature-rejected")
    wallet.reject.clear()

    # a tampered order (payload changed after signing, on its way) is refused by the inbox with the reason
    def tamper(route: Any) -> None:
        body = json.loads(route.request.post_data)
        body["payload"] = body["payload"][:-2] + ("00" if body["payload"][-2:] != "00" else "01")
        route.continue_(post_data=json.dumps(body))

    page.route("**/inbox/orders", tamper)
    page.click("#sign-submit")
    expect(messages).to_contain_text("the payload does not hash to payloadHash", timeout=WAIT)
    page.unroute("**/inbox/orders")
    orders_before = world["community"].chain.clients.rounds.round(round_id).order_count

    # sign and submit for real: accepted by the inbox, relayed to the chain by the CM
    page.click("#sign-submit")
    expect(page.locator("#order-status")).to_contain_text("on chain", timeout=WAIT)
    rounds = world["community"].chain.clients.rounds
    assert rounds.round(round_id).order_count == orders_before + 1
    shoot(page, "peer-order-on-chain")

    # a corrected order, sent from the wallet itself (the peer pays the gas): it replaces the first
    page.fill("#daily-kwh", "9")
    page.click("#prepare")
    expect(page.locator("#draft-load")).to_have_text("9 kWh", timeout=WAIT)
    expect(page.locator("#draft-nonce")).to_contain_text("2 · ")
    page.click("#sign-send")
    expect(page.locator("#order-status")).to_contain_text("Your order is on chain (nonce 2)", timeout=WAIT)
    assert rounds.nonce_of(me) == 2

    # gate closure: the order is counted
    advance_time(w3, world["gate"] - world["community"].chain.now() + 1)
    page.reload()
    page.click("#connect")
    expect(page.locator("#my-order")).to_contain_text("nonce 2 (counted)", timeout=WAIT)
    expect(page.locator("#round-orders")).to_have_text(str(rounds.round(round_id).order_count))

    # the oracle clears, posts and settles; revenue is shared; the page shows the bill and the proof
    settle_round(world)
    community = world["community"]
    result_hash = community.chain.posted_document_hash(round_id)
    product = replace(get_product("SIM-LOCAL"), min_offer_kw=0.1)  # a pilot-sized product for 4 homes
    outcome = distribute_revenue(
        community.chain, community.store, round_id=round_id, result_hash=result_hash,
        plan=RevenuePlan(product=product, rule="pro-rata", seed=1),
    )  # fmt: skip
    assert any(a.lower() == me.lower() for a in outcome.shares), (outcome.shares, outcome.reasons, me)
    page.reload()
    page.click("#connect")
    page.click(f"button[data-bill='{round_id}']")
    expect(page.locator(f"#proof-{round_id}")).to_contain_text("✓ Verified in your browser", timeout=WAIT)
    shoot(page, "peer-bill-verified")

    # claim the revenue share, then withdraw everything
    balance_before = community.chain.clients.token.contract.functions.balanceOf(me).call()
    page.click("button[data-claim]")
    expect(messages).to_contain_text("Claimed", timeout=WAIT)
    share = next(v for a, v in outcome.shares.items() if a.lower() == me.lower())
    assert community.chain.clients.token.contract.functions.balanceOf(me).call() == balance_before + share
    page.click("#withdraw")
    expect(messages).to_contain_text("Withdrew", timeout=WAIT)
    assert escrow.withdrawable(me) == 0
    shoot(page, "peer-after-withdrawal")
    check_cm_and_auditor_pages(world)


def check_cm_and_auditor_pages(world: dict[str, Any]) -> None:
    """The CM sees the round's timeline with the refused order's reason, and the audit; so does an auditor."""
    from playwright.sync_api import expect

    cm = world["community"].roles.cm
    wallet = FakeWallet(world["w3"], cm.address, world["node"].chain_id, key=cm)
    page = wallet_page(world["browser"], wallet)
    page.goto(world["url"] + "/cm")
    expect(page.locator("h1")).to_have_text("Community manager")
    expect(page.locator(f"#round-{world['round']}")).to_contain_text("orders on chain")
    page.click("text=Run the audit now")
    expect(page.locator("#audit")).to_contain_text("PASS", timeout=120_000)
    expect(page.locator(f"#round-{world['round']}")).to_contain_text("payload does not hash")
    expect(page.locator(f"#round-{world['round']}")).to_contain_text("the oracle left out of the clearing")
    newcomer = world["w3"].eth.accounts[6]
    page.fill("#enrol-address", newcomer)
    page.select_option("#enrol-kind", "1")
    page.click("text=Enrol with my wallet")
    expect(page.locator("#cm-messages")).to_contain_text("Enrolled", timeout=WAIT)
    registry = world["community"].chain.clients.registry
    assert registry.contract.functions.member(newcomer).call()[1] > 0  # enrolled from a round on
    page.reload()
    expect(page.locator("#h-peers")).to_contain_text("Peers (5)")
    shoot(page, "cm")
    page.goto(world["url"] + "/audit")
    page.fill("#manifest", world["url"] + "/manifest.json")
    page.fill("#rpc", world["node"].rpc_url)
    page.click("text=Audit every round")
    expect(page.locator(".verdict").first).to_have_text("PASS", timeout=120_000)
    expect(page.locator("table").first).to_contain_text("What it means")
    expect(page.locator(f"#round-{world['round']}")).to_contain_text("result posted 0x")
    shoot(page, "auditor")


def test_peer_page_on_a_phone_in_dark_mode(world: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    wallet = FakeWallet(world["w3"], world["me"], world["node"].chain_id, current=world["node"].chain_id,
                        known={world["node"].chain_id})  # fmt: skip
    page = wallet_page(world["browser"], wallet, phone=True, dark=True)
    page.goto(world["url"] + "/peer")
    expect(page.locator("body[data-ready]")).to_be_attached(timeout=WAIT)
    for _ in range(12):  # with the keyboard: Tab to "Connect wallet", then Enter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "connect":
            break
    page.keyboard.press("Enter")
    expect(page.locator("#membership")).to_contain_text("member", timeout=WAIT)
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], page.evaluate(WIDER_THAN_VIEWPORT)  # the page fits the phone's width
    shoot(page, "peer-phone-dark")
    page.goto(world["url"] + "/cm")
    shoot(page, "cm-phone-dark")
