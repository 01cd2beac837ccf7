"""Request validation: protovalidate rules plus the typed task configs of workflows."""
