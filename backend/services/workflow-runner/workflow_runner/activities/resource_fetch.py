"""Reading a DSL ``externalResource`` (a proto file, an OpenAPI document, a script).

The engine hands activities the resource's URI; ``file://`` URIs read the
worker's file system and ``http(s)://`` URIs are fetched with the shared client
(optionally authenticated). Relative ``file://`` paths (``file://app/x.proto``)
resolve against the worker's working directory.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from urllib.parse import unquote, urlsplit

from workflow_runner.activities.http_exchange import HttpExchange
from workflow_runner.activities.http_models import HttpAuthentication, HttpCallInput
from workflow_runner.activities.problem import problem


def file_path(uri: str) -> Path | None:
    """The local path of a ``file:`` URI (or bare path), ``None`` for other schemes."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        # file:///abs/path -> netloc ''; file://app/x -> netloc 'app' (relative).
        return Path(unquote(parts.netloc + parts.path))
    if parts.scheme == "" and uri:
        return Path(uri)
    return None


class ResourceFetcher:
    """Reads external resources as text.

    Args:
        exchange: Used for ``http(s)`` resources.
    """

    def __init__(self, exchange: HttpExchange) -> None:
        self._exchange = exchange

    async def read_text(
        self, uri: str, field: str, authentication: HttpAuthentication | None = None
    ) -> str:
        """The resource's content.

        Args:
            uri: ``file:`` or ``http(s):`` URI.
            field: The DSL field naming the resource, for error messages.
            authentication: Policy for ``http(s)`` resources.

        Raises:
            ApplicationError: ``configuration`` for an unsupported scheme or a
                missing file, ``communication`` when the download fails.
        """
        path = file_path(uri)
        if path is not None:
            try:
                return await asyncio.to_thread(path.read_text, encoding="utf-8")
            except OSError as exc:
                raise problem(
                    "configuration",
                    "External resource not readable",
                    f"'{field}' {uri!r}: cannot read {path}: {exc.strerror or exc}",
                ) from exc
        scheme = urlsplit(uri).scheme
        if scheme not in ("http", "https"):
            raise problem(
                "configuration",
                "Unsupported external resource",
                f"'{field}' must be a file:// or http(s):// URI, got {uri!r}",
            )
        content = await self._exchange.send(
            HttpCallInput(
                method="get",
                uri=uri,
                output="raw",
                redirect=True,
                authentication=authentication,
            )
        )
        try:
            return base64.b64decode(content).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise problem(
                "configuration",
                "External resource is not text",
                f"'{field}' {uri!r} is not UTF-8 text",
            ) from exc
