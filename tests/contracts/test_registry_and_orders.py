"""CommunityRegistry and RoundBook: roles, membership by round, pause, and every order rejection."""

from __future__ import annotations

import dataclasses

import pytest
from contract_helpers import CONFIG_HASH, ZERO32, Setup, payload, signed_order, skipped
from eth_utils import keccak

from flexunity.chain.contracts import PeerKind
from flexunity.chain.eip712 import Order
from flexunity.errors import ChainError

pytestmark = pytest.mark.chain


def open_round(s: Setup, gate_in: int = 600) -> int:
    gate = s.now() + gate_in
    return s.community.rounds.open_round(s.cm, gate + 3600, gate, 3600, 24, CONFIG_HASH)


def test_enrol_requires_the_cm_role(setup: Setup) -> None:
    with pytest.raises(ChainError, match="AccessControlUnauthorizedAccount"):
        setup.community.registry.enrol(setup.roles.arbiter, setup.roles.supplier, PeerKind.CONSUMER)


def test_enrol_twice_is_rejected(setup: Setup) -> None:
    with pytest.raises(ChainError, match="AlreadyMember"):
        setup.community.registry.enrol(setup.cm, setup.peers[0].address, PeerKind.CONSUMER)


def test_leaving_takes_effect_from_the_next_round(setup: Setup) -> None:
    s, c = setup, setup.community
    current = open_round(s)
    c.registry.leave(s.peers[0].address)
    assert c.registry.is_member(s.peers[0].address, current)
    nxt = open_round(s)
    assert not c.registry.is_member(s.peers[0].address, nxt)
    order = Order.for_payload(nxt, s.peers[0].address, 1, s.now() + 3600, payload())
    with pytest.raises(ChainError, match="NotMember"):
        c.rounds.submit_order(order, payload())
    c.rounds.submit_order(dataclasses.replace(order, round_id=current), payload())


def test_signer_rotation_and_admin_only(setup: Setup) -> None:
    s, c = setup, setup.community
    with pytest.raises(ChainError, match="AccessControlUnauthorizedAccount"):
        c.registry.propose_signers(s.cm, [s.cm], 1)
    with pytest.raises(ChainError, match="InvalidSignerSet"):
        c.registry.propose_signers(s.roles.admin, [s.cm, s.cm], 1)
    receipt = c.registry.propose_signers(s.roles.admin, [s.cm, s.roles.arbiter], 2)
    (event,) = c.registry.contract.events.SignersProposed().process_receipt(receipt)
    assert event["args"]["epoch"] == 1 and event["args"]["threshold"] == 2
    assert event["args"]["effectiveAt"] == s.now() + 2 * 24 * 3600  # longer than the challenge window
    assert c.registry.threshold() == 1  # the old set stays in force until then
    with pytest.raises(ChainError, match="RotationPending"):
        c.registry.propose_signers(s.roles.admin, [s.cm], 1)
    s.travel(2 * 24 * 3600)
    assert c.registry.threshold() == 2 and c.registry.signer_epoch() == 1


def test_default_admin_transfer_is_two_step_and_delayed(setup: Setup) -> None:
    s, registry = setup, setup.community.registry.contract
    registry.functions.beginDefaultAdminTransfer(s.cm).transact({"from": s.roles.admin})
    with pytest.raises(Exception):  # noqa: B017 - before the delay the new admin cannot accept
        registry.functions.acceptDefaultAdminTransfer().transact({"from": s.cm})
    s.travel(3601)
    registry.functions.acceptDefaultAdminTransfer().transact({"from": s.cm})
    assert registry.functions.defaultAdmin().call() == s.cm


def test_open_round_rules(setup: Setup) -> None:
    s, c = setup, setup.community
    with pytest.raises(ChainError, match="NotCommunityManager"):
        c.rounds.open_round(s.roles.arbiter, s.now() + 9000, s.now() + 600, 3600, 24, CONFIG_HASH)
    with pytest.raises(ChainError, match="InvalidSchedule"):
        c.rounds.open_round(s.cm, s.now() + 100, s.now() + 600, 3600, 24, CONFIG_HASH)  # gate after start
    with pytest.raises(ChainError, match="MissingConfig"):
        c.rounds.open_round(s.cm, s.now() + 9000, s.now() + 600, 3600, 24, ZERO32)
    millis = (s.now() + 600) * 1000  # milliseconds where seconds are meant
    with pytest.raises(ChainError, match="ScheduleOutOfBounds"):
        c.rounds.open_round(s.cm, millis, millis, 3600, 24, CONFIG_HASH)
    with pytest.raises(ChainError, match="ScheduleOutOfBounds"):
        c.rounds.open_round(s.cm, s.now() + 9000, s.now() + 600, 900_000, 24, CONFIG_HASH)


