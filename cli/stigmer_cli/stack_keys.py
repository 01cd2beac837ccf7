"""The local stack's runner key when stigmer-server requires API keys.

Zero-config (no ``STIGMER_API_KEYS``/``STIGMER_API_KEYS_FILE``): nothing to do,
every caller is the local admin. With keys configured, the runner needs a
runner-role key: the one in ``STIGMER_SERVICE_API_KEY`` if the user set it,
otherwise a fresh key minted for this stack's lifetime (org ``*``: one runner
serves every org's executions), its entry added to the server's
``STIGMER_API_KEYS`` and the key itself given only to the runner. It lives in
the two children's environments and nowhere on disk.
"""

from __future__ import annotations

from collections.abc import Mapping

from stigmer_common.api_keys import ALL_ORGS, new_key

STACK_RUNNER_KEY_ID = "local-stack-runner"


def runner_key_env(env: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(extra environment of stigmer-server, extra environment of the runner)."""
    if not (env.get("STIGMER_API_KEYS") or env.get("STIGMER_API_KEYS_FILE")):
        return {}, {}
    if env.get("STIGMER_SERVICE_API_KEY"):
        return {}, {}
    key, entry = new_key(STACK_RUNNER_KEY_ID, "runner", ALL_ORGS)
    configured = (env.get("STIGMER_API_KEYS") or "").strip().rstrip(",")
    entries = f"{configured},{entry.line()}" if configured else entry.line()
    return {"STIGMER_API_KEYS": entries}, {"STIGMER_SERVICE_API_KEY": key}
