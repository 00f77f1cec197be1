"""The Dockerfile and docker-compose.yml, for real, with podman (skipped where it is absent).

The image is built on `PYTHON_IMAGE` (the Dockerfile's default, python:3.12-slim, unless the
environment names another, e.g. a local image where no registry is reachable): pulled if it is
not there yet, and the tests skip, saying so, if it cannot be.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from helpers import free_port

REPO = Path(__file__).resolve().parent.parent
DEFAULT_IMAGE = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", (REPO / "Dockerfile").read_text(), re.M).group(1)
BASE_IMAGE = os.environ.get("PYTHON_IMAGE") or DEFAULT_IMAGE
PROJECT = "doitongmocktest"
NETWORK = "doitongmocktest-net"  # DOITONG_MOCK_NETWORK: not the README's doitong-mock, which a developer may have up


def _missing() -> str | None:
    """Why the container tests cannot run here, or None."""
    if not (shutil.which("podman") and shutil.which("podman-compose")):
        return "podman and podman-compose are needed for the container tests"
    if subprocess.run(["podman", "image", "exists", BASE_IMAGE], capture_output=True).returncode == 0:
        return None
    try:
        pulled = subprocess.run(["podman", "pull", "-q", BASE_IMAGE], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return f"the base image {BASE_IMAGE} could not be pulled within 5 minutes"
    if pulled.returncode != 0:
        return (f"the base image {BASE_IMAGE} is not here and could not be pulled; set PYTHON_IMAGE to a local "
                "image with Python 3.11+ (README: Building offline)")
    return None


pytestmark = pytest.mark.container


@pytest.fixture(scope="module", autouse=True)
def base_image() -> str:
    """Asked only when these tests are selected: a pull must not slow the collection of others."""
    missing = _missing()
    if missing is not None:
        pytest.skip(missing)
    return BASE_IMAGE


def run(*args: str, env: dict, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def container(service: str, env: dict) -> str:
    names = run("podman", "ps", "-a", "--filter", f"label=io.podman.compose.project={PROJECT}",
                "--filter", f"label=com.docker.compose.service={service}", "--format", "{{.Names}}", env=env).stdout.split()
    assert names, f"no {service} container"
    return names[0]


@pytest.fixture(scope="module")
def compose():
    port = free_port()
    env = {**os.environ, "PYTHON_IMAGE": BASE_IMAGE, "BUILDAH_FORMAT": "docker",
           "DOITONG_MOCK_HOST_PORT": str(port), "DOITONG_MOCK_SPEED": "10", "DOITONG_MOCK_NETWORK": NETWORK}
    env.pop("DOITONG_MOCK_HOST_IP", None)  # the default binding is under test
    compose = ["podman-compose", "-p", PROJECT, "-f", "docker-compose.yml"]
    run(*compose, "down", "-t", "1", env=env, check=False)
    for network in (NETWORK, f"{PROJECT}_default"):  # the latter: what runs before the network had a name left
        run("podman", "network", "rm", network, env=env, check=False)
    # podman-compose's own build drops HEALTHCHECK (OCI format); build the image it will use directly.
    run("podman", "build", "--format", "docker", "--build-arg", f"PYTHON_IMAGE={BASE_IMAGE}",
        "-t", "doitong-mock:local", ".", env=env, timeout=1200)
    run(*compose, "up", "-d", env=env, timeout=300)
    try:
        yield port, env
    finally:
        names = run("podman", "ps", "-a", "--filter", f"label=io.podman.compose.project={PROJECT}",
                    "--filter", "label=com.docker.compose.service=mock", "--format", "{{.Names}}", env=env, check=False)
        for name in names.stdout.split():
            logs = run("podman", "logs", name, env=env, check=False)
            print(logs.stdout[-2000:], logs.stderr[-2000:])
        run(*compose, "down", "-t", "1", env=env, check=False, timeout=120)
        run("podman", "network", "rm", NETWORK, env=env, check=False)


def test_the_image_has_a_health_check_a_non_root_user_and_the_console_script(compose):
    _, env = compose
    inspected = json.loads(run("podman", "image", "inspect", "doitong-mock:local", env=env).stdout)[0]
    config = inspected["Config"]
    assert config["User"] == "mock"
    assert config["Entrypoint"] == ["doitong-mock"]
    healthcheck = inspected.get("Healthcheck") or config.get("Healthcheck") or {}
    assert healthcheck.get("Test") == ["CMD", "python3", "-m", "mockserver.healthcheck"]


def test_compose_serves_the_documents_snippet_and_delivers_a_webhook_to_its_neighbour(compose):
    port, env = compose
    mock = container("mock", env)
    deadline = time.monotonic() + 120
    while run("podman", "healthcheck", "run", mock, env=env, check=False).returncode != 0:
        assert time.monotonic() < deadline, "the mock never became healthy"
        time.sleep(1)
    snippet = (REPO / "tests" / "snippets" / "curl.sh").read_text().replace("https://api.doitong.com", f"http://127.0.0.1:{port}")
    out = subprocess.run(["bash", "-c", snippet], capture_output=True, text=True, timeout=60, check=True).stdout
    job = json.loads(out)["data"]["generate"]
    assert job["status"] == "processing" and job["provider"] == "hedra"
    app = container("app", env)
    deadline = time.monotonic() + 180
    while True:
        logs = run("podman", "logs", app, env=env, check=False)
        text = logs.stdout + logs.stderr
        if "webhook verified" in text:
            break
        assert "NOT verified" not in text, text
        assert time.monotonic() < deadline, f"the neighbour got no webhook:\n{text}"
        time.sleep(1)
    assert "submitted job" in text and "completed" in text
    assert_subscriptions_work(port, job["id"])


def test_a_page_rebound_to_the_published_port_gets_no_keys_or_secrets(compose):
    """The README's set-up: the port published on the host's loopback, no admin token. A page on
    attacker.example that rebinds its name to 127.0.0.1 reaches the mock as same-origin."""
    port, _ = compose
    deadline = time.monotonic() + 120
    while not reachable("127.0.0.1", port) or httpx.get(f"http://127.0.0.1:{port}/healthz").status_code != 200:
        assert time.monotonic() < deadline, "the mock never answered"
        time.sleep(1)
    r = httpx.get(f"http://127.0.0.1:{port}/_mock/accounts", headers={"Host": f"attacker.example:{port}"})
    assert r.status_code == 403 and "whsec_" not in r.text
    assert httpx.get(f"http://localhost:{port}/_mock/accounts").status_code == 200


def assert_subscriptions_work(port: int, job_id: str) -> None:
    """The image has only the runtime dependencies: live updates must work with those alone."""
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer YOUR_API_KEY"}}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
        query = "subscription S($id: ID!) { generationUpdated(id: $id) { id status } }"
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": job_id}}}))
        first = json.loads(ws.recv(timeout=10))
        assert first["type"] == "next" and first["payload"]["data"]["generationUpdated"]["id"] == job_id


def outside_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (and podman's own bridges)."""
    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    addresses = [line.split()[3].split("/")[0] for line in out.splitlines() if len(line.split()) > 3]
    return [a for a in addresses if not a.startswith("127.") and not a.startswith(("10.88.", "10.89."))]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def test_the_port_is_published_on_loopback_only(compose):
    port, env = compose
    mock = container("mock", env)
    bindings = json.loads(run("podman", "inspect", mock, env=env).stdout)[0]["HostConfig"]["PortBindings"]
    assert bindings == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
    assert run("podman", "port", mock, env=env).stdout.split() == ["8080/tcp", "->", f"127.0.0.1:{port}"]
    assert reachable("127.0.0.1", port)
    # Told where it is published (--published-on from DOITONG_MOCK_HOST_IP), the mock does not warn
    # that /_mock is open to other machines: it is not.
    logs = run("podman", "logs", mock, env=env)
    assert "listening on http://0.0.0.0:8080" in logs.stdout + logs.stderr
    assert "admin-token" not in logs.stdout + logs.stderr
    others = outside_addresses()
    if not others:
        pytest.skip("this machine has no address but loopback to try from")
    for address in others:
        assert not reachable(address, port), f"the mock answers on {address}:{port}"


