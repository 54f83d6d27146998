"""Token buckets per operation (S15)."""

from __future__ import annotations

from artemis_server.registry.ports import Clock


class TokenBucket:
    __slots__ = ("capacity", "clock", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, clock: Clock) -> None:
        self.rate = float(rate)
        self.capacity = float(capacity)
        self.tokens = float(capacity)
        self.clock = clock
        self.stamp = clock.now()

    def try_acquire(self, n: float = 1.0) -> bool:
        now = self.clock.now()
        elapsed = now - self.stamp
        if elapsed > 0:
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
            self.stamp = now
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False


class RateLimiter:
    """One bucket per operation name; disabled limiter always admits."""

    def __init__(self, *, enabled: bool, rate: float, burst: float, clock: Clock) -> None:
        self.enabled = enabled
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def allow(self, operation: str) -> bool:
        if not self.enabled:
            return True
        bucket = self._buckets.get(operation)
        if bucket is None:
            bucket = self._buckets[operation] = TokenBucket(self._rate, self._burst, self._clock)
        return bucket.try_acquire()
