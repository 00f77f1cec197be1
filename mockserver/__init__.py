"""doitong-mock: a local mock server of the Doitong API fronting Hedra's talking avatars."""

__version__ = "0.1.0"

from .app import create_app  # noqa: E402
from .settings import Settings  # noqa: E402

__all__ = ["create_app", "Settings", "__version__"]
