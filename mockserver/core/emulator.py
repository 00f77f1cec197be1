"""One generation of the emulated service, behind three closed doors, one per audience:

- `api` (`core/api.py`): the emulated API as a caller sees it (REST, GraphQL, WebSocket);
- `control` (`core/control.py`): what tests and the inspector steer (clocks, accounts, jobs,
  faults, deliveries);
- `observe` (`core/observe.py`): what they read of what happened (the journal, deliveries).

Its parts (`core/parts.py`) are private to the core: a surface never reaches one. A generation
is built from fixtures by `assembly.build_emulator`; a reset builds a new one rather than
patching this one (`runtime.Runtime`). Nothing awaits between a check and the change it allows,
so under any concurrency credits, counters and jobs stay consistent.
"""

from __future__ import annotations

from .api import Api
from .control import Control
from .fixtures import Fixtures
from .observe import Observation
from .parts import Parts


class Emulator:
    def __init__(self, parts: Parts) -> None:
        self._parts = parts
        self.api: Api = Api(parts)
        self.control: Control = Control(parts)
        self.observe: Observation = Observation(parts)

    @property
    def generation(self) -> str:
        return self._parts.life.generation

    @property
    def fixtures(self) -> Fixtures:
        return self._parts.fixtures

    def start(self) -> None:
        """Arm the schedulers on the running event loop (timers set before it had one included)."""
        self._parts.clocks.wake()

    async def retire(self) -> None:
        """A reset replaced this generation: everything it runs stops for good (timers,
        deliveries, renders, subscriptions) and it refuses changes."""
        parts = self._parts
        parts.life.closed = True
        parts.updates.close()
        parts.clocks.close()
        parts.media.close()
        await parts.webhooks.close(final=True)

    async def stop(self) -> None:
        """The server stops (its lifespan ends): what runs in the background stops, the state
        stays, and the next start (an app reused by another test client) takes it up again."""
        parts = self._parts
        parts.clocks.pause()
        parts.media.close()
        await parts.webhooks.close(final=False)
