"""The order inbox on a real chain (eth-tester): what it accepts, what it refuses and why, its limits.

Every refusal is checked two ways: the inbox answers 4xx with the reason, and the contract itself
refuses the same order (``relayOrders`` would revert), so the inbox checks what the chain checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from starlette.testclient import TestClient

from flexunity.chain.contracts import PeerKind, SignedOrder
from flexunity.chain.eip712 import Order
from flexunity.chain.node import advance_time
from flexunity.demo.community import Gas
from flexunity.demo.options import DemoOptions, Timer, build_scenario
from flexunity.demo.prepare import open_round_with_orders, prepare
from flexunity.record.orders import encode_payload, order_document
from flexunity.web import inbox as inbox_module
from flexunity.web.app import ServeSettings, create_app
from flexunity.web.drafts import draft_payload

pytestmark = pytest.mark.chain
BAD_PEER = {
    "order": {"roundId": 1, "peer": "0x12", "nonce": 1, "deadline": 1, "payloadHash": "0x"},
    "payload": "0x",
    "signature": "0x",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from flexunity.chain.devnet import eth_tester_web3

    out = tmp_path_factory.mktemp("inbox-world")
    options = DemoOptions(peers=2, out=out, network="eth-tester", audit=False, plot=False)
    scenario = build_scenario(options, "2026-06-15")
    w3 = eth_tester_web3()
    quiet = Timer({}, lambda _: None)
    community = prepare(w3, None, options, scenario, quiet, Gas(), lambda _: None)
    members = [Account.create() for _ in range(3)]
    community.chain.enrol([(m.address, PeerKind.CONSUMER, b"\0" * 32) for m in members])
    round_id, gate = open_round_with_orders(community, scenario, quiet)
    settings = ServeSettings(
        manifest_path=community.manifest_path, store_dir=community.store.folder, cm_account=community.roles.cm
    )
    app = create_app(settings, w3=w3)
    config = community.store.get_json("0x" + community.chain.clients.rounds.round(round_id).config_hash.hex())
    yield {"app": app, "client": TestClient(app), "community": community, "members": members,
           "round": round_id, "gate": gate, "config": config, "w3": w3}  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_rate_limit(world: dict[str, Any]) -> None:
    """Each test starts with no post counted against the test client's minute."""
    world["app"].state.site.inbox.rate = inbox_module.RateLimit(inbox_module.RATE_PER_MINUTE)


def signed(
    world: dict[str, Any], signer: Any, *, peer: str | None = None, nonce: int = 5,
    deadline: int | None = None, payload: bytes | None = None, round_id: int | None = None,
) -> SignedOrder:  # fmt: skip
    chain = world["community"].chain
    payload = payload if payload is not None else draft_payload(world["config"], "0")[0]
    order = Order.for_payload(round_id or world["round"], peer or signer.address, nonce,
                              deadline or world["gate"], payload)  # fmt: skip
    from flexunity.chain.eip712 import order_typed_data, sign_typed_data

    signature = sign_typed_data(signer.key, order_typed_data(chain.clients.rounds.domain(), order))
    return SignedOrder(order, payload, signature)


def body(s: SignedOrder, **changes: Any) -> dict[str, Any]:
    message = s.order.as_message()
    data = {"order": message, "payload": "0x" + s.payload.hex(), "signature": "0x" + s.signature.hex()}
    data.update(changes)
    return data


def post(world: dict[str, Any], data: Any, client: TestClient | None = None) -> Any:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return (client or world["client"]).post("/inbox/orders", content=raw)


def contract_refuses(world: dict[str, Any], s: SignedOrder) -> bool:
    """The round book would not take the order: a relayed batch skips it (0 accepted) or reverts."""
    chain = world["community"].chain
    fn = chain.clients.rounds.contract.functions.relayOrders([s.order.as_tuple()], [s.payload], [s.signature])
    try:
        accepted = fn.call({"from": world["community"].roles.cm.address})
    except Exception:
        return True
    return int(accepted) == 0