def test_a_round_is_bound_to_its_config_hash(setup: Setup) -> None:
    s, c = setup, setup.community
    gate = s.now() + 600
    round_id = c.rounds.open_round(s.cm, gate + 3600, gate, 3600, 24, "0x" + CONFIG_HASH.hex())
    info = c.rounds.round(round_id)
    assert info.config_hash == CONFIG_HASH
    assert (info.gate_closure, info.interval_seconds, info.interval_count) == (gate, 3600, 24)
    (event,) = c.rounds.contract.events.RoundOpened().get_logs(
        from_block=0, argument_filters={"roundId": round_id}
    )
    assert bytes(event["args"]["configHash"]) == CONFIG_HASH


def test_order_rejections_name_the_reason(setup: Setup) -> None:
    s, c = setup, setup.community
    round_id = open_round(s)
    peer = s.peers[0]
    good = signed_order(c, peer, round_id, 1, s.now() + 3600, payload())
    assert "PayloadMismatch" in skipped(c, s.cm, [dataclasses.replace(good, payload=payload(seed=9))])
    expired = signed_order(c, peer, round_id, 1, s.now() - 1, payload())
    assert "OrderExpired" in skipped(c, s.cm, [expired])
    assert "UnknownRound" in skipped(c, s.cm, [signed_order(c, peer, 99, 1, s.now() + 3600, payload())])
    with pytest.raises(ChainError, match="SenderNotPeer"):
        fn = c.rounds.contract.functions.submitOrder(good.order.as_tuple(), good.payload)
        c.rounds._send(fn, s.cm, "submitting someone else's order")
    with pytest.raises(ChainError, match="NotCommunityManager"):
        c.rounds.relay_orders(peer.address, [good])
    s.travel(700)
    assert "RoundClosed" in skipped(c, s.cm, [good])


def test_replace_cancel_and_invalidate(setup: Setup) -> None:
    s, c = setup, setup.community
    round_id = open_round(s)
    a, b = s.peers[0], s.peers[1]
    deadline = s.now() + 3600
    c.rounds.relay_orders(s.cm, [signed_order(c, a, round_id, 1, deadline, payload(seed=1))])
    c.rounds.relay_orders(s.cm, [signed_order(c, a, round_id, 2, deadline, payload(seed=2))])  # replace
    c.rounds.relay_orders(s.cm, [signed_order(c, b, round_id, 1, deadline, payload())])
    c.rounds.relay_orders(s.cm, [signed_order(c, b, round_id, 2, deadline, b"")])  # cancel
    late = signed_order(c, a, round_id, 5, deadline, payload(seed=5))
    c.rounds.invalidate_nonce(a.address, 5)  # revoke a signed order never relayed
    assert "NonceAlreadyUsed" in skipped(c, s.cm, [late])
    book = c.rounds.order_book(round_id)
    assert len(book.records) == 4
    effective = book.effective()
    assert list(effective) == [a.address]
    assert effective[a.address].payload == payload(seed=2)
    assert effective[a.address].order.payload_hash == keccak(payload(seed=2))


def test_pause_stops_rounds_and_orders(setup: Setup) -> None:
    s, c = setup, setup.community
    round_id = open_round(s)
    with pytest.raises(ChainError, match="AccessControlUnauthorizedAccount"):
        c.registry.pause(s.cm)
    c.registry.pause(s.roles.pauser)
    with pytest.raises(ChainError, match="CommunityPaused"):
        open_round(s)
    with pytest.raises(ChainError, match="CommunityPaused"):
        c.rounds.relay_orders(s.cm, [signed_order(c, s.peers[0], round_id, 1, s.now() + 3600, payload())])
    c.registry.unpause(s.roles.pauser)
    c.rounds.relay_orders(s.cm, [signed_order(c, s.peers[0], round_id, 1, s.now() + 3600, payload())])


def test_order_problems_predicts_rejections(setup: Setup) -> None:
    s, c = setup, setup.community
    round_id = open_round(s)
    deadline = s.now() + 3600
    good = signed_order(c, s.peers[0], round_id, 1, deadline, payload())
    replay = signed_order(c, s.peers[0], round_id, 1, deadline, payload(seed=2))
    forged = dataclasses.replace(
        signed_order(c, s.peers[1], round_id, 1, deadline, payload()), signature=good.signature
    )
    expired = signed_order(c, s.peers[2], round_id, 1, s.now() - 5, payload())
    problems = c.rounds.order_problems([good, replay, forged, expired], c.registry)
    assert problems[0] is None
    assert "nonce 1 is not above" in str(problems[1])
    assert "signature" in str(problems[2])
    assert "deadline" in str(problems[3])
    c.rounds.relay_orders(
        s.cm, [o for o, p in zip([good, replay, forged, expired], problems, strict=True) if p is None]
    )
