"""The catalog interface: resolve ``{namespace, name, version}`` to a workflow definition.

The `dsl` command implements it over a directory; the platform will implement it
over stored Workflow resources. Lookups are I/O, so the engine calls them from an
activity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, order=True)
class WorkflowReference:
    """The identity of a workflow definition: its ``document`` namespace, name and version."""

    namespace: str
    name: str
    version: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}:{self.version}"


class CatalogError(Exception):
    """The catalog cannot answer (unreadable source, ambiguous duplicates)."""


class UnknownWorkflowError(CatalogError):
    """No definition matches the reference."""


class WorkflowCatalog(Protocol):
    """Looks workflow definitions up by reference."""

    async def resolve(self, reference: WorkflowReference, org: str = "") -> str:
        """The definition's source text (YAML or JSON).

        ``org`` is the org of the platform execution running the reference: a
        catalog of several orgs' workflows looks in that one only. Empty outside
        the platform.

        Raises:
            UnknownWorkflowError: nothing matches ``reference``.
            CatalogError: more than one definition matches, or the catalog is unreadable.
        """
        ...
