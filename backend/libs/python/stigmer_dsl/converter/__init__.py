"""Conversion between a stored Workflow resource's spec and DSL 1.0 documents.

``to_dsl`` turns a ``stigmer.workflow.v1.WorkflowSpec`` into the YAML the
engine loads (covered by golden files); ``from_dsl`` turns a DSL document into
a Workflow resource for ``stigmer apply``.
"""

from stigmer_dsl.converter.from_dsl import workflow_from_dsl
from stigmer_dsl.converter.to_dsl import ConversionError, spec_to_document, spec_to_yaml

__all__ = ["ConversionError", "spec_to_document", "spec_to_yaml", "workflow_from_dsl"]
