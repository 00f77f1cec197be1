"""`python3 -m mockserver.healthcheck`: exit 0 when the local server answers /healthz with 200.

Container health checks call this rather than an inline `python3 -c "..."`: podman-compose
re-quotes a check's arguments, and only arguments without spaces survive that.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("DOITONG_MOCK_PORT") or "8080"
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return 0 if response.status == 200 else 1
    except (OSError, urllib.error.URLError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
