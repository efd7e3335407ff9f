"""Who is asking, for every door: an API key (REST, or a chat login with the key) or a chat login name.

``HYANGGI_API_KEYS`` holds each accepted key as its sha256 hex digest, optionally named: ``"alice:<digest>"``.
A named key's principal is ``key:alice`` (a new key under the same name keeps alice's records); an unnamed
key's is ``key:`` + the first 16 hex digits of sha256 over its digest — stable, not secret, and no key or
digest is ever stored. A chat password login's principal is ``user:`` + the name typed at login.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable

from pydantic import BaseModel

from store.principals import Principal

_ENTRY = re.compile(r"(?:(?P<name>[a-z0-9][a-z0-9_.-]{0,31}):)?(?P<digest>[0-9a-f]{64})")
_LOGIN_NAME = re.compile(r"[\w.@-]{1,32}")
PRINCIPAL_HASH_DIGITS = 16


class ApiKey(BaseModel):
    """One configured key: its digest and the principal it stands for."""

    digest: str
    principal: Principal


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def configured_keys(entries: Iterable[str]) -> list[ApiKey]:
    """The readable entries of ``HYANGGI_API_KEYS`` (an entry in neither form matches no key)."""
    keys = []
    for entry in entries:
        found = _ENTRY.fullmatch(entry.strip().lower())
        if found is None:
            continue
        digest = found["digest"]
        name = found["name"] or hashlib.sha256(digest.encode()).hexdigest()[:PRINCIPAL_HASH_DIGITS]
        keys.append(ApiKey(digest=digest, principal=Principal(id=f"key:{name}")))
    return keys


def matching_key(key: str, entries: Iterable[str]) -> ApiKey | None:
    """The configured key ``key`` is, or None; every digest is compared in constant time (no early exit)."""
    candidate = key_digest(key).encode()
    found = None
    for configured in configured_keys(entries):
        if hmac.compare_digest(candidate, configured.digest.encode()):
            found = configured
    return found


def admin_key_matches(key: str, digest: str) -> bool:
    """Whether ``key`` is the admin key configured as ``digest`` (compared in constant time)."""
    return hmac.compare_digest(key_digest(key).encode(), digest.strip().lower().encode())


def login_principal(username: str) -> Principal | None:
    """The principal of a chat password login, from the name typed (NFKC, case-folded); None for a name that
    is empty, longer than 32 characters or holds anything but letters, digits and ``. @ - _``."""
    name = unicodedata.normalize("NFKC", username).strip().casefold()
    return Principal(id=f"user:{name}") if _LOGIN_NAME.fullmatch(name) else None