def test_the_mock_stops_promptly_on_sigterm_as_pid_1(compose):
    _, env = compose
    mock = container("mock", env)
    run("podman", "stop", "-t", "20", mock, env=env)
    state = json.loads(run("podman", "inspect", mock, env=env).stdout)[0]["State"]
    # Exit code 0, not 137: podman did not have to SIGKILL it after its 20 s (whatever the load).
    assert state["ExitCode"] == 0, "SIGTERM was ignored and podman had to SIGKILL the server"


def test_down_as_the_readme_says_leaves_no_container_or_network_behind(compose):
    """Last in this file: the README's commands for podman, `podman-compose down`, then
    `podman network rm` of the named network (podman-compose 1.0.3 leaves it behind)."""
    _, env = compose
    assert run("podman", "network", "exists", NETWORK, env=env, check=False).returncode == 0  # named as configured
    compose_cmd = ["podman-compose", "-p", PROJECT, "-f", "docker-compose.yml"]
    run(*compose_cmd, "down", "-t", "1", env=env, timeout=120)
    if run("podman", "network", "exists", NETWORK, env=env, check=False).returncode == 0:
        run("podman", "network", "rm", NETWORK, env=env)
    left = run("podman", "ps", "-a", "--filter", f"label=io.podman.compose.project={PROJECT}", "--format", "{{.Names}}", env=env)
    assert left.stdout.split() == []
    assert run("podman", "network", "exists", NETWORK, env=env, check=False).returncode != 0
    networks = run("podman", "network", "ls", "--filter", f"label=io.podman.compose.project={PROJECT}", "--format", "{{.Name}}", env=env)
    assert networks.stdout.split() == []
    pods = run("podman", "pod", "ls", "--filter", f"label=io.podman.compose.project={PROJECT}", "--format", "{{.Name}}", env=env)
    assert pods.stdout.split() == []
