"""Host names to addresses for webhook attempts, with a share per account.

`getaddrinfo` blocks, so lookups run on threads of their own; a lookup of a name whose DNS never
answers holds its thread for as long as the C library insists (tens of seconds), whatever the
attempt's deadline. So each account may hold at most `per_account` of the threads at once,
counted until the lookup really ends: one tenant's unresolvable names never leave another
tenant's receivers waiting for a thread.
"""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import Future, ThreadPoolExecutor

from .targets import IPAddress, literal_addresses, unique_addresses


def _lookup(host: str, port: int) -> tuple[IPAddress, ...]:
    return unique_addresses(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))


class Resolver:
    def __init__(self, threads: int, per_account: int) -> None:
        self._threads = threads
        self._per_account = per_account
        self._executor: ThreadPoolExecutor | None = None
        # Each account's lookups: its semaphore, and how many hold it or wait for it.
        self._shares: dict[str, tuple[asyncio.Semaphore, int]] = {}

    async def resolve(self, account: str, host: str, port: int) -> tuple[IPAddress, ...]:
        """Every address `host` leads to, in the order a client would try them. Raises
        `socket.gaierror` (or `OSError`) when it leads nowhere."""
        literal = literal_addresses(host)
        if literal is not None:
            return literal
        loop = asyncio.get_running_loop()
        semaphore = self._enter(account)
        try:
            await semaphore.acquire()
        except BaseException:
            self._leave(account)
            raise
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="webhook-dns")
        try:
            lookup = self._executor.submit(_lookup, host, port)
        except BaseException:
            self._release(account)
            raise

        def ended(_: Future[tuple[IPAddress, ...]]) -> None:
            try:
                loop.call_soon_threadsafe(self._release, account)
            except RuntimeError:
                pass  # the loop is closed: nothing waits for the share any more

        lookup.add_done_callback(ended)
        return await asyncio.wrap_future(lookup, loop=loop)

    def _enter(self, account: str) -> asyncio.Semaphore:
        semaphore, users = self._shares.get(account, (None, 0))
        if semaphore is None:
            semaphore = asyncio.Semaphore(self._per_account)
        self._shares[account] = (semaphore, users + 1)
        return semaphore

    def _leave(self, account: str) -> None:
        semaphore, users = self._shares[account]
        if users == 1:
            del self._shares[account]
        else:
            self._shares[account] = (semaphore, users - 1)

    def _release(self, account: str) -> None:
        self._shares[account][0].release()
        self._leave(account)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
