"""Where a workflow's `$secrets` come from: a provider interface and its implementations."""

from workflow_runner.secrets.errors import AUTHORIZATION_ERROR_TYPE, SecretAccessError
from workflow_runner.secrets.file_provider import SECRETS_FILE_ENV, FileSecretProvider
from workflow_runner.secrets.provider import SecretProvider

__all__ = [
    "AUTHORIZATION_ERROR_TYPE",
    "SECRETS_FILE_ENV",
    "FileSecretProvider",
    "SecretAccessError",
    "SecretProvider",
]
