"""How often each client tried something, in this process: a sliding window per client key.

Rider reports are limited twice. The store counts the reports it holds per client (exact across
every process; stations/store/writes.py), and this counts attempts, stored or not, before any
store work: a flood of repeats (deduplicated, so never stored) or of reports that would be
refused meets a 429 here at no cost to the database. With several server processes a client
may make up to ``limit`` attempts in each; the store's count still caps what is kept.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from datetime import timedelta
from typing import Final

#: Clients remembered at most; the least recently seen are forgotten first (a flood of
#: addresses cannot grow the table without bound).
MAX_CLIENTS: Final = 100_000


class AttemptLimiter:
    def __init__(self, limit: int, window: timedelta, *, max_clients: int = MAX_CLIENTS) -> None:
        self.limit = limit
        self.window_s = window.total_seconds()
        self.max_clients = max_clients
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, key: str, now_s: float | None = None) -> int | None:
        """Count one attempt by ``key``: None when it is within the limit, else the seconds
        until the oldest attempt in the window leaves it (the attempt is not counted)."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            times = self._seen.get(key)
            if times is None:
                times = self._seen[key] = deque()
                if len(self._seen) > self.max_clients:
                    self._seen.popitem(last=False)
            else:
                self._seen.move_to_end(key)
            while times and times[0] <= now_s - self.window_s:
                times.popleft()
            if len(times) >= self.limit:
                return max(1, math.ceil(times[0] + self.window_s - now_s))
            times.append(now_s)
            return None
