"""Command line of the workflow runner: ``dsl run FILE`` runs a DSL file on Temporal."""
