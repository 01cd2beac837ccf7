"""A catalog over a directory of DSL files (`--catalog DIR`).

Files are matched by their ``document`` namespace/name/version, never by file
name: a file name is a local accident, the document fields are the identity the
spec references. The directory is scanned on each lookup so files added while a
worker runs are found; a catalog of hundreds of small files scans in milliseconds.
Version ``latest`` (the spec's default) picks the highest version of that name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from workflow_runner.catalog.catalog import CatalogError, UnknownWorkflowError, WorkflowReference

_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class CatalogEntry:
    """One definition found in the directory."""

    reference: WorkflowReference
    path: Path


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    # Numeric parts compare as numbers so 0.10.0 > 0.9.0; others as text.
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-+]", version))


class DirectoryCatalog:
    """Workflow definitions stored as files under one directory (recursively)."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise CatalogError(f"catalog directory {root} does not exist")
        self._root = root

    @property
    def root(self) -> Path:
        return self._root

    def entries(self) -> Iterator[CatalogEntry]:
        """Every readable definition; files without a complete ``document`` are skipped."""
        for path in sorted(self._root.rglob("*")):
            if path.suffix not in _SUFFIXES or not path.is_file():
                continue
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                continue
            document = data.get("document") if isinstance(data, dict) else None
            if not isinstance(document, dict):
                continue
            fields = [document.get(k) for k in ("namespace", "name", "version")]
            if all(isinstance(f, str) and f for f in fields):
                yield CatalogEntry(WorkflowReference(*[str(f) for f in fields]), path)

    def find(self, reference: WorkflowReference) -> CatalogEntry:
        """The single entry matching ``reference``.

        Raises:
            UnknownWorkflowError: no match (the message lists what the catalog holds
                under that namespace/name, to spot version typos).
            CatalogError: two files declare the same namespace/name/version.
        """
        same_name = [
            e
            for e in self.entries()
            if (e.reference.namespace, e.reference.name) == (reference.namespace, reference.name)
        ]
        if reference.version == "latest" and same_name:
            best = max(_version_key(e.reference.version) for e in same_name)
            matches = [e for e in same_name if _version_key(e.reference.version) == best]
        else:
            matches = [e for e in same_name if e.reference.version == reference.version]
        if not matches:
            known = sorted({e.reference.version for e in same_name})
            hint = f"; versions present: {', '.join(known)}" if known else ""
            raise UnknownWorkflowError(
                f"workflow {reference} not found in catalog {self._root}{hint}"
            )
        if len(matches) > 1:
            files = ", ".join(str(e.path.relative_to(self._root)) for e in matches)
            raise CatalogError(
                f"workflow {matches[0].reference} is ambiguous in catalog {self._root}: "
                f"defined by {files}"
            )
        return matches[0]

    async def resolve(self, reference: WorkflowReference, org: str = "") -> str:
        # One directory, no orgs: the `dsl` command's catalog.
        return self.find(reference).path.read_text(encoding="utf-8")
