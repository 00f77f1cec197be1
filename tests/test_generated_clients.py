"""Clients generated from the served OpenAPI document by generators no one here wrote, with their
default options, as a team that generates its client would: the types accept the document's own
minimal body (and refuse one without `service`), and the generated Python client submits it to a
real server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

NODE_PACKAGES = ["openapi-typescript@7", "typescript@5"]


@pytest.fixture(scope="module")
def document(live_server) -> dict[str, Any]:
    return httpx.get(f"{live_server.base_url}/openapi.json", timeout=10).json()


@pytest.fixture(scope="module")
def minimal(document) -> dict[str, Any]:
    return document["components"]["schemas"]["AvatarRequest"]["examples"][0]


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run openapi-typescript and tsc")
    root = tmp_path_factory.mktemp("npm")
    (root / "package.json").write_text('{"name": "generated", "private": true}')
    installed = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", *NODE_PACKAGES],
                               cwd=root, capture_output=True, text=True, timeout=300)
    if installed.returncode != 0:
        pytest.skip(f"npm could not install {' '.join(NODE_PACKAGES)}: {installed.stderr.strip()[-300:]}")
    return root


def test_openapi_typescript_types_take_the_minimal_body(node_modules, document, minimal):
    (node_modules / "openapi.json").write_text(json.dumps(document))
    generated = subprocess.run([str(node_modules / "node_modules/.bin/openapi-typescript"), "openapi.json",
                                "-o", "schema.d.ts"], cwd=node_modules, capture_output=True, text=True, timeout=120)
    assert generated.returncode == 0, generated.stderr
    without_service = {k: v for k, v in minimal.items() if k != "service"}
    (node_modules / "check.ts").write_text(textwrap.dedent(f"""\
        import type {{ components }} from "./schema";
        type AvatarRequest = components["schemas"]["AvatarRequest"];
        export const minimal: AvatarRequest = {json.dumps(minimal)};
        // @ts-expect-error: service is required
        export const withoutService: AvatarRequest = {json.dumps(without_service)};
        export const estimate: components["schemas"]["EstimateRequest"] = {{ text: "Hi." }};
    """))
    checked = subprocess.run([str(node_modules / "node_modules/.bin/tsc"), "--noEmit", "--strict", "check.ts"],
                             cwd=node_modules, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_openapi_python_client_submits_the_minimal_body_to_a_real_server(live_server, document, minimal, tmp_path):
    bin_dir = Path(sys.executable).parent
    generator = shutil.which("openapi-python-client", path=str(bin_dir)) or shutil.which("openapi-python-client")
    if generator is None:
        pytest.skip("openapi-python-client is not installed: pip install -e '.[test]'")
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    # Its default post-generation hooks run ruff, installed beside it.
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    generated = subprocess.run([generator, "generate", "--path", "openapi.json", "--output-path", "client"],
                               cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert generated.returncode == 0 and "Warning" not in generated.stdout + generated.stderr, generated.stdout
    script = textwrap.dedent("""\
        import json, sys
        from doitong_mock_rest_api_client import Client
        from doitong_mock_rest_api_client.api.default import create_avatar
        from doitong_mock_rest_api_client.models import AvatarRequest

        base_url, key, minimal = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
        body = AvatarRequest.from_dict(minimal)
        client = Client(base_url=base_url, headers={"X-API-Key": key})
        response = create_avatar.sync_detailed(client=client, body=body)
        job = response.parsed.data.avatar
        print(json.dumps({"sent": body.to_dict(), "status": int(response.status_code), "job": job.status.value,
                          "text": job.text}))
    """)
    ran = subprocess.run([sys.executable, "-c", script, live_server.base_url, "test-pro", json.dumps(minimal)],
                         cwd=tmp_path / "client", capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr[-2000:]
    seen = json.loads(ran.stdout)
    assert seen["sent"] == minimal
    assert seen["status"] == 200 and seen["job"] in ("queued", "processing", "completed") and seen["text"] == minimal["text"]
