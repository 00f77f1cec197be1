"""The webhook receiver that tests (ours and users') pass as webhookUrl."""

from __future__ import annotations

import threading

import httpx
import pytest

from mockserver import sign


def post(receiver, body: bytes = b'{"id": "j1"}', secret: str = "s3cret") -> httpx.Response:
    return httpx.post(receiver.url, content=body, headers={"X-Doitong-Signature": sign(secret, body)})


def test_wait_returns_a_delivery_that_arrived_before_the_call(receiver):
    receiver.secret = "s3cret"
    post(receiver, b'{"id": "early"}')
    assert receiver.wait(timeout=1).json == {"id": "early"}


def test_wait_hands_out_each_delivery_once_in_order(receiver):
    post(receiver, b'{"n": 1}')
    post(receiver, b'{"n": 2}')
    assert [receiver.wait(timeout=1).json["n"] for _ in range(2)] == [1, 2]
    with pytest.raises(TimeoutError, match="delivery #3; got 2"):
        receiver.wait(timeout=0.2)


def test_wait_blocks_until_a_later_delivery_arrives(receiver):
    threading.Timer(0.2, post, args=(receiver, b'{"late": true}')).start()
    assert receiver.wait(timeout=5).json == {"late": True}


def test_signatures_are_checked_with_the_receivers_secret(receiver):
    receiver.secret = "s3cret"
    post(receiver, secret="s3cret")
    post(receiver, secret="someone-else")
    assert [d.verified for d in receiver.deliveries] == [True, False]


def test_scripted_statuses_answer_in_order_then_the_default(receiver):
    receiver.respond_with(500, 503, then=204)
    assert [post(receiver).status_code for _ in range(4)] == [500, 503, 204, 204]
