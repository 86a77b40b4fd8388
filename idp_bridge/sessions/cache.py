"""The per-worker session cache in front of the store, for forward-auth's hot path.

Bounds (documented in README "Sessions"): an entry is re-read from the store at most `revalidate_seconds`
(1 s) after it was last read, so a session ended by ANOTHER worker process stops working there within 1 s; a
session ended by THIS worker is dropped from its cache at once. The cache holds at most `max_entries` sessions
(least recently used go first); a miss costs one indexed store read.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from idp_bridge.store.records.core import Session

REVALIDATE_SECONDS = 1.0
MAX_ENTRIES = 100_000


@dataclass
class CachedSession:
    """A live session as last read from the store, plus what this worker saw since."""

    session: Session
    email: str | None
    name: str | None
    groups: tuple[str, ...]
    checked_at: float  # when the record was last read from the store
    stored_last_seen: float  # last_seen_at as the store has it
    last_seen: float  # latest activity this worker saw (>= stored_last_seen)
    raw_headers: tuple[tuple[bytes, bytes], ...] = ()  # forward-auth's 200 headers, sanitised and encoded once


class SessionCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, revalidate_seconds: float = REVALIDATE_SECONDS) -> None:
        self._entries: OrderedDict[str, CachedSession] = OrderedDict()
        self._by_session: dict[str, str] = {}
        self.max_entries = max_entries
        self.revalidate_seconds = revalidate_seconds

    def __len__(self) -> int:
        return len(self._entries)

    def fresh(self, token_hash: str, now: float) -> CachedSession | None:
        """The entry if it was read from the store less than `revalidate_seconds` ago."""
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if not 0 <= now - entry.checked_at < self.revalidate_seconds:
            return None
        self._entries.move_to_end(token_hash)
        return entry

    def get(self, token_hash: str) -> CachedSession | None:
        """The entry however old (for carrying over this worker's activity across a revalidation)."""
        return self._entries.get(token_hash)

    def put(self, token_hash: str, entry: CachedSession) -> None:
        self._entries[token_hash] = entry
        self._entries.move_to_end(token_hash)
        self._by_session[entry.session.id] = token_hash
        while len(self._entries) > self.max_entries:
            _, evicted = self._entries.popitem(last=False)
            self._by_session.pop(evicted.session.id, None)

    def drop(self, token_hash: str) -> None:
        entry = self._entries.pop(token_hash, None)
        if entry is not None:
            self._by_session.pop(entry.session.id, None)

    def drop_session(self, session_id: str) -> None:
        token_hash = self._by_session.pop(session_id, None)
        if token_hash is not None:
            self._entries.pop(token_hash, None)
