"""Where a reset happens: the emulator now serving, and what outlives it (settings, fixtures,
the server's clock, the store, the events bus).

A reset or a fixture reload builds a fresh emulator, swaps it in, and then closes the old one:
its timers and deliveries stop, and its open subscriptions complete. The surfaces look the
emulator up on every request (its `api`, `control` and `observe`), so none keeps a stale one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

from .api import Api
from .assembly import build_emulator
from .clock import Clock
from .control import Control
from .emulator import Emulator
from .errors import FixturesInvalid
from .events import Events
from .fixtures import FixtureError, Fixtures, load_fixtures
from .observe import Observation
from .targets import configured_address

# Why the state went back to the fixtures: a reset, or a reload of the fixture files.
ResetReason = Literal["reset", "reload"]

if TYPE_CHECKING:
    from ..settings import Settings
    from .store import Store


class Runtime:
    def __init__(self, settings: Settings, fixtures: Fixtures, store: Store) -> None:
        self.settings = settings
        self.fixtures = fixtures
        self.clock = Clock(virtual=settings.clock == "virtual", start=settings.start_time, speed=settings.speed)
        self.store = store
        # Outlives every emulator, so whoever follows the events (the /_mock/events stream) goes
        # on following across resets.
        self.events = Events()
        with self.store.batch():
            snapshot = self.store.load()
            self.emulator, self.restored = build_emulator(
                settings, fixtures, self.clock, self.store, self.events, snapshot
            )
            if snapshot.clock is None:
                # Kept from the start, not only once advanced: a virtual clock goes on after a
                # restart from where it stood, not from the time the process started again.
                self.store.save_clock(self.clock.state())
        self.address = configured_address(settings)

    @property
    def api(self) -> Api:
        return self.emulator.api

    @property
    def control(self) -> Control:
        return self.emulator.control

    @property
    def observe(self) -> Observation:
        return self.emulator.observe

    def start(self) -> None:
        self.emulator.start()

    async def reset(self, reason: ResetReason = "reset") -> Emulator:
        """Back to the fixtures: accounts, jobs, limits, deliveries, journal, faults; the clock runs on."""
        old = self.emulator
        self.store.clear()
        self.emulator, _ = build_emulator(self.settings, self.fixtures, self.clock, self.store, self.events)
        self.emulator.start()
        await old.retire()
        self.events.emit("reset", reason)
        return self.emulator

    async def reload_fixtures(self) -> Emulator:
        """Read the fixture files again, then reset; a bad file changes nothing."""
        try:
            # In a thread: a large file takes a moment to check, and the server answers meanwhile.
            fixtures = await asyncio.to_thread(load_fixtures, self.settings.fixtures)
        except FixtureError as exc:
            raise FixturesInvalid(
                f"{exc.file}: {exc.key or '(top level)'}: {exc.reason}", file=exc.file, key=exc.key
            ) from None
        self.fixtures = fixtures
        return await self.reset("reload")

    async def close(self) -> None:
        await self.emulator.stop()
        self.store.close()
