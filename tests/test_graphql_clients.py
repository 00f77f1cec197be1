"""GraphQL clients no one here wrote, from the npm registry, against a real server: what the
application sees of an error must be the error, with its extensions, not a transport failure."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from helpers import REPO, api_key

pytestmark = pytest.mark.integration

CLIENTS = REPO / "tests" / "clients"
PACKAGES = ["@apollo/client@4", "graphql@16", "rxjs@7", "@urql/core@6", "graphql-ws@6", "subscriptions-transport-ws@0.11", "ws@8"]


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run Apollo Client and urql")
    root = tmp_path_factory.mktemp("npm")
    (root / "package.json").write_text('{"name": "clients", "private": true, "type": "module"}')
    installed = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", *PACKAGES], cwd=root, capture_output=True, text=True, timeout=300
    )
    if installed.returncode != 0:
        pytest.skip(f"npm could not install {' '.join(PACKAGES)}: {installed.stderr.strip()[-300:]}")
    for script in CLIENTS.glob("*.mjs"):
        shutil.copy(script, root)
    return root


@pytest.fixture(scope="module")
def server(server_factory):
    return server_factory("--no-render", "--no-access-log", "--speed", "10")


def run_clients(node_modules: Path, server, key: str, **input: str) -> dict:
    out = subprocess.run(
        ["node", "graphql_errors.mjs", server.graphql_url, key, json.dumps({"service": "hedra", "avatarId": "professional-1", **input})],
        cwd=node_modules, capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(out.stdout)


def test_apollo_and_urql_read_a_402_with_its_credit_figures(node_modules, server):
    seen = run_clients(node_modules, server, "test-broke", text=" ".join(["word"] * 75))
    for client in ("apollo", "urql"):
        assert seen[client] == {
            "kind": "graphql", "code": "INSUFFICIENT_CREDITS", "message": "Insufficient credits for this operation",
            "extensions": {"creditsRequired": 100, "creditsAvailable": 50},
        }, client


def test_apollo_and_urql_read_a_429_with_its_retry_after(node_modules, server):
    key = httpx.post(f"{server.base_url}/_mock/accounts", json={"plan": "free"}).json()["key"]
    first = httpx.post(f"{server.base_url}/v1/avatar", json={"service": "hedra", "text": "[slow] hi", "avatarId": "casual-1"}, headers=api_key(key))
    assert first.status_code == 200  # the one job a Free key may have in flight (slow: it stays there)
    seen = run_clients(node_modules, server, key, text="hi")
    for client in ("apollo", "urql"):
        assert seen[client]["kind"] == "graphql" and seen[client]["code"] == "CONCURRENCY_LIMIT_EXCEEDED", seen[client]
        assert seen[client]["extensions"]["limit"] == 1 and seen[client]["extensions"]["retryAfter"] > 0


def test_apollo_and_urql_read_a_400_naming_the_field(node_modules, server):
    seen = run_clients(node_modules, server, "test-pro", text="hi", avatarId="nope")
    for client in ("apollo", "urql"):
        assert seen[client]["kind"] == "graphql" and seen[client]["code"] == "BAD_USER_INPUT", seen[client]
        assert seen[client]["extensions"] == {"field": "avatarId"}


def test_a_client_that_does_not_ask_gets_the_documents_application_json(server):
    r = httpx.post(server.graphql_url, json={"query": "{ account { id } }"}, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.headers["content-type"] == "application/json"
    r = httpx.post(server.graphql_url, json={"query": "{ account { id } }"},
                   headers={"Authorization": "Bearer nope", "Accept": "application/graphql-response+json, application/json;q=0.9"})
    assert r.status_code == 401 and r.headers["content-type"] == "application/graphql-response+json"
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_both_websocket_protocols_client_libraries_follow_a_job_and_a_plain_socket_is_told_why(node_modules, server):
    key = httpx.post(f"{server.base_url}/_mock/accounts", json={"clock": "own"}).json()["key"]
    r = httpx.post(f"{server.base_url}/v1/avatar", json={"service": "hedra", "text": "hi", "avatarId": "casual-1"},
                   headers=api_key(key))
    job_id = r.json()["data"]["avatar"]["id"]
    ws_url = server.base_url.replace("http://", "ws://") + "/graphql"
    advance_url = f"{server.base_url}/_mock/accounts/{key}/clock/advance"
    out = subprocess.run(["node", "subscriptions.mjs", ws_url, key, job_id, advance_url], cwd=node_modules,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    for library in ("legacy", "modern"):  # subscriptions-transport-ws and graphql-ws
        assert seen[library][-1] == "completed" and "processing" in seen[library], (library, seen[library])
    assert seen["plain"]["code"] == 4406 and "graphql-transport-ws or graphql-ws" in seen["plain"]["reason"]
