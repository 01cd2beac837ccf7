"""Secrets from a YAML or JSON file: the `dsl` command's `--secrets FILE`.

The file is one map, secret name -> value (a string, or a map such as
``{username: ..., password: ...}`` for basic auth). It is read on each lookup, so
an edited file takes effect for the next execution without restarting a worker.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from stigmer.commons.v1.secret_pb2 import ExecutionGrant
from stigmer_common.secret_redaction import process_redactor

from workflow_runner.secrets.errors import SecretAccessError

SECRETS_FILE_ENV = "STIGMER_SECRETS_FILE"
"""Environment variable naming the secrets file when `--secrets` is not given."""


class SecretsFileError(ValueError):
    """The secrets file is missing or is not a map."""


class FileSecretProvider:
    """Reads secrets from one YAML/JSON file (JSON is valid YAML, one parser suffices)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path

    @staticmethod
    def from_env(environ: Mapping[str, str] | None = None) -> FileSecretProvider | None:
        """The provider named by ``STIGMER_SECRETS_FILE``, or None when unset."""
        env = os.environ if environ is None else environ
        name = env.get(SECRETS_FILE_ENV, "").strip()
        return FileSecretProvider(Path(name)) if name else None

    def load(self) -> dict[str, Any]:
        """The whole map, validated.

        Raises:
            SecretsFileError: the file is missing, unparsable, or not a map of names.
        """
        try:
            text = self._path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretsFileError(f"secrets file {self._path}: {exc.strerror}") from exc
        try:
            data = yaml.safe_load(text) if self._path.suffix != ".json" else json.loads(text)
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            # The parser's message may quote file content; keep only its position.
            where = getattr(exc, "problem_mark", None) or getattr(exc, "lineno", "?")
            raise SecretsFileError(
                f"secrets file {self._path}: not valid YAML/JSON near {where}"
            ) from None
        if data is None:
            return {}
        if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
            raise SecretsFileError(
                f"secrets file {self._path}: expected a map of secret name -> value"
            )
        return data

    async def resolve(
        self,
        names: Sequence[str],
        execution_id: str | None = None,
        grant: ExecutionGrant | None = None,
    ) -> Mapping[str, Any]:
        available = self.load()
        missing = [n for n in names if n not in available]
        if missing:
            raise SecretAccessError(
                f"secret(s) {', '.join(repr(n) for n in missing)} not found in the secrets "
                f"file {self._path}",
                names=missing,
            )
        resolved = {n: available[n] for n in names}
        # Kept out of this process's logs (where a redacting filter is installed).
        process_redactor().add(v for v in resolved.values() if isinstance(v, str))
        return resolved
