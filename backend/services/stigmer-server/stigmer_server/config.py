"""Server configuration, read once from the environment at start-up.

Everything else receives a :class:`ServerConfig`; no other module reads
``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
from stigmer_common.api_keys import KeyEntry, KeyEntryError, parse_entry

#: Key id of the zero-config identity; no configured key may use it.
LOCAL_KEY_ID = "local"

DEFAULT_GRPC_ADDRESS = "127.0.0.1:7234"
DEFAULT_TEMPORAL_HOST_PORT = "127.0.0.1:7233"
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# Reconciliation: how often PENDING executions without an orchestration are
# (re)started, and how long one may stay unstartable before it is FAILED.
DEFAULT_RECONCILE_INTERVAL_SECONDS = 30.0
DEFAULT_START_DEADLINE_SECONDS = 600.0

# Queue overrides from the architecture brief; the generated contract runtime
# applies them, the server only records what was set (for logs and S2's worker).
QUEUE_OVERRIDE_VARIABLES = (
    "TEMPORAL_WORKFLOW_EXECUTION_STIGMER_TASK_QUEUE",
    "TEMPORAL_WORKFLOW_EXECUTION_RUNNER_TASK_QUEUE",
    "TEMPORAL_AGENT_EXECUTION_STIGMER_TASK_QUEUE",
    "TEMPORAL_AGENT_EXECUTION_RUNNER_TASK_QUEUE",
)


class ConfigError(ValueError):
    """An environment variable holds a value the server cannot use."""


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of the server's TLS certificate (chain) and private key."""

    cert_file: Path
    key_file: Path

    def read(self) -> tuple[bytes, bytes]:
        """(certificate chain, private key) bytes."""
        return self.cert_file.read_bytes(), self.key_file.read_bytes()


@dataclass(frozen=True)
class TemporalSettings:
    """Temporal client settings and the reconciliation of unstarted executions.

    Attributes:
        reconcile_interval_seconds: ``STIGMER_RECONCILE_INTERVAL_SECONDS``: every
            this often, each PENDING execution without an orchestration workflow
            is started (also the retry period of the background reconnect).
        start_deadline_seconds: ``STIGMER_START_DEADLINE_SECONDS``: an execution
            whose orchestration could not be started for this long ends FAILED.
    """

    host_port: str = DEFAULT_TEMPORAL_HOST_PORT
    namespace: str = "default"
    queue_overrides: tuple[tuple[str, str], ...] = ()
    reconcile_interval_seconds: float = DEFAULT_RECONCILE_INTERVAL_SECONDS
    start_deadline_seconds: float = DEFAULT_START_DEADLINE_SECONDS


