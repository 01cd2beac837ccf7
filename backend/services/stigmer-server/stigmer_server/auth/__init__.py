"""Optional API-key authentication of every RPC except health checks."""

from stigmer_server.auth.api_key_interceptor import ApiKeyInterceptor

__all__ = ["ApiKeyInterceptor"]
