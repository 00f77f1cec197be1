"""Where webhooks may go and what a receiver can do to the mock, tried as a tenant with a valid key
and bad intent (or a careless CI system) would: every scenario here got through before it was fixed."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from mockserver import Settings, WebhookReceiver, create_app
from mockserver.testing.receiver import ReceiverHub
from mockserver.testing.threaded_server import ThreadedServer

from helpers import advance, api_key, bearer

BODY = {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1"}
GENERATE = "mutation G($input: GenerateInput!) { generate(input: $input) { id } }"
MiB = 1024 * 1024


def submit(client: httpx.Client, key: str, url: str, **extra: object) -> httpx.Response:
    return client.post("/v1/avatar", json={**BODY, "webhookUrl": url, **extra}, headers=api_key(key))


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident size so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for process {pid}")


def wait_for_attempts(client: httpx.Client, delivery_id: str, attempts: int = 1) -> dict:
    """The delivery once the mock has recorded `attempts` of its attempts."""
    r = client.get(f"/_mock/deliveries/{delivery_id}", params={"attempts": attempts, "wait": 60})
    assert r.status_code == 200, r.text
    delivery = r.json()
    assert len(delivery["attempts"]) >= attempts, delivery
    return delivery


def deliveries_of(client: httpx.Client, key: str) -> list[dict]:
    return client.get("/_mock/deliveries", params={"account": key}).json()["deliveries"]


class RawReceivers:
    """Receivers written with bare sockets, so that they can answer as no HTTP server would: each
    connection is handed to `behave(connection, index)` on a thread of its own."""

    def __init__(self, count: int, behave: Callable[[socket.socket, int], None]) -> None:
        self.behave = behave
        self.stop = threading.Event()
        self.listeners = []
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(256)
            s.settimeout(0.2)
            self.listeners.append(s)
        for i, s in enumerate(self.listeners):
            threading.Thread(target=self._accept, args=(s, i), daemon=True).start()

    def url(self, i: int = 0, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.listeners[i].getsockname()[1]}{path}"

    @property
    def port(self) -> int:
        return self.listeners[0].getsockname()[1]

    def _accept(self, listener: socket.socket, index: int) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, index), daemon=True).start()

    def _serve(self, conn: socket.socket, index: int) -> None:
        with conn:
            try:
                read_request(conn)
                self.behave(conn, index)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        for s in self.listeners:
            s.close()


def read_request(conn: socket.socket) -> bytes:
    """One request's head and (Content-Length) body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head


# 1. A receiver's answer is read whole into memory (and inflated).

ENDLESS_LIMIT = 64 * MiB  # endless as far as the mock can tell; bounded so the test host survives a regression


