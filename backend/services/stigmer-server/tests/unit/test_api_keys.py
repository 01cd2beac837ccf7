"""API key format, salted scrypt hashes, entries, and the server's key store."""

from __future__ import annotations

import pytest
from stigmer_common.api_keys import (
    SCRYPT_N,
    KeyEntryError,
    hash_secret,
    key_id_of,
    new_key,
    parse_entry,
    verify_secret,
)
from stigmer_server.auth.identity import Identity
from stigmer_server.auth.key_store import KeyStore

N = 2**4  # cheap work factor for tests; the format is the production one


def test_a_new_key_verifies_against_its_entry_and_nothing_else() -> None:
    key, entry = new_key("ci-bot", "user", "acme", n=N)
    assert key.startswith("stg_ci-bot_") and key_id_of(key) == "ci-bot"
    assert key not in entry.line()
    assert parse_entry(entry.line()) == entry
    assert verify_secret(key, entry.key_hash)
    assert not verify_secret(key + "x", entry.key_hash)
    other_key, _ = new_key("ci-bot", "user", "acme", n=N)
    assert not verify_secret(other_key, entry.key_hash)


def test_hashes_are_salted_and_default_to_the_rfc_work_factor() -> None:
    assert hash_secret("same", n=N) != hash_secret("same", n=N)
    assert hash_secret("k").startswith(f"scrypt${SCRYPT_N}$8$1$")


@pytest.mark.parametrize("key", ["", "plain", "stg_", "stg_id_", "stg__secret", "stg_Bad_x"])
def test_keys_not_in_the_format_name_no_id(key: str) -> None:
    assert key_id_of(key) is None


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("only-a-key", "an entry must be"),
        ("Id:user:acme:scrypt$16$1$1$AA$AA", "key id 'Id'"),
        ("a:root:acme:scrypt$16$1$1$AA$AA", "role 'root'"),
        ("a:user:ac me:scrypt$16$1$1$AA$AA", "org 'ac me'"),
        ("a:user:acme:scrypt$15$1$1$AA$AA", "invalid scrypt parameters"),
        ("a:user:acme:scrypt$16$1$1$!!$AA", "the hash must be"),
    ],
)
def test_malformed_entries_say_which_part(entry: str, message: str) -> None:
    with pytest.raises(KeyEntryError, match=message):
        parse_entry(entry)


async def test_the_key_store_resolves_identities_and_refuses_the_rest() -> None:
    admin_key, admin = new_key("ops", "admin", "*", n=N)
    runner_key, runner = new_key("runner-1", "runner", "acme", n=N)
    store = KeyStore([admin, runner])
    assert await store.authenticate(admin_key) == Identity("ops", "admin", "*")
    assert await store.authenticate(runner_key) == Identity("runner-1", "runner", "acme")
    assert await store.authenticate(runner_key) == Identity("runner-1", "runner", "acme")  # cached
    assert await store.authenticate(runner_key[:-1]) is None
    assert await store.authenticate("stg_nobody_abc") is None
    assert await store.authenticate("") is None
    with pytest.raises(ValueError):
        KeyStore([])