@dataclass(frozen=True)
class ServerConfig:
    """All settings of one server process (logs, metrics and health: ``stigmer_observability``).

    Attributes:
        data_dir: RocksDB directory owner (``STIGMER_DATA_DIR``; default: the
            user data dir, e.g. ``~/.local/share/stigmer``).
        grpc_address: host:port to listen on (``STIGMER_GRPC_ADDRESS``); loopback
            by default so nothing is exposed unless asked. Port 0 picks a free port.
        max_message_bytes: Largest request/response (``STIGMER_MAX_MESSAGE_BYTES``).
        api_keys: Accepted API keys as ``<id>:<role>:<org>:<scrypt hash>`` entries
            (``STIGMER_API_KEYS`` comma-separated and/or ``STIGMER_API_KEYS_FILE``,
            one per line; ``stigmer keys create`` makes one). Empty: zero-config
            mode, every caller is the local admin. Excluded from repr.
        tls: Certificate and key to serve TLS with (``STIGMER_TLS_CERT_FILE``,
            ``STIGMER_TLS_KEY_FILE``, both or neither); None serves plaintext.
        temporal: Temporal client settings (``TEMPORAL_HOST_PORT``, ``TEMPORAL_NAMESPACE``)
            and the reconciliation periods (see :class:`TemporalSettings`).
        shutdown_grace_seconds: In-flight RPCs get this long on shutdown.
    """

    data_dir: Path
    grpc_address: str = DEFAULT_GRPC_ADDRESS
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    api_keys: tuple[KeyEntry, ...] = field(default=(), repr=False)
    tls: TlsFiles | None = None
    temporal: TemporalSettings = field(default_factory=TemporalSettings)
    shutdown_grace_seconds: float = 5.0

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys)

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> ServerConfig:
        """Reads the configuration from ``env`` (default: the process environment).

        Raises:
            ConfigError: A variable is malformed (names the variable).
        """
        env = os.environ if env is None else env
        data_dir = env.get("STIGMER_DATA_DIR") or platformdirs.user_data_dir("stigmer")
        return ServerConfig(
            data_dir=Path(data_dir).expanduser(),
            grpc_address=env.get("STIGMER_GRPC_ADDRESS") or DEFAULT_GRPC_ADDRESS,
            max_message_bytes=_positive_int(
                env, "STIGMER_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES
            ),
            api_keys=_api_keys(env),
            tls=_tls_files(env),
            temporal=TemporalSettings(
                host_port=env.get("TEMPORAL_HOST_PORT") or DEFAULT_TEMPORAL_HOST_PORT,
                namespace=env.get("TEMPORAL_NAMESPACE") or "default",
                queue_overrides=tuple(
                    (name, env[name]) for name in QUEUE_OVERRIDE_VARIABLES if env.get(name)
                ),
                reconcile_interval_seconds=_positive_float(
                    env, "STIGMER_RECONCILE_INTERVAL_SECONDS", DEFAULT_RECONCILE_INTERVAL_SECONDS
                ),
                start_deadline_seconds=_positive_float(
                    env, "STIGMER_START_DEADLINE_SECONDS", DEFAULT_START_DEADLINE_SECONDS
                ),
            ),
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value > 0:  # also refuses nan
        raise ConfigError(f"{name} must be positive, got {raw}")
    return value


def _api_keys(env: Mapping[str, str]) -> tuple[KeyEntry, ...]:
    """Key entries; a malformed one is named by variable and position, never echoed
    (it may hold a plaintext key pasted by mistake)."""
    sources: list[tuple[str, str]] = [
        (f"STIGMER_API_KEYS entry {i + 1}", text.strip())
        for i, text in enumerate((env.get("STIGMER_API_KEYS") or "").split(","))
    ]
    key_file = env.get("STIGMER_API_KEYS_FILE")
    if key_file:
        try:
            lines = Path(key_file).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise ConfigError(
                f"STIGMER_API_KEYS_FILE {key_file!r} cannot be read: {error.strerror}"
            ) from None
        sources += [
            (f"STIGMER_API_KEYS_FILE line {i + 1}", line.strip())
            for i, line in enumerate(lines)
            if not line.lstrip().startswith("#")
        ]
    entries: dict[str, KeyEntry] = {}
    for where, text in sources:
        if not text:
            continue
        try:
            entry = parse_entry(text)
        except KeyEntryError as error:
            raise ConfigError(f"{where}: {error}") from None
        if entry.key_id == LOCAL_KEY_ID:
            raise ConfigError(f"{where}: key id {LOCAL_KEY_ID!r} is reserved (zero-config mode)")
        if entry.key_id in entries and entries[entry.key_id] != entry:
            raise ConfigError(f"{where}: key id {entry.key_id!r} is configured twice")
        entries[entry.key_id] = entry
    return tuple(entries.values())


def _tls_files(env: Mapping[str, str]) -> TlsFiles | None:
    cert, key = env.get("STIGMER_TLS_CERT_FILE"), env.get("STIGMER_TLS_KEY_FILE")
    if not cert and not key:
        return None
    if not cert or not key:
        raise ConfigError("STIGMER_TLS_CERT_FILE and STIGMER_TLS_KEY_FILE must be set together")
    for name, value in (("STIGMER_TLS_CERT_FILE", cert), ("STIGMER_TLS_KEY_FILE", key)):
        try:
            Path(value).read_bytes()
        except OSError as error:
            raise ConfigError(f"{name} {value!r} cannot be read: {error.strerror}") from None
    return TlsFiles(Path(cert), Path(key))
