"""Who a request or a chat login stands for: keys by their sha256 digest (named or not), login names."""

from __future__ import annotations

import hashlib

import pytest

from store.principals import Principal
from ui.api.identity import admin_key_matches, configured_keys, key_digest, login_principal, matching_key

ALPHA, BETA = hashlib.sha256(b"alpha").hexdigest(), hashlib.sha256(b"beta").hexdigest()


def test_keys_match_only_their_sha256_digest() -> None:
    entries = [ALPHA, BETA.upper()]
    assert matching_key("alpha", entries).digest == ALPHA
    assert matching_key("beta", entries).digest == BETA  # hex case does not matter
    assert matching_key("gamma", entries) is None
    assert key_digest("alpha") == ALPHA


def test_a_key_stands_for_a_stable_principal_that_holds_no_secret() -> None:
    unnamed = matching_key("alpha", [ALPHA]).principal
    assert unnamed == matching_key("alpha", [BETA, f" {ALPHA} "]).principal  # the same key, the same owner
    assert unnamed.id.startswith("key:") and ALPHA not in unnamed.id and "alpha" not in unnamed.id
    assert unnamed != matching_key("beta", [ALPHA, BETA]).principal
    named = matching_key("alpha", [f"studio-a:{ALPHA}"]).principal
    assert named == Principal(id="key:studio-a")
    assert matching_key("beta", [f"studio-a:{BETA}"]).principal == named  # a new key under the name keeps its records


@pytest.mark.parametrize("entry", ["", "nothex" * 11, f"Bad Name:{ALPHA}", f"{ALPHA}\n{BETA}", ALPHA[:-1]])
def test_an_unreadable_entry_matches_no_key(entry: str) -> None:
    assert configured_keys([entry]) == [] or entry.strip().lower() == ALPHA
    assert matching_key("alpha", [entry]) is None


def test_the_admin_key_is_compared_by_digest() -> None:
    assert admin_key_matches("alpha", ALPHA.upper())
    assert not admin_key_matches("beta", ALPHA)


@pytest.mark.parametrize(("typed", "principal"), [
    ("Minji", "user:minji"), (" 민지 ", "user:민지"), ("ＭＩＮＪＩ", "user:minji"), ("a.b@studio-1", "user:a.b@studio-1"),
])
def test_each_login_name_is_its_own_principal(typed: str, principal: str) -> None:
    assert login_principal(typed) == Principal(id=principal)


@pytest.mark.parametrize("typed", ["", "  ", "a b", "x" * 33, "a/b", "a\nb", "key:alice"])
def test_a_login_name_that_cannot_be_an_owner_is_refused(typed: str) -> None:
    assert login_principal(typed) is None
