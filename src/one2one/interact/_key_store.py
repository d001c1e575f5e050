"""The customer keys: one per customer id, kept in a table of their own, destroyed on erasure.

Keys live in the ``customer_keys`` table, by default in the log's own
database, or in a database of their own (``InteractionLog(key_store=...)``):
then a copy of the log's database (a backup, a replica, a dump) holds no
key, and once :meth:`InteractionLog.forget` destroys a customer's keys that
customer's payloads in every copy are unreadable. A key row is addressed by
a keyed hash of the customer id (salted with the log's secret), so the key
table alone does not list the customers.

What this part promises:

- *Keys are read and created inside the log's write*, also when they live
  in another database: the log's write lock is taken first, then the key
  store's, so an erasure racing an append in another process never leaves
  events sealed under a key it destroyed.
- *Sealing happens before the write* where it can: :meth:`seal_ahead`
  seals a batch's payloads with the keys known (or read) outside the
  log's lock, noting the generation they were known under; inside the
  write, :meth:`seal` keeps those rows only if the generation read there
  is still that one (no key was destroyed or rotated since), and seals the
  others (and every row, if it changed) with the keys read in the write.
  Writers queue for the lock, so the less they do holding it, the more
  processes gain.
- *At most one key query per batch* (in the write) (``IN`` over the batch's customers whose
  keys are not known yet), and keys unwrapped once. Known keys are trusted
  only while the key store's *generation* (a meta value every destruction
  and rotation replaces, in its own transaction) is the one they were read
  under; it is read with the batch, inside the write, so a key destroyed
  and created afresh by another process is never used stale. Unwrapped keys
  are cached by address *and* stored form.
- *Wrong keys fail loudly.* A wrong or missing master key is a
  :class:`~one2one.errors.DecryptionError` saying what to pass; a payload
  whose key was destroyed reads as erased (``None``), and one altered or
  copied from another row of the same customer is a ``DecryptionError``.
- *Keys are never shown*: not in a repr, a message, or a frame.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

import attrs

from ..errors import DecryptionError, StorageError
from ._cipher import (
    PREFIX,
    CustomerKey,
    InvalidTag,
    blob,
    check_value,
    checks,
    from_record,
    is_wrapped,
    key_id,
    new_key,
    nonces,
    open_payload,
    seal,
    unwrap,
    wrap,
)
from ._rows import PAYLOAD, now_us
from ._storage import insert_rows, select_in

if TYPE_CHECKING:
    from ._erasure import Keys
    from ._storage import Connection, Storage

__all__ = ["KeyStore", "Payload", "Sealed"]

Payload = tuple[str, str, str | None]
"""A stored payload with the row it belongs to: ``(event_id, customer_id, payload)``."""
_CACHE = 200_000  # unwrapped keys (and addresses) kept at most, then dropped at once
_CHECK = "master_key_check"
_STORE_ID = "key_store_id"
_LOG_STORE = "key_store"
_GENERATION = "key_generation"


@attrs.frozen
class Sealed:
    """Rows sealed before the write, and the key generation their keys were known under.

    Attributes
    ----------
    generation
        The key store's generation when the keys were read (``None``: none
        was ever destroyed or rotated).
    rows
        Per row of the batch: the row with its payload sealed, or ``None``
        when it was not sealed ahead (no payload, or no key known yet).
    """

    generation: str | None
    rows: list[tuple[object, ...] | None] = attrs.field(repr=False)

    def pick(self, positions: Sequence[int]) -> Sealed:
        """Return the sealed rows at ``positions`` (those the write will insert), in order."""
        return Sealed(self.generation, [self.rows[p] for p in positions])


class KeyStore:
    """The customer keys of one log: where they live, the master key, and the unwrapped cache.

    Built by :meth:`open`; the parts of the log call :meth:`seal` (inside
    the log's write), :meth:`open_payloads`, :meth:`destroy` and
    :meth:`rotate`. In the log's own database (``storage is None``) every
    statement runs on the connection the caller lends; in a database of its
    own, reads use that database's connection and writes its own
    transaction, taken inside the log's.
    """

    def __init__(
        self,
        keys: Keys,
        *,
        storage: Storage | None,
        master: bytes | None,
        check: str | None,
        encrypt: bool,
        where: str,
    ) -> None:
        self._keys = keys
        self._storage = storage
        self._master = master
        self._check = check
        self.encrypt = encrypt
        self.where = where
        self._cache: dict[tuple[str, str], CustomerKey] = {}
        self._known: dict[str, CustomerKey] = {}  # by address, valid for _generation
        self._generation: str | None = None
        self._seen_check: str | None = None
        self._addresses: dict[str, str] = {}

    def __repr__(self) -> str:
        wrapped = "wrapped under a master key" if self._master is not None else "unwrapped"
        return f"KeyStore({self.where}, {wrapped})"

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        log: Storage,
        keys: Keys,
        *,
        storage: Storage | None,
        master: bytes | None,
        encrypt: bool,
        where: str,
    ) -> KeyStore:
        """Check the key store against the log and the master key, and return it.

        Raises
        ------
        DecryptionError
            If the master key is wrong, missing (the keys are wrapped), or
            given for keys stored unwrapped.
        StorageError
            If the log's keys live in another key store than this one.
        """
        store = storage if storage is not None else log
        check = _master_check(store, master, where)
        store_id = _meta_or_set(store, _STORE_ID, secrets.token_hex(16))
        owner = _meta_or_set(log, _LOG_STORE, store_id)
        if owner != store_id:
            there = "a key store of its own" if storage is None else "another key store"
            fix = (
                "open it with the key_store= it was written with"
                if storage is None
                else "open it with the key_store= it was written with (or none, if its keys "
                "live in its own database)"
            )
            msg = (
                f"the customer keys of this interaction log live in {there}, not in {where}; "
                f"{fix}. Nothing was changed."
            )
            raise StorageError(msg, path=where)
        return cls(keys, storage=storage, master=master, check=check, encrypt=encrypt, where=where)

    # ---------------------------------------------------------------- the keys
    def _address(self, customer_id: str) -> str:
        address = self._addresses.get(customer_id)
        if address is None:
            if len(self._addresses) >= _CACHE:
                self._addresses.clear()
            address = self._addresses[customer_id] = self._keys.key_address(customer_id)
        return address

    @contextmanager
    def writing(self, connection: Connection) -> Iterator[Connection]:
        """Lend the connection key writes run on, inside the caller's write of the log."""
        if self._storage is None:
            yield connection
            return
        with self._storage.write() as keys:
            yield keys

    def _reader(self, connection: Connection) -> Connection:
        return connection if self._storage is None else self._storage.connection

    def _stored(self, connection: Connection, addresses: Sequence[str]) -> dict[str, str]:
        return {
            str(address): str(key)
            for address, key in select_in(
                connection,
                "SELECT customer_hash, key FROM customer_keys WHERE customer_hash IN ({})",
                list(addresses),
            )
        }

    def _unwrap(self, address: str, stored: str) -> CustomerKey:
        cached = self._cache.get((address, stored))
        if cached is not None:
            return cached
        try:
            key = unwrap(self._master, stored, address)
        except (InvalidTag, ValueError) as error:
            raise self._wrong_master() from error
        if len(self._cache) >= _CACHE:
            self._cache.clear()
        self._cache[address, stored] = key
        return key

    def _wrong_master(self) -> DecryptionError:
        if self._master is None:
            msg = (
                f"the customer keys in {self.where} are wrapped under a master key and none "
                "was given; pass InteractionLog(master_key=...) or set ONE2ONE_MASTER_KEY."
            )
        else:
            msg = (
                f"the master key given does not open the customer keys in {self.where} "
                "(another process may have rotated it); reopen the log with the current "
                "master key."
            )
        return DecryptionError(msg, path=self.where)

    def _keys_of(self, connection: Connection, customers: Sequence[str]) -> dict[str, CustomerKey]:
        """Return the stored keys of these customers (those without one are left out).

        Keys known from earlier calls are used while the key store's
        generation is unchanged (every destruction and rotation changes it,
        in the same transaction); the others are fetched in one ``IN`` query.
        """
        self._state(connection)
        return self._lookup(connection, customers)

    def _state(self, connection: Connection) -> str | None:
        """Read the generation (and master key check); forget known keys if it changed.

        Read before any key, so a key destroyed (or created anew) after this
        read is caught by the next read of the generation.
        """
        state = dict(
            connection.execute(
                "SELECT key, value FROM meta WHERE key IN (?, ?)", (_GENERATION, _CHECK)
            ).fetchall()
        )
        self._seen_check = state.get(_CHECK)
        generation = state.get(_GENERATION)
        if generation != self._generation or len(self._known) >= _CACHE:
            self._known.clear()
            self._generation = generation
        return generation

    def _lookup(self, connection: Connection, customers: Sequence[str]) -> dict[str, CustomerKey]:
        """Return the keys of these customers: known ones, the others in one query."""
        addresses = {self._address(c): c for c in customers}
        found: dict[str, CustomerKey] = {}
        missing = []
        for address, customer in addresses.items():
            known = self._known.get(address)
            if known is None:
                missing.append(address)
            else:
                found[customer] = known
        if missing:
            for address, stored in self._stored(connection, missing).items():
                found[addresses[address]] = self._known[address] = self._unwrap(address, stored)
        return found

    # -------------------------------------------------------------- payloads
    def seal_ahead(self, connection: Connection, rows: Sequence[tuple[object, ...]]) -> Sealed:
        """Seal, before the write, the payloads whose customer already has a key.

        ``connection`` reads (outside the log's lock); keys not known yet are
        read in one query, after the generation. Customers without a key are
        left to :meth:`seal`, which creates keys inside the write.
        """
        customers = self._customers(rows)
        if not customers:
            return Sealed(self._generation, [None] * len(rows))
        found = self._keys_of(self._reader(connection), customers)
        sealed = self._seal_rows(found, rows)
        return Sealed(self._generation, sealed)

    def seal(
        self,
        connection: Connection,
        rows: Sequence[tuple[object, ...]],
        ahead: Sealed | None = None,
    ) -> list[tuple[object, ...]]:
        """Return event rows with their payloads sealed, creating missing keys (inside a write).

        ``connection`` is the log's write; the keys are read and created in
        the key store's own write inside it (one query for the batch). Rows
        of ``ahead`` (sealed by :meth:`seal_ahead`, one per row) are kept when
        the generation read here is the one they were sealed under: then no
        key has been destroyed or replaced since, so their keys are still the
        stored ones. Otherwise every row is sealed again here.
        """
        if not self.encrypt:
            return list(rows)
        if not self._customers(rows):
            return list(rows)
        with self.writing(connection) as keys:
            generation = self._state(keys)
            kept = ahead.rows if ahead is not None and ahead.generation == generation else None
            todo = [row for at, row in enumerate(rows) if kept is None or kept[at] is None]
            customers = self._customers(todo)
            found = self._lookup(keys, customers) if customers else {}
            missing = [c for c in customers if c not in found]
            if missing:
                found |= self._create(keys, missing)
        sealed = iter(self._seal_rows(found, todo))
        done: list[tuple[object, ...]] = []
        for at in range(len(rows)):
            ready = None if kept is None else kept[at]
            done.append(ready if ready is not None else _sealed_or_plain(next(sealed)))
        return done

    @staticmethod
    def _customers(rows: Sequence[tuple[object, ...]]) -> list[str]:
        return list(dict.fromkeys(str(r[1]) for r in rows if r[PAYLOAD] is not None))

    def _seal_rows(
        self, found: dict[str, CustomerKey], rows: Sequence[tuple[object, ...]]
    ) -> list[tuple[object, ...] | None]:
        """Seal the payloads whose customer's key is in ``found``; ``None`` for the others.

        A row without a payload is returned as it is.
        """
        fresh = iter(nonces(len(rows)))
        sealed: list[tuple[object, ...] | None] = []
        for row in rows:
            payload = row[PAYLOAD]
            if payload is None:
                sealed.append(row)
                continue
            event_id, customer = str(row[0]), str(row[1])
            key = found.get(customer)
            if key is None:
                sealed.append(None)
                continue
            text = seal(key, str(payload), event_id, customer, next(fresh))
            sealed.append((*row[:PAYLOAD], text, *row[PAYLOAD + 1 :]))
        return sealed

    def _create(self, connection: Connection, customers: Sequence[str]) -> dict[str, CustomerKey]:
        if self._seen_check != self._check:  # as read by _keys_of in this same write
            raise self._wrong_master()  # rotated since this log was opened
        created = now_us()
        made: dict[str, CustomerKey] = {}
        rows = []
        for customer in customers:
            address, record = self._address(customer), new_key()
            stored = wrap(self._master, record, address)
            # Not known (valid for the generation) until committed: the write may roll back.
            key = self._cache[address, stored] = from_record(record)
            made[customer] = key
            rows.append((address, stored, created))
        insert_rows(connection, "INSERT INTO customer_keys (customer_hash, key, created_at)", rows)
        return made

    def open_payloads(
        self,
        connection: Connection,
        rows: Sequence[Payload],
        *,
        unreadable: Literal["raise", "erased"] = "raise",
    ) -> list[str | None]:
        """Return the rows' payloads as text (``None``: none, or its key was destroyed).

        Plaintext payloads (written before encryption, or with
        ``encrypt=False``) are returned as they are. One key query for all
        the rows' customers. ``unreadable="erased"`` reads a payload that
        fails authentication as erased too (an erasure must never be blocked
        by a damaged row).

        Raises
        ------
        DecryptionError
            If a payload fails authentication under its own key (altered, or
            copied from another row) and ``unreadable="raise"``, or the keys
            cannot be unwrapped.
        """
        customers = list(
            dict.fromkeys(c for _, c, p in rows if p is not None and p.startswith(PREFIX))
        )
        if not customers:
            return [p for _, _, p in rows]
        found = self._keys_of(self._reader(connection), customers)
        strict = unreadable == "raise"
        return [self._open_one(found, *row, strict=strict) for row in rows]

    def _open_one(
        self,
        found: dict[str, CustomerKey],
        event_id: str,
        customer_id: str,
        stored: str | None,
        *,
        strict: bool,
    ) -> str | None:
        if stored is None or not stored.startswith(PREFIX):
            return stored
        key = found.get(customer_id)
        sealed = blob(stored)
        if key is None or (sealed and key.kid != key_id(sealed)):
            return None  # its key was destroyed: erased, in this copy too
        try:
            return open_payload(key, sealed, event_id, customer_id)
        except InvalidTag as error:
            if not strict:
                return None
            msg = (
                f"the payload of event {event_id!r} fails authentication under its "
                f"customer's key: the row was altered, or its payload copied from another "
                "row; restore the row from a backup (nothing was read from it)."
            )
            raise DecryptionError(msg, path=self.where, event_id=event_id) from error

    def close(self) -> None:
        """Close the key store's own database, if it has one (idempotent)."""
        if self._storage is not None:
            self._storage.close()

    def checkpoint(self) -> bool:
        """Leave no old copy of destroyed keys in the key store's own files (when it has some)."""
        return True if self._storage is None else self._storage.checkpoint()

    # ----------------------------------------------------------- erasure, rotation
    def destroy(self, connection: Connection, customers: Sequence[str]) -> int:
        """Delete these customers' keys (inside the log's write); return how many there were."""
        addresses = [self._address(c) for c in customers]
        with self.writing(connection) as keys:
            destroyed = sum(
                keys.execute(
                    "DELETE FROM customer_keys WHERE customer_hash = ?", (address,)
                ).rowcount
                for address in addresses
            )
            _new_generation(keys)
        self._known.clear()
        return destroyed

    def rotate(self, connection: Connection, master: bytes | None) -> int:
        """Re-wrap every key under ``master`` (``None``: unwrapped) in one write; count them."""
        with self.writing(connection) as keys:
            rows = keys.execute("SELECT customer_hash, key FROM customer_keys").fetchall()
            rewrapped = [
                (wrap(master, _record(self._unwrap(str(a), str(s))), str(a)), str(a))
                for a, s in rows
            ]
            keys.executemany("UPDATE customer_keys SET key = ? WHERE customer_hash = ?", rewrapped)
            keys.execute("DELETE FROM meta WHERE key = ?", (_CHECK,))
            check = None if master is None else check_value(master)
            if check is not None:
                keys.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (_CHECK, check))
            _new_generation(keys)
        self._master, self._check = master, check
        self._cache.clear()
        self._known.clear()
        return len(rewrapped)


