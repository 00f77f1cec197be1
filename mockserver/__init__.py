"""doitong-mock: a local mock server of the Doitong API fronting Hedra's talking avatars."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["create_app", "Settings", "__version__"]

if TYPE_CHECKING:
    from .app import create_app
    from .settings import Settings


def __getattr__(name: str) -> Any:
    """Imported on first use: `python -m mockserver.healthcheck` should not load the whole server."""
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
