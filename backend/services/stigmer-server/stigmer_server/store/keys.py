"""The key layout of the one RocksDB key space.

Every kind gets its own "space" (its snake-case name). Separators are "/";
ids, orgs and slugs never contain one (their patterns forbid it), so prefix
scans cannot bleed into a neighbour.

- ``r/<space>/<id>``                record: the serialized proto
- ``i/<space>/<id>``                the index entries of the record (JSON), so a
                                    rewrite or delete can remove stale entries
- ``s/<space>/<org>/<slug>``        slug -> id (unique per kind and org)
- ``o/<space>/<org>/<id>``          org membership, for listing one org
- ``p/<space>/<parent_id>/<id>``    parent -> children (workflow -> instances and
                                    executions, instance -> executions, ...)
"""

from __future__ import annotations


def record(space: str, resource_id: str) -> bytes:
    return f"r/{space}/{resource_id}".encode()


def record_prefix(space: str) -> bytes:
    return f"r/{space}/".encode()


def index_entries(space: str, resource_id: str) -> bytes:
    return f"i/{space}/{resource_id}".encode()


def slug(space: str, org: str, slug_value: str) -> bytes:
    return f"s/{space}/{org}/{slug_value}".encode()


def org_member(space: str, org: str, resource_id: str) -> bytes:
    return f"o/{space}/{org}/{resource_id}".encode()


def org_prefix(space: str, org: str) -> bytes:
    return f"o/{space}/{org}/".encode()


def child(space: str, parent_id: str, resource_id: str) -> bytes:
    return f"p/{space}/{parent_id}/{resource_id}".encode()


def child_prefix(space: str, parent_id: str) -> bytes:
    return f"p/{space}/{parent_id}/".encode()