def test_a_good_order_is_kept_then_relayed_to_the_chain(world: dict[str, Any]) -> None:
    me = world["members"][0]
    rounds = world["community"].chain.clients.rounds
    before = rounds.round(world["round"]).order_count
    answer = post(world, body(signed(world, me, nonce=3)))
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"]["status"] == "pending"
    # a higher nonce replaces the peer's pending order; a lower one is refused
    assert post(world, body(signed(world, me, nonce=4))).status_code == 202
    late = post(world, body(signed(world, me, nonce=2)))
    assert late.status_code == 409 and "not above your pending order's 4" in late.json()["error"]
    world["app"].state.site.relay_now()
    assert rounds.round(world["round"]).order_count == before + 1  # one order: the replacement
    assert rounds.nonce_of(me.address) == 4
    statuses = world["client"].get(f"/api/inbox?round={world['round']}&peer={me.address}").json()["orders"]
    assert [o["status"] for o in statuses] == ["replaced", "relayed", "refused"]


def test_a_tampered_or_forged_order_is_refused_with_the_reason(world: dict[str, Any]) -> None:
    me, other = world["members"][1], world["members"][2]
    good = signed(world, me)
    cases = {
        "the payload does not hash to payloadHash": SignedOrder(
            good.order, good.payload[:-1] + b"\x00", good.signature
        ),
        f"the signature is not {me.address}'s": signed(world, other, peer=me.address),
        "is not a member": signed(world, Account.create()),
        "deadline": signed(world, me, deadline=world["community"].chain.now() - 10),
        "does not exist": signed(world, me, round_id=99),
        "nonce 0 is not above": signed(world, me, nonce=0),
    }
    for reason, order in cases.items():
        answer = post(world, body(order))
        assert answer.status_code == 422, (reason, answer.text)
        assert reason in answer.json()["error"]
        assert contract_refuses(world, order), reason


def test_an_order_that_does_not_fit_the_round_is_refused(world: dict[str, Any]) -> None:
    me, config = world["members"][1], world["config"]
    peer = {"id": "x", "tariff": next(iter(config["tariffs"])), "load_kw": 1.0}
    short = encode_payload(order_document(peer, 24, config["interval_minutes"]))
    answer = post(world, body(signed(world, me, payload=short)))
    assert answer.status_code == 422 and "is not an order for round" in answer.json()["error"]
    elsewhere = encode_payload(order_document({**peer, "tariff": "es-2.0TD"}, config["intervals"], 30))
    answer = post(world, body(signed(world, me, payload=elsewhere)))
    assert (
        answer.status_code == 422 and "tariff 'es-2.0TD' is not one of the round's" in answer.json()["error"]
    )
    nonsense = post(world, body(signed(world, me, payload=b"FXO1 not zlib")))
    assert nonsense.status_code == 422


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b"{not json", 400, "not JSON"),
        ({"order": {}}, 400, "the body needs order"),
        (BAD_PEER, 400, "is not an address"),
        (b"x" * (inbox_module.MAX_BODY_BYTES + 1), 413, "at most"),
    ],
)
def test_malformed_requests_get_4xx_with_a_reason(
    world: dict[str, Any], data: Any, status: int, reason: str
) -> None:
    answer = post(world, data)
    assert answer.status_code == status
    assert reason in answer.json()["error"]


def test_a_client_is_limited_to_so_many_orders_a_minute(world: dict[str, Any]) -> None:
    client = TestClient(world["app"], client=("10.0.0.7", 5000))
    me = world["members"][1]
    codes = [post(world, body(signed(world, me, nonce=0)), client).status_code
             for _ in range(inbox_module.RATE_PER_MINUTE + 1)]  # fmt: skip
    assert codes[:-1] == [422] * inbox_module.RATE_PER_MINUTE
    assert codes[-1] == 429


