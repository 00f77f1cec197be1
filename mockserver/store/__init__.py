"""Where the emulator's state is written as it changes: nowhere (`NullStore`) or SQLite."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.store import Store
    from ..settings import Settings


def open_store(settings: Settings) -> Store:
    """Where the settings say state goes: nowhere, or the --state-file (which it then locks)."""
    if settings.state_file is None:
        from .null import NullStore

        return NullStore()
    from .sqlite import SqliteStore

    return SqliteStore(settings.state_file)
