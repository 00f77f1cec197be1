"""doitong-mock: a local mock server of the Doitong API fronting Hedra's talking avatars.

The public API is what `__all__` names; everything else is internal and may change. Names are
imported on first use, so importing the package (as pytest does for the plugin) costs nothing.
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

__version__ = "0.1.0"
__all__ = [
    "ApiError",
    "AsyncDoitongMock",
    "DoitongMock",
    "Settings",
    "WebhookReceiver",
    "__version__",
    "create_app",
    "sign",
    "verify_signature",
]

_WHERE = {
    "ApiError": "mockserver.core.errors",
    "AsyncDoitongMock": "mockserver.testing.handles",
    "DoitongMock": "mockserver.testing.handles",
    "Settings": "mockserver.settings",
    "WebhookReceiver": "mockserver.testing.receiver",
    "create_app": "mockserver.web.app",
    "sign": "mockserver.core.signing",
    "verify_signature": "mockserver.core.signing",
}

if _TYPE_CHECKING:
    from .core.errors import ApiError
    from .core.signing import sign, verify_signature
    from .settings import Settings
    from .testing.handles import AsyncDoitongMock, DoitongMock
    from .testing.receiver import WebhookReceiver
    from .web.app import create_app


def __getattr__(name: str) -> _Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    return getattr(_importlib.import_module(where), name)


def __dir__() -> list[str]:
    return sorted(__all__)