def test_an_order_waits_for_the_next_batch_when_the_node_fails(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    site, me = world["app"].state.site, world["members"][1]
    assert post(world, body(signed(world, me, nonce=7))).status_code == 202

    def node_down(_: Any) -> Any:
        raise ConnectionError("the node is down")

    monkeypatch.setattr(site.inbox.chain, "relay", node_down)
    site.relay_now()
    assert [e.status for e in site.inbox.entries(world["round"], me.address)][-1] == "pending"
    monkeypatch.undo()
    site.relay_now()
    assert [e.status for e in site.inbox.entries(world["round"], me.address)][-1] == "relayed"
    assert world["community"].chain.clients.rounds.nonce_of(me.address) == 7


def test_a_drafted_order_signed_by_a_wallet_is_accepted(world: dict[str, Any]) -> None:
    from flexunity.chain.eip712 import sign_typed_data

    me, client, r = world["members"][2], world["client"], world["round"]
    presets = client.get(f"/api/rounds/{r}/presets").json()["presets"]
    assert presets and all(p["label"] for p in presets)
    draft = client.post(f"/api/rounds/{r}/draft", json={"address": me.address, "preset": presets[-1]["id"],
                                                        "dailyKwh": "12", "pvKwp": "4"}).json()  # fmt: skip
    assert draft["summary"]["loadKwh"] == pytest.approx(12, abs=0.05)
    signature = sign_typed_data(me.key, draft["typedData"])  # what eth_signTypedData_v4 returns
    answer = post(world, {"order": draft["typedData"]["message"], "payload": draft["payload"],
                          "signature": "0x" + signature.hex()})  # fmt: skip
    assert answer.status_code == 202, answer.text
    bad = client.post(f"/api/rounds/{r}/draft", json={"address": "0x12", "preset": "0"})
    assert bad.status_code == 400 and "is not an address" in bad.json()["error"]
    unknown = client.post(f"/api/rounds/{r}/draft", json={"address": me.address, "preset": "99"})
    assert unknown.status_code == 422 and "no preset '99'" in unknown.json()["error"]


def test_a_peer_drafts_from_its_own_metered_load(world: dict[str, Any]) -> None:
    import pandas as pd

    config, client, r, me = world["config"], world["client"], world["round"], world["members"][2]
    times = pd.date_range(pd.Timestamp(config["start"]), periods=24, freq="60min")
    csv = "timestamp,load_kwh\n" + "".join(f"{t.isoformat()},0.5\n" for t in times)  # 12 kWh over the day
    draft = client.post(f"/api/rounds/{r}/draft", json={"address": me.address, "preset": "0", "loadCsv": csv})
    assert draft.status_code == 200, draft.text
    assert draft.json()["summary"]["loadKwh"] == pytest.approx(12, abs=0.01)
    assert "your own load" in draft.json()["summary"]["preset"]
    short = "timestamp,load_kwh\n" + "".join(f"{t.isoformat()},0.5\n" for t in times[:5])
    answer = client.post(
        f"/api/rounds/{r}/draft", json={"address": me.address, "preset": "0", "loadCsv": short}
    )
    assert answer.status_code == 422 and "your load file" in answer.json()["error"]


def test_no_one_else_can_replace_a_peers_pending_order(world: dict[str, Any]) -> None:
    site, victim, attacker = world["app"].state.site, world["members"][0], world["members"][2]
    assert post(world, body(signed(world, victim, nonce=11))).status_code == 202
    forged = post(world, body(signed(world, attacker, peer=victim.address, nonce=12)))
    assert forged.status_code == 422 and f"the signature is not {victim.address}'s" in forged.json()["error"]
    pending = site.inbox.pending[(world["round"], victim.address)]
    assert pending.nonce == 11 and pending.status == "pending"
    site.inbox.pending.clear()  # leave the chain as the other tests expect it


def test_after_gate_closure_nothing_is_taken(world: dict[str, Any]) -> None:
    me = world["members"][2]
    advance_time(world["w3"], world["gate"] - world["community"].chain.now() + 1)
    late = signed(world, me, nonce=9)
    answer = post(world, body(late))
    assert answer.status_code == 422 and f"closes at {world['gate']}" in answer.json()["error"]
    assert contract_refuses(world, late)
