"""Telling open generation streams that the server is shutting down.

Uvicorn stops on SIGTERM or SIGINT by waiting a few seconds for open responses, then cancelling
them: an SSE stream would end without a final event and its generation would be recorded as
merely ``cancelled``. While the app runs (its lifespan), :class:`ShutdownNotice` chains its own
handler in front of the server's for those signals: the notice is set first, each open stream
(:mod:`spark.web.runner`) stops its generation, records it as failed with kind ``shutdown`` and
sends an ``error`` event of that kind, and only then does the server's own shutdown go on.

This works however the app is served (``spark serve``, ``uvicorn --factory``, several workers),
because it hooks the signal, not the server. Signal handlers can only be set in the main thread;
elsewhere (an app served from a test's thread), or where no server handles the signal, nothing
is installed.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ShutdownNotice:
    """Set once the server is asked to stop; streams wait on :meth:`wait`."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        self._event.set()

    async def wait(self) -> None:
        await self._event.wait()

    @contextmanager
    def listening(self) -> Iterator[None]:
        """Within the block, SIGTERM and SIGINT set the notice before the handler that was
        there (the server's) runs; the previous handlers are restored afterwards."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        previous: dict[int, Callable[[int, FrameType | None], Any]] = {}

        def chained(sig: int, frame: FrameType | None) -> None:
            loop.call_soon_threadsafe(self.set)
            previous[sig](sig, frame)

        for sig in SIGNALS:
            handler = signal.getsignal(sig)
            if callable(handler):  # a server's handler: ours goes first, then it runs
                previous[sig] = handler
                signal.signal(sig, chained)
        try:
            yield
        finally:
            for number, restored in previous.items():
                if signal.getsignal(number) is chained:
                    signal.signal(number, restored)