@pytest.mark.integration
def test_an_endless_answer_or_a_gzip_bomb_leaves_the_mocks_peak_memory_where_it_was(server_factory, receiver):
    server = server_factory("--speed", "instant", "--no-render", "--no-access-log", "--webhook-attempts", "1",
                            "--webhook-timeout", "30")
    pid = server.process.pid
    sent_before_hang_up: list[int] = []
    block = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(block.compress(bytes(MiB)) for _ in range(ENDLESS_LIMIT // MiB)) + block.flush()

    def endless(conn: socket.socket, _: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
        sent = 0
        try:
            while sent < ENDLESS_LIMIT:
                conn.sendall(chunk)
                sent += 0x10000
        finally:
            sent_before_hang_up.append(sent)

    def gzip_bomb(conn: socket.socket, _: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(bomb) + bomb)

    healthz: list[int | str] = []
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=server.base_url, timeout=30) as c:
            while True:  # at least once after the hostile attempts ended
                stop = done.is_set()
                try:
                    healthz.append(c.get("/healthz").status_code)
                except httpx.HTTPError as exc:
                    healthz.append(repr(exc))
                if stop:
                    return

    endless_receivers, bombs = RawReceivers(2, endless), RawReceivers(2, gzip_bomb)
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            # Warm up: the webhook client exists and has delivered once before the baseline.
            warm = submit(client, "test-pro", receiver.url).json()["data"]["avatar"]["id"]
            [delivery] = client.get(f"/_mock/jobs/{warm}/deliveries").json()["deliveries"]
            assert wait_for_attempts(client, delivery["id"])["state"] == "delivered"
            baseline = peak_rss_mib(pid)
            prober = threading.Thread(target=probe)
            prober.start()
            jobs = [submit(client, "test-enterprise", hostile.url(i), text=f"hostile {n}").json()["data"]["avatar"]["id"]
                    for hostile in (endless_receivers, bombs) for i in range(2) for n in range(2)]
            ids = [d["id"] for job in jobs for d in client.get(f"/_mock/jobs/{job}/deliveries").json()["deliveries"]]
            attempts = [wait_for_attempts(client, i)["attempts"][0] for i in ids]
            done.set()
            prober.join()
            peak = peak_rss_mib(pid)
    finally:
        done.set()
        endless_receivers.close()
        bombs.close()
    assert peak - baseline < 32, f"peak resident size grew {peak - baseline:.0f} MiB (from {baseline:.0f} MiB)"
    # The status is what counts: every hostile receiver answered 200, and that was read.
    assert [a["statusCode"] for a in attempts] == [200] * 8, attempts
    assert sent_before_hang_up and max(sent_before_hang_up) < ENDLESS_LIMIT // 2, sent_before_hang_up
    assert healthz and set(healthz) == {200}, healthz[:5]


# 3, 12. One parser for addresses: the guard and the client read a URL alike.

# The metadata service as an address or a name; then spelt as no URL host may be (a C library's
# shorthand for IPv4, full-width dots, a trailing dot), which is refused before anything else.
METADATA_SPELLINGS = [
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://[0:0:0:0:0:FFFF:A9FE:A9FE]/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[FD00:0EC2:0:0::0254]/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://Metadata.Google.Internal:80/computeMetadata/v1/",
    "http://metadata/computeMetadata/v1/",
    "http://100.100.100.200/latest/meta-data/",
    "http://[::ffff:6464:64c8]/latest/meta-data/",
]
UNWRITABLE_METADATA_SPELLINGS = [
    "http://2852039166/latest/meta-data/",
    "http://0xa9fea9fe/latest/meta-data/",
    "http://169.254.43518/latest/meta-data/",
    "http://169。254。169。254/latest/meta-data/",
    "http://169．254．169．254/latest/meta-data/",
    "http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/",
]


async def submit_both_ways(client: httpx.AsyncClient, url: str) -> list[httpx.Response]:
    """The URL given on REST and on GraphQL."""
    rest = await client.post("/v1/avatar", json={**BODY, "webhookUrl": url}, headers=api_key())
    variables = {"input": {"type": "AVATAR", "provider": "hedra", "input": {"text": "Hi there.", "avatarId": "professional-1"},
                           "webhookUrl": url}}
    graphql = await client.post("/graphql", json={"query": GENERATE, "variables": variables}, headers=bearer())
    return [rest, graphql]


def assert_refused(responses: list[httpx.Response], *fragments: str) -> None:
    """Each a 400 naming webhookUrl, whose message holds every fragment."""
    for r in responses:
        assert r.status_code == 400, r.text
        error = r.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["field"].rsplit(".", 1)[-1] == "webhookUrl", error
        for fragment in fragments:
            assert fragment in error["message"], error


@pytest.mark.anyio
@pytest.mark.parametrize("url", METADATA_SPELLINGS)
async def test_the_metadata_service_in_any_spelling_is_refused_at_submission(client, url):
    assert_refused(await submit_both_ways(client, url), "metadata", "--webhook-allow")
    listed = await client.get("/v1/avatar", headers=api_key())
    assert listed.json()["data"]["totalCount"] == 0


@pytest.mark.anyio
@pytest.mark.parametrize("url", UNWRITABLE_METADATA_SPELLINGS)
async def test_the_metadata_service_spelt_as_no_host_may_be_is_refused_at_submission(client, url):
    assert_refused(await submit_both_ways(client, url))
    assert (await client.get("/v1/avatar", headers=api_key())).json()["data"]["totalCount"] == 0


@pytest.mark.anyio
@pytest.mark.parametrize("url,reason", [
    ("http://0251.0376.0251.0376/latest/meta-data/", "IPv4"),
    ("http://☃-.example/hook", "ASCII"),
    ("http://hooks\x7f.example/", "ASCII"),
    ("http://exa mple.example/hook", "ASCII"),
    ("http://%68ooks.example/hook", "host"),
    ("http://[::1%25lo]:9000/hook", "host"),
])
async def test_a_webhook_url_the_client_cannot_use_is_a_400_naming_the_field(client, url, reason):
    assert_refused(await submit_both_ways(client, url), reason)
    assert (await client.get("/v1/avatar", headers=api_key())).json()["data"]["totalCount"] == 0


@pytest.mark.anyio
@pytest.mark.parametrize("allow,url", [
    ("169.254.169.254", "http://169.254.169.254/latest/meta-data/"),
    ("metadata.google.internal", "http://metadata.google.internal/computeMetadata/v1/"),
])
async def test_an_operator_can_still_name_the_metadata_service_in_webhook_allow(allow, url):
    app = create_app(Settings(speed="instant", seed=2, render=False, webhook_allow=allow, webhook_attempts=1))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        r = await client.post("/v1/avatar", json={**BODY, "webhookUrl": url}, headers=api_key())
        assert r.status_code == 200, r.text
    await app.state.runtime.close()


@pytest.mark.anyio
async def test_a_wildcard_in_webhook_allow_does_not_open_the_metadata_service():
    app = create_app(Settings(speed="instant", seed=2, render=False, webhook_allow="*"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        assert_refused(await submit_both_ways(client, "http://169.254.169.254/latest/meta-data/"), "metadata")
    await app.state.runtime.close()


@pytest.fixture(scope="module")
def server(server_factory):
    return server_factory("--speed", "instant", "--no-render", "--no-access-log")


@pytest.mark.integration
@pytest.mark.parametrize("host", ["127。0。0。1", "127．0．0．1", "127｡0｡0｡1"])
def test_full_width_dots_do_not_reach_the_mock_itself(server, host):
    port = server.base_url.rsplit(":", 1)[1]
    with httpx.Client(base_url=server.base_url) as client:
        for path in ("/v1/avatar", "/"):
            r = submit(client, "test-pro", f"http://{host}:{port}{path}")
            assert r.status_code == 400, (host, path, r.text)
            assert r.json()["errors"][0]["extensions"]["field"] == "webhookUrl"


def loopback_alias() -> str | None:
    """A name this machine's hosts file gives the loopback address, other than `localhost` and
    the machine's own name (which the mock knows without resolving anything)."""
    try:
        lines = Path("/etc/hosts").read_text().splitlines()
    except OSError:
        return None
    own = {"localhost", socket.gethostname().lower()}
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            loopback = ipaddress.ip_address(fields[0]).is_loopback
        except ValueError:
            continue
        for name in fields[1:]:
            if loopback and name.lower() not in own and not name.lower().endswith(".localhost"):
                return name
    return None


@pytest.mark.integration
def test_a_name_that_resolves_to_the_mock_at_delivery_time_is_refused_then_and_never_connected(server):
    """The guard at submission cannot know where a name will resolve (DNS can change before the
    attempt: rebinding): each attempt resolves it, checks every address and connects only to one
    it checked."""
    alias = loopback_alias()
    if alias is None:
        pytest.skip("this machine's /etc/hosts names the loopback address only as localhost or its own name")
    port = server.base_url.rsplit(":", 1)[1]
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        r = submit(client, "test-pro", f"http://{alias}:{port}/v1/avatar")
        assert r.status_code == 200, r.text  # a name: nothing says where it leads until it is resolved
        [delivery] = client.get(f"/_mock/jobs/{r.json()['data']['avatar']['id']}/deliveries").json()["deliveries"]
        [attempt, *_] = wait_for_attempts(client, delivery["id"])["attempts"]
    assert attempt["statusCode"] is None and "itself" in attempt["error"], attempt
    assert attempt["headers"] == {}, attempt  # nothing was sent


# 14. The per-destination cap is bypassed by spelling one receiver six ways.

SIX_SPELLINGS = ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:7f00:1]",
                 "[::FFFF:7F00:0001]"]


@pytest.mark.integration
def test_one_receiver_spelled_six_ways_gets_at_most_16_connections_at_once(server_factory):
    server = server_factory("--speed", "instant", "--no-render", "--no-access-log", "--webhook-attempts", "1",
                            "--webhook-timeout", "30")
    lock = threading.Lock()
    open_now = [0]
    most = [0]

    def hold_then_answer(conn: socket.socket, _: int) -> None:
        with lock:
            open_now[0] += 1
            most[0] = max(most[0], open_now[0])
        try:
            time.sleep(0.3)  # the scenario: each answer takes a while, so attempts pile up
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        finally:
            with lock:
                open_now[0] -= 1

    shared = RawReceivers(1, hold_then_answer)
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            jobs = [submit(client, key, f"http://{host}:{shared.port}/hook", text=f"spelled {n}").json()["data"]["avatar"]["id"]
                    for key in ("test-pro", "test-enterprise") for host in SIX_SPELLINGS for n in range(5)]
            ids = [d["id"] for job in jobs for d in client.get(f"/_mock/jobs/{job}/deliveries").json()["deliveries"]]
            states = [wait_for_attempts(client, i)["state"] for i in ids]
    finally:
        shared.close()
        server.stop()
    assert states == ["delivered"] * 60, states
    assert most[0] <= 16, f"{most[0]} connections at once to one receiver"


# 9. Webhook isolation between tenants that share a receiver host, and once a receiver was slow.

@pytest.mark.integration
def test_tenants_sharing_a_receiver_host_do_not_wait_behind_each_others_paths(server_factory):
    """A's receiver at /webhook/noheaders takes its time (25 s) on every delivery; B's at
    /webhook/ok answers at once, on the same host and port: B gets all of its deliveries before
    any of A's has been answered."""
    server = server_factory("--speed", "instant", "--no-render", "--no-access-log", "--webhook-attempts", "1",
                            "--webhook-timeout", "60")
    hub = ReceiverHub().start()
    slow, ok = WebhookReceiver(path="/webhook/noheaders"), WebhookReceiver(path="/webhook/ok")
    hub.attach(slow)
    hub.attach(ok)
    slow.hang(25)
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            for i in range(40):
                assert submit(client, "test-enterprise", f"{slow.url}/{i}", text=f"a {i}").status_code == 200
            for i in range(5):
                assert submit(client, "test-pro", f"{ok.url}/{i}", text=f"b {i}").status_code == 200
            ok.wait(timeout=60, count=5)
            answered_to_a = len(slow.deliveries)
            assert slow.in_flight > 0  # A's attempts were going on all the while
    finally:
        server.stop()
        hub.stop()
    assert answered_to_a == 0, "B waited for A's deliveries to the same host"


class SilentReceivers(RawReceivers):
    """Receivers that take the request and never answer."""

    def __init__(self, count: int) -> None:
        super().__init__(count, lambda conn, _: conn.recv(1))  # until the mock hangs up


@pytest.mark.integration
def test_a_receiver_that_was_slow_once_does_not_wait_behind_another_tenants_silent_hosts(server_factory, receiver):
    """B's receiver was slow once (its next deliveries go to the slow lane); A has hundreds of
    deliveries to silent hosts in that lane. B's next deliveries must not queue behind A's: A's
    volume decides how long A waits, never how long B does."""
    server = server_factory("--speed", "instant", "--no-render", "--no-access-log", "--webhook-attempts", "1",
                            "--webhook-timeout", "4")
    silent = SilentReceivers(40)
    receiver.hang(3, count=1)  # over half the 4 s deadline: slow
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            first_b = submit(client, "test-pro", receiver.url, text="b slow once").json()["data"]["avatar"]["id"]
            a_jobs = [submit(client, "test-enterprise", silent.url(i), text=f"a {i} {n}").json()["data"]["avatar"]["id"]
                      for n in range(10) for i in range(40)]
            [b_delivery] = client.get(f"/_mock/jobs/{first_b}/deliveries").json()["deliveries"]
            assert wait_for_attempts(client, b_delivery["id"])["state"] == "delivered"
            # A's silent hosts have each timed out once: what A has left waits in the slow lane.
            [a_first] = client.get(f"/_mock/jobs/{a_jobs[0]}/deliveries").json()["deliveries"]
            wait_for_attempts(client, a_first["id"])
            ended_before = sum(len(d["attempts"]) for d in deliveries_of(client, "test-enterprise"))
            for i in range(5):
                assert submit(client, "test-pro", receiver.url, text=f"b {i}").status_code == 200
            receiver.wait(timeout=120, count=6)
            ended_meanwhile = sum(len(d["attempts"]) for d in deliveries_of(client, "test-enterprise")) - ended_before
    finally:
        silent.close()
        server.stop()
    # Waiting in line would have taken (A's ~360 queued attempts / 32 slots) deadlines of 4 s.
    assert ended_meanwhile <= 40, f"B's deliveries waited while {ended_meanwhile} of A's attempts ended"


# 5. --max-deliveries: one tenant's volume evicts another's pending retry.

def capped_app(max_deliveries: int):
    """A first retry a day after the first attempt: what fills the log meanwhile decides whether
    the retry still happens."""
    return create_app(Settings(clock="virtual", seed=6, render=False, max_deliveries=max_deliveries, webhook_attempts=4,
                               webhook_first_retry=86_400))


@pytest.fixture
def receivers() -> Iterator[tuple[WebhookReceiver, WebhookReceiver]]:
    hub = ReceiverHub().start()
    try:
        yield hub.open(), hub.open()
    finally:
        hub.stop()


async def delivery_for(client: httpx.AsyncClient, job_id: str) -> dict:
    [delivery] = (await client.get(f"/_mock/jobs/{job_id}/deliveries")).json()["deliveries"]
    return delivery


@pytest.mark.anyio
async def test_one_tenants_volume_never_evicts_another_tenants_pending_retry(receivers):
    b_receiver, a_receiver = receivers
    b_receiver.respond_with(500)  # then 200: B's delivery needs its retry
    app = capped_app(10)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        r = await client.post("/v1/avatar", json={**BODY, "webhookUrl": b_receiver.url}, headers=api_key("test-pro"))
        b_job = r.json()["data"]["avatar"]["id"]
        await advance(client, 3600)
        assert (await delivery_for(client, b_job))["state"] == "pending"
        for i in range(30):  # A fills the log three times over
            r = await client.post("/v1/avatar", json={**BODY, "text": f"a {i}", "webhookUrl": a_receiver.url}, headers=api_key("test-enterprise"))
            assert r.status_code == 200
        await advance(client, 3600)
        assert len(a_receiver.deliveries) == 30
        await advance(client, 2 * 86_400)  # B's retry falls due
        kept = (await client.get("/_mock/deliveries")).json()["deliveries"]
        b_delivery = await delivery_for(client, b_job)
    await app.state.runtime.close()
    assert [got.status for got in b_receiver.deliveries] == [500, 200]
    assert b_delivery["state"] == "delivered" and len(b_delivery["attempts"]) == 2
    assert len(kept) == 10  # the global bound holds


@pytest.mark.anyio
async def test_an_accounts_finished_deliveries_leave_the_log_before_its_pending_one(receivers):
    failing, fine = receivers
    failing.respond_with(500)
    app = capped_app(3)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
        r = await client.post("/v1/avatar", json={**BODY, "webhookUrl": failing.url}, headers=api_key("test-pro"))
        pending_job = r.json()["data"]["avatar"]["id"]
        await advance(client, 3600)
        for i in range(5):
            r = await client.post("/v1/avatar", json={**BODY, "text": f"fine {i}", "webhookUrl": fine.url}, headers=api_key("test-pro"))
            assert r.status_code == 200
        await advance(client, 3600)
        assert len(fine.deliveries) == 5
        await advance(client, 2 * 86_400)  # the pending one's retry falls due
        kept = (await client.get("/_mock/deliveries", params={"account": "test-pro"})).json()["deliveries"]
        pending = await delivery_for(client, pending_job)
    await app.state.runtime.close()
    assert len(kept) == 3 and pending["state"] == "delivered", (kept, pending)
    assert [got.status for got in failing.deliveries] == [500, 200]


# The webhook client carries nothing from one receiver to another, and goes nowhere but where it checked.

@pytest.mark.anyio
async def test_a_receivers_cookies_never_reach_another_tenants_receiver(receiver):
    async def set_cookie(scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"set-cookie", b"session=tenant-a-secret; Path=/")]})
        await send({"type": "http.response.body", "body": b""})

    setter = ThreadedServer(set_cookie).start()
    app = create_app(Settings(speed="instant", seed=8, render=False))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock.test") as client:
            r = await client.post("/v1/avatar", json={**BODY, "webhookUrl": f"http://127.0.0.1:{setter.port}/hook"},
                                  headers=api_key("test-enterprise"))
            assert (await client.post("/_mock/clock/settle")).status_code == 200
            assert (await delivery_for(client, r.json()["data"]["avatar"]["id"]))["state"] == "delivered"
            await client.post("/v1/avatar", json={**BODY, "webhookUrl": receiver.url}, headers=api_key("test-pro"))
            assert (await client.post("/_mock/clock/settle")).status_code == 200
            got = receiver.wait(timeout=10)
    finally:
        setter.stop()
        await app.state.runtime.close()
    assert "cookie" not in got.headers, got.headers


@pytest.mark.integration
def test_proxy_settings_in_the_environment_do_not_carry_deliveries_elsewhere(server_factory, receiver):
    """A proxy would resolve the receiver's name itself, after the mock checked it."""
    seen: list[bytes] = []

    def proxy(conn: socket.socket, _: int) -> None:
        seen.append(b"request")
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    proxies = RawReceivers(1, proxy)
    address = f"http://127.0.0.1:{proxies.port}"
    env = {"HTTP_PROXY": address, "http_proxy": address, "ALL_PROXY": address, "NO_PROXY": "", "no_proxy": ""}
    try:
        server = server_factory("--speed", "instant", "--no-render", "--no-access-log", env=env)
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            assert submit(client, "test-pro", receiver.url).status_code == 200
            assert receiver.wait(timeout=30).json["status"] == "completed"
        server.stop()
    finally:
        proxies.close()
    assert seen == []
