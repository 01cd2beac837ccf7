"""Where `run: workflow` finds the definition it names: a catalog interface and a directory."""

from workflow_runner.catalog.catalog import (
    CatalogError,
    UnknownWorkflowError,
    WorkflowCatalog,
    WorkflowReference,
)
from workflow_runner.catalog.directory import DirectoryCatalog

__all__ = [
    "CatalogError",
    "DirectoryCatalog",
    "UnknownWorkflowError",
    "WorkflowCatalog",
    "WorkflowReference",
]
