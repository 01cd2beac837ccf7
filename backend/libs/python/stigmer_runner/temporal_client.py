"""The runner's Temporal client."""

from __future__ import annotations

from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from temporalio.client import Client
from temporalio.common import HeaderCodecBehavior

from stigmer_runner.settings import RunnerConnections


async def connect_temporal(settings: RunnerConnections) -> Client:
    """A Temporal client sealing payloads with the deployment's keyring (as the server does).

    Headers too: the engine's activities carry progress entries (task input) in one.
    """
    return await Client.connect(
        settings.temporal_host_port,
        namespace=settings.temporal_namespace,
        data_converter=encrypted_data_converter(load_keyring()),
        header_codec_behavior=HeaderCodecBehavior.CODEC,
    )