def _new_generation(connection: Connection) -> None:
    """Mark every key any process knows as to be fetched again (inside the key store's write)."""
    connection.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_GENERATION, secrets.token_hex(8)),
    )


def _record(key: CustomerKey) -> bytes:
    """Return the key record (id and key) of an unwrapped key, to wrap it anew."""
    # AESGCM keeps its key private; the record is rebuilt from the one it was made of.
    return key.kid + key.secret


def _master_check(store: Storage, master: bytes | None, where: str) -> str | None:
    """Check ``master`` against the key store (recording it on first use); return the check."""
    check = store.meta(_CHECK)
    if master is None:
        if check is not None:
            msg = (
                f"the customer keys in {where} are wrapped under a master key and none was "
                "given; pass InteractionLog(master_key=...) or set ONE2ONE_MASTER_KEY."
            )
            raise DecryptionError(msg, path=where)
        return None
    if check is None:
        with store.write() as connection:
            row = connection.execute("SELECT value FROM meta WHERE key = ?", (_CHECK,)).fetchone()
            if row is not None:
                check = str(row[0])
            else:
                stored = connection.execute("SELECT key FROM customer_keys LIMIT 1").fetchone()
                if stored is not None and not is_wrapped(str(stored[0])):
                    msg = (
                        f"the customer keys in {where} are stored unwrapped (the log was used "
                        "without a master key); open it without master_key and call "
                        "log.rotate_master_key(key) to wrap them."
                    )
                    raise DecryptionError(msg, path=where)
                check = check_value(master)
                connection.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (_CHECK, check))
    if not checks(master, check):
        msg = (
            f"the master key given does not open the customer keys in {where}; pass the "
            "master key the log was written with (or ONE2ONE_MASTER_KEY). Nothing was read."
        )
        raise DecryptionError(msg, path=where)
    return check


def _meta_or_set(storage: Storage, key: str, value: str) -> str:
    """Return a meta value, setting it to ``value`` first if it has none (race-safe)."""
    found = storage.meta(key)
    if found is not None:
        return found
    with storage.write() as connection:
        connection.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (key, value),
        )
        row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0])


def _sealed_or_plain(row: tuple[object, ...] | None) -> tuple[object, ...]:
    """Return a row sealed in the write (every customer there has a key by then)."""
    if row is None:  # never: a key is created for every customer missing one
        msg = "a payload was left unsealed: a customer key is missing inside the write"
        raise StorageError(msg, path=None)
    return row
