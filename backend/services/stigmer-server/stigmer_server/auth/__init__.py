"""Authentication (API keys), identities with roles and orgs, and their checks."""

from stigmer_server.auth.identity import Identity, current_identity, require_role
from stigmer_server.auth.key_store import KeyStore

__all__ = ["Identity", "KeyStore", "current_identity", "require_role"]
