"""Time-ordered event ids (UUID version 7, RFC 9562), so inserts stay append-friendly.

A random UUID (version 4) lands anywhere in the event-id index and makes
every insert touch a random page; a version-7 id starts with the millisecond
time, so new ids go to the end of the index. Within one millisecond a
12-bit counter keeps ids from one process strictly increasing (RFC 9562,
method 1); the remaining 62 bits are random, so ids from different processes
do not collide.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid

__all__ = ["new_event_id"]

_lock = threading.Lock()
_last = [0, 0]  # milliseconds, counter
_COUNTER_MAX = 0xFFF


def new_event_id() -> str:
    """Return a new UUIDv7 string; ids from one process are strictly increasing.

    Examples
    --------
    >>> a, b = new_event_id(), new_event_id()
    >>> a < b, len(a), a[14]
    (True, 36, '7')
    """
    now = time.time_ns() // 1_000_000
    with _lock:
        millis, counter = _last
        if now > millis:
            millis, counter = now, secrets.randbits(10)  # leave room to count up
        elif counter < _COUNTER_MAX:
            counter += 1
        else:  # 4,096 ids in one millisecond: borrow the next one
            millis, counter = millis + 1, 0
        _last[0], _last[1] = millis, counter
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | counter << 64
    value |= 0b10 << 62 | secrets.randbits(62)
    return str(uuid.UUID(int=value))
