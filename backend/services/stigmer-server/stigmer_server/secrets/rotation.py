"""At start-up: every stored secret sealed under the current ring key.

Re-encrypts secrets sealed under an older key (after a rotation: a new current
key, the old one still in the ring), and seals secrets stored in clear before
sealing existed. Runs before the server serves, so it holds no lock. When
anything changed, the store is compacted so the old versions leave its files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from stigmer_common.secret_seal import SecretSealer

from stigmer_server import kinds
from stigmer_server.repository import Repository, ResourceWrite
from stigmer_server.resource_fields import metadata_of
from stigmer_server.secrets.sealed_values import rewrap_data, seal_clear_secrets

_log = logging.getLogger(__name__)
_PAGE = 500


async def reseal_stored_secrets(
    repository: Repository, sealer: SecretSealer, compact: Callable[[], None]
) -> int:
    """Re-encrypts what is not under the current key; returns how many resources changed.

    ``compact`` then rewrites the store's files, so the replaced versions (under
    the old key, or in clear) do not linger in them.
    """
    changed = 0
    for kind in (kinds.ENVIRONMENT, kinds.EXECUTION_CONTEXT):
        token = ""
        while True:
            page = repository.list(kind, org="", parent_id="", page_size=_PAGE, page_token=token)
            writes: list[ResourceWrite] = []
            for resource in page.items:
                sealed = seal_clear_secrets(resource, sealer)
                if rewrap_data(resource, sealer) or sealed:
                    writes.append(ResourceWrite(kind, metadata_of(resource).id, resource))
            if writes:
                await repository.wait_durable(repository.write(writes))
                changed += len(writes)
            token = page.next_page_token
            if not token:
                break
    if changed:
        compact()
        _log.info(
            "stored secrets re-encrypted under the current key, store compacted",
            extra={
                "event": "secrets_resealed",
                "resources": changed,
                "key_id": sealer.current_key_id,
            },
        )
    return changed
