"""The example neighbour of docker-compose.yml: submits the document's GraphQL job to the mock
by service name, with a webhookUrl pointing back at itself, and verifies the signed delivery.

It keeps serving afterwards and logs every delivery it gets, so you can watch it work.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import httpx

from mockserver import WebhookReceiver

MOCK_URL = os.environ.get("MOCK_URL", "http://mock:8080")
API_KEY = os.environ.get("API_KEY", "YOUR_API_KEY")
SECRET = os.environ.get("WEBHOOK_SECRET", "whsec_your_api_key")
WEBHOOK_URL = os.environ.get("WEBHOOK_URL", "http://app:9000/webhook")

QUERY = "mutation Generate($input: GenerateInput!) { generate(input: $input) { id status type provider url metadata creditCost } }"


def log(message: str) -> None:
    print(f"app: {message}", flush=True)


def wait_for_mock(timeout: float = 120) -> None:
    """podman-compose does not wait for service_healthy, so check ourselves."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{MOCK_URL}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"app: the mock at {MOCK_URL} never became healthy")


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # PID 1 in its container
    receiver = WebhookReceiver(secret=SECRET, host="0.0.0.0")
    receiver.port = int(WEBHOOK_URL.rsplit(":", 1)[1].split("/")[0])
    receiver.start()
    wait_for_mock()
    variables = {
        "input": {
            "type": "AVATAR",
            "provider": "hedra",
            "input": {"text": "Hello from the neighbouring container!", "avatarId": "professional-1"},
            "options": {"voice": "en-US-neural", "webhookUrl": WEBHOOK_URL},
        }
    }
    r = httpx.post(f"{MOCK_URL}/graphql", json={"query": QUERY, "variables": variables},
                   headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30)
    job = r.json()["data"]["generate"]
    log(f"submitted job {job['id']} ({job['status']}, {job['creditCost']} credits)")
    delivery = receiver.wait(timeout=300)
    state = "verified" if delivery.verified else "NOT verified"
    log(f"webhook {state}: job {delivery.json['id']} {delivery.json['status']} {delivery.json['url']}")
    seen = 1
    while True:
        delivery = receiver.wait(timeout=10**9, count=seen + 1)
        seen += 1
        log(f"webhook {'verified' if delivery.verified else 'NOT verified'}: job {delivery.json['id']} {delivery.json['status']}")


if __name__ == "__main__":
    main()
