"""ResourceStore on a real RocksDB directory: records, atomic indexes, order, lock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stigmer_server.store import DataDirectoryInUse, RecordIndex, RecordWrite, ResourceStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ResourceStore]:
    s = ResourceStore(tmp_path)
    s.open()
    yield s
    s.close()


def put(
    space: str, rid: str, data: bytes, org: str = "o", slug: str = "", parents: tuple[str, ...] = ()
) -> RecordWrite:
    return RecordWrite(space, rid, data, RecordIndex(org, slug or rid, parents))


def test_record_and_slug_index_written_together(store: ResourceStore) -> None:
    store.write([put("wf", "wfl-1", b"one", slug="hello")])
    assert store.get("wf", "wfl-1") == b"one"
    assert store.id_by_slug("wf", "o", "hello") == "wfl-1"
    assert store.id_by_slug("wf", "other-org", "hello") is None


def test_changed_slug_and_parent_drop_stale_index_entries(store: ResourceStore) -> None:
    store.write([put("win", "win-1", b"a", slug="old", parents=("wfl-1",))])
    store.write([put("win", "win-1", b"b", slug="new", parents=("wfl-2",))])
    assert store.id_by_slug("win", "o", "old") is None
    assert store.id_by_slug("win", "o", "new") == "win-1"
    assert not store.has_children("win", "wfl-1")
    assert store.has_children("win", "wfl-2")


def test_rewrite_with_the_same_index_writes_the_record_only(store: ResourceStore) -> None:
    first = store.write([put("wex", "wex-1", b"a", slug="run", parents=("wfl-1",))])
    again = store.write([put("wex", "wex-1", b"b", slug="run", parents=("wfl-1",))])
    assert again - first == 1  # one put in the batch: index entries left as they are
    assert store.get("wex", "wex-1") == b"b"
    assert store.id_by_slug("wex", "o", "run") == "wex-1"
    assert store.has_children("wex", "wfl-1")
    moved = store.write([put("wex", "wex-1", b"c", slug="run", parents=("wfl-2",))])
    assert moved - again > 1  # a changed index is rewritten
    assert store.has_children("wex", "wfl-2") and not store.has_children("wex", "wfl-1")


def test_delete_removes_record_and_every_index(store: ResourceStore) -> None:
    before = store.content_digest()
    store.write([put("win", "win-1", b"a", slug="s", parents=("wfl-1",))])
    store.write([RecordWrite("win", "win-1", None)])
    assert store.get("win", "win-1") is None
    assert store.content_digest() == before  # nothing left behind, indexes included


def test_list_is_oldest_first_with_pages(store: ResourceStore) -> None:
    ids = [f"wex-{i:03d}" for i in range(7)]
    store.write([put("wex", i, i.encode()) for i in ids])
    page = store.list("wex", limit=3)
    assert page.records == [b"wex-000", b"wex-001", b"wex-002"]
    seen = list(page.records)
    while page.last_id:
        page = store.list("wex", limit=3, after_id=page.last_id)
        seen += page.records
    assert seen == [i.encode() for i in ids]


def test_list_exact_page_has_no_continuation(store: ResourceStore) -> None:
    store.write([put("s", f"x-{i}", b"v") for i in range(3)])
    assert store.list("s", limit=3).last_id == ""


def test_list_by_org_and_parent(store: ResourceStore) -> None:
    store.write(
        [
            put("wex", "wex-1", b"1", org="a", parents=("wfl-1",)),
            put("wex", "wex-2", b"2", org="b", parents=("wfl-1",)),
            put("wex", "wex-3", b"3", org="a", parents=("wfl-2",)),
        ]
    )
    assert store.list("wex", org="a", limit=10).records == [b"1", b"3"]
    assert store.list("wex", parent_id="wfl-1", limit=10).records == [b"1", b"2"]
    assert store.list("wex", org="a", parent_id="wfl-1", limit=10).records == [b"1"]


def test_spaces_do_not_bleed_into_each_other(store: ResourceStore) -> None:
    store.write([put("a", "x-1", b"a"), put("ab", "x-2", b"ab")])
    assert store.list("a", limit=10).records == [b"a"]


def test_second_owner_of_the_directory_fails_clearly(store: ResourceStore, tmp_path: Path) -> None:
    with pytest.raises(
        DataDirectoryInUse, match=r"already used by another stigmer-server process \(pid \d+\)"
    ):
        ResourceStore(tmp_path).open()


def test_directory_is_free_again_after_close(tmp_path: Path) -> None:
    first = ResourceStore(tmp_path)
    first.open()
    first.write([put("k", "k-1", b"v")])
    first.close()
    second = ResourceStore(tmp_path)
    second.open()
    assert second.get("k", "k-1") == b"v"
    second.close()
