"""The encryption of the log's payloads: AES-256-GCM from ``cryptography``, never hand-written.

Every event's personal payload is stored encrypted under a key of its own
customer (crypto-shredding: destroying the key makes every copy of the
payload unreadable, in backups, replicas and write-ahead logs too). The
stored form stays text, so the ``payload TEXT`` column means the same on
every backend and payloads written before encryption still read::

    o2o1:<base64 of key id (8 bytes) | nonce (12 bytes) | ciphertext and tag>

* A fresh 96-bit nonce per encryption (random: at most a few billion
  encryptions per key, far below GCM's limit for random nonces).
* The associated data binds the ciphertext to its row (event id and
  customer id), so a ciphertext copied into another row does not decrypt.
* The key id names the key that sealed the payload: a key destroyed by an
  erasure and created afresh for the same customer has another id, so a
  payload of the destroyed key reads as erased, not as a forgery.

Customer keys are stored wrapped under the application's master key when it
gives one (AES-GCM, the key's address as associated data, so a wrapped key
moved to another customer's row does not unwrap), and as they are otherwise.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import DataContractError

__all__ = [
    "KEY_BYTES",
    "MASTER_KEY_VARIABLE",
    "PREFIX",
    "CustomerKey",
    "InvalidTag",
    "MasterKey",
    "blob",
    "check_value",
    "checks",
    "from_record",
    "is_wrapped",
    "key_id",
    "master_key",
    "new_key",
    "nonces",
    "open_payload",
    "seal",
    "unwrap",
    "wrap",
]

PREFIX = "o2o1:"
"""The start of an encrypted payload (a plaintext payload is JSON, so starts with ``{``)."""
KEY_BYTES = 32  # AES-256
MASTER_KEY_VARIABLE = "ONE2ONE_MASTER_KEY"
_KID = 8
_NONCE = 12
_RAW = "raw:"
_WRAPPED = "w1:"
_CHECK = b"one2one master key check"

MasterKey = bytes | Callable[[], bytes] | None


class CustomerKey:
    """One customer's key, unwrapped, with the id stored payloads name it by.

    The key bytes are never shown: not in the repr, not in messages.
    """

    __slots__ = ("aead", "kid", "secret")

    def __init__(self, kid: bytes, key: bytes) -> None:
        self.kid = kid
        self.secret = key
        self.aead = AESGCM(key)

    def __repr__(self) -> str:
        return f"CustomerKey(kid={self.kid.hex()}, key=<hidden>)"


def new_key() -> bytes:
    """Return a fresh key record: a random key id and a random 256-bit key."""
    return secrets.token_bytes(_KID + KEY_BYTES)


def from_record(record: bytes) -> CustomerKey:
    """Return the key a record of :func:`new_key` holds."""
    return CustomerKey(record[:_KID], record[_KID:])


def _associated(event_id: str, customer_id: str) -> bytes:
    # Length-prefixed, so no two (event id, customer id) pairs give the same bytes.
    return f"{len(event_id)}:{event_id}:{customer_id}".encode()


def nonces(count: int) -> list[bytes]:
    """Return ``count`` fresh random 96-bit nonces (one call to the OS for them all)."""
    pool = os.urandom(_NONCE * count)
    return [pool[at : at + _NONCE] for at in range(0, len(pool), _NONCE)]


def seal(
    key: CustomerKey, text: str, event_id: str, customer_id: str, nonce: bytes | None = None
) -> str:
    """Return ``text`` encrypted under ``key`` for the row ``(event_id, customer_id)``.

    ``nonce`` is a fresh one of :func:`nonces` (drawn here when not given);
    never pass one twice.
    """
    if nonce is None:
        nonce = os.urandom(_NONCE)
    sealed = key.aead.encrypt(nonce, text.encode(), _associated(event_id, customer_id))
    return PREFIX + binascii.b2a_base64(key.kid + nonce + sealed, newline=False).decode("ascii")


def blob(stored: str) -> bytes:
    """Return the bytes of a stored payload (empty if it is not valid base64)."""
    try:
        return binascii.a2b_base64(stored[len(PREFIX) :], strict_mode=True)
    except binascii.Error:
        return b""


def key_id(sealed: bytes) -> bytes:
    """Return the id of the key a payload (its :func:`blob`) was sealed with."""
    return sealed[:_KID]


def open_payload(key: CustomerKey, blob: bytes, event_id: str, customer_id: str) -> str:
    """Return the text of a stored payload (its :func:`blob`) sealed with ``key`` for this row.

    Raises
    ------
    InvalidTag
        If the payload was altered or sealed for another row.
    """
    nonce, sealed = blob[_KID : _KID + _NONCE], blob[_KID + _NONCE :]
    if len(nonce) != _NONCE:
        raise InvalidTag
    return key.aead.decrypt(nonce, sealed, _associated(event_id, customer_id)).decode()


def wrap(master: bytes | None, record: bytes, address: str) -> str:
    """Return a key record as stored: wrapped under ``master``, or as is without one."""
    if master is None:
        return _RAW + base64.b64encode(record).decode("ascii")
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(master).encrypt(nonce, record, address.encode())
    return _WRAPPED + base64.b64encode(nonce + sealed).decode("ascii")


def unwrap(master: bytes | None, stored: str, address: str) -> CustomerKey:
    """Return the key a stored record holds.

    Raises
    ------
    InvalidTag
        If the record is wrapped and ``master`` is not the key it was wrapped
        under (or is ``None``), or the record is damaged.
    """
    if stored.startswith(_RAW):
        record = base64.b64decode(stored[len(_RAW) :])
    elif master is None or not stored.startswith(_WRAPPED):
        raise InvalidTag
    else:
        blob = base64.b64decode(stored[len(_WRAPPED) :])
        record = AESGCM(master).decrypt(blob[:_NONCE], blob[_NONCE:], address.encode())
    if len(record) != _KID + KEY_BYTES:
        raise InvalidTag
    return from_record(record)


def is_wrapped(stored: str) -> bool:
    """Return whether a stored key record is wrapped under a master key."""
    return stored.startswith(_WRAPPED)


def check_value(master: bytes) -> str:
    """Return a value that proves, to whoever holds ``master``, that it is the right one."""
    return wrap(master, _CHECK, "master key check")


def checks(master: bytes, value: str) -> bool:
    """Return whether ``value`` (of :func:`check_value`) was made with ``master``."""
    try:
        blob = base64.b64decode(value[len(_WRAPPED) :])
        plain = AESGCM(master).decrypt(blob[:_NONCE], blob[_NONCE:], b"master key check")
    except (InvalidTag, binascii.Error, ValueError):
        return False
    return plain == _CHECK


def master_key(value: MasterKey, *, field: str = "master_key") -> bytes | None:
    """Return the master key given (bytes, a function returning them, or the environment).

    With neither bytes nor a function, the environment variable
    :data:`MASTER_KEY_VARIABLE` (base64 of 32 bytes) is read; unset means no
    master key. The key itself never appears in a message.

    Raises
    ------
    DataContractError
        If the key is not 32 bytes, or the variable is not base64 of 32 bytes.
    """
    if value is None:
        text = os.environ.get(MASTER_KEY_VARIABLE)
        if not text:
            return None
        try:
            key = base64.b64decode(text.strip(), validate=True)
        except binascii.Error:
            key = b""
        if len(key) != KEY_BYTES:
            msg = (
                f"the environment variable {MASTER_KEY_VARIABLE} must be the base64 of "
                f"{KEY_BYTES} random bytes (got {len(text)} characters that are not); make "
                'one with: python -c "import base64, secrets; '
                'print(base64.b64encode(secrets.token_bytes(32)).decode())"'
            )
            raise DataContractError(msg, column=MASTER_KEY_VARIABLE, value="<hidden>")
        return key
    key = value() if callable(value) else value
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        shown = f"{len(key)} bytes" if isinstance(key, bytes) else f"a {type(key).__name__}"
        msg = (
            f"{field} must be {KEY_BYTES} bytes, or a function returning them (got {shown}); "
            "make one with secrets.token_bytes(32) and keep it outside the database."
        )
        raise DataContractError(msg, column=field, value="<hidden>")
    return key
