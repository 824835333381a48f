"""Per-person flood control: at most N questions in any 60-second window."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class FloodGate:
    """Sliding-window limiter kept in memory (one per process; enough to stop a runaway client)."""

    def __init__(self, *, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = per_minute
        self._clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: int) -> bool:
        """Count one question for ``key``; False when it is over the limit (and then it is not counted)."""
        now = self._clock()
        with self._lock:
            window = self._seen.setdefault(key, deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= self._limit:
                return False
            window.append(now)
            return True
