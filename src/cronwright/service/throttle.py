"""Limits on failed authentication, per client address and per API key prefix.

Each subject (an address, a key prefix) has a bucket of allowed failures that refills at a steady
rate. A failure takes one; an empty bucket refuses every attempt of that subject, right or wrong,
until it refills, and says when to come back. Refusing right answers too is deliberate: answering
them would let a guesser carry on at full speed.

Successes neither fill nor empty a bucket, so a valid key of one's own organization does not buy
more guesses at another's. State lives in memory, per process: the limit is per process, which
is what bounds the guessing rate each process can be made to serve.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from cronwright import clock as clock_module
from cronwright import domain, errors
from cronwright.service.organizations import Organizations

_PREFIX = re.compile(r"cw_([0-9a-f]{12})_")
MAX_TRACKED = 10_000  # subjects remembered; the least recently failing are forgotten first


class TooManyAttempts(errors.CronwrightError):
    """Too many failed authentications from this address or for this key."""

    def __init__(self, retry_after: timedelta) -> None:
        self.retry_after_seconds = max(1, math.ceil(retry_after.total_seconds()))
        super().__init__(
            f"too many failed sign-in attempts; try again in {self.retry_after_seconds} seconds"
        )


@dataclass(frozen=True, slots=True)
class Allowance:
    """``failures`` in a burst, refilled evenly over ``per``."""

    failures: int
    per: timedelta

    def __post_init__(self) -> None:
        if self.failures < 1 or self.per <= timedelta(0):
            raise ValueError("an allowance needs at least one failure over a positive period")

    @property
    def refill_per_second(self) -> float:
        return self.failures / self.per.total_seconds()


PER_ADDRESS = Allowance(failures=30, per=timedelta(minutes=1))
PER_KEY_PREFIX = Allowance(failures=10, per=timedelta(minutes=1))


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: datetime


def key_prefix(token: str) -> str | None:
    """The public prefix of a bearer token shaped like ours (``cw_<prefix>_...``), else None."""
    match = _PREFIX.match(token)
    return match.group(1) if match else None


class FailedAuthThrottle:
    def __init__(
        self,
        clock: clock_module.Clock,
        *,
        per_address: Allowance = PER_ADDRESS,
        per_key_prefix: Allowance = PER_KEY_PREFIX,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        self._clock = clock
        self._allowances = {"address": per_address, "prefix": per_key_prefix}
        self._max_tracked = max_tracked
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, *, address: str | None, token: str | None) -> None:
        """Raise :class:`TooManyAttempts` when the address or the token's key is out of tries."""
        now = self._clock.now()
        waits = []
        with self._lock:
            for subject in self._subjects(address, token):
                bucket = self._buckets.get(subject)
                if bucket is None:
                    continue
                allowance = self._allowances[subject[0]]
                tokens = self._refilled(bucket, allowance, now)
                if tokens < 1:
                    waits.append((1 - tokens) / allowance.refill_per_second)
        if waits:
            raise TooManyAttempts(timedelta(seconds=max(waits)))

    def failed(self, *, address: str | None, token: str | None) -> None:
        """Count one failed attempt against the address and the token's key."""
        now = self._clock.now()
        with self._lock:
            for subject in self._subjects(address, token):
                allowance = self._allowances[subject[0]]
                bucket = self._buckets.pop(subject, None)
                tokens = (
                    allowance.failures if bucket is None else self._refilled(bucket, allowance, now)
                )
                self._buckets[subject] = _Bucket(tokens=max(tokens - 1, 0.0), at=now)
            while len(self._buckets) > self._max_tracked:
                self._buckets.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()

    @staticmethod
    def _subjects(address: str | None, token: str | None) -> list[tuple[str, str]]:
        subjects = []
        if address:
            subjects.append(("address", address))
        prefix = key_prefix(token) if token else None
        if prefix:
            subjects.append(("prefix", prefix))
        return subjects

    @staticmethod
    def _refilled(bucket: _Bucket, allowance: Allowance, now: datetime) -> float:
        elapsed = max((now - bucket.at).total_seconds(), 0.0)
        return min(float(allowance.failures), bucket.tokens + elapsed * allowance.refill_per_second)


def authenticate(
    organizations: Organizations,
    throttle: FailedAuthThrottle,
    token: str,
    *,
    address: str | None,
) -> domain.ApiKey:
    """``organizations.authenticate`` behind the throttle: refused outright while the address or
    the key is out of tries, and each failure counted."""
    throttle.check(address=address, token=token)
    try:
        return organizations.authenticate(token)
    except errors.AuthenticationFailed:
        throttle.failed(address=address, token=token)
        raise
