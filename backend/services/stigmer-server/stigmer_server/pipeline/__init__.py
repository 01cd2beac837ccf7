"""A write RPC as a list of named steps (see :class:`Pipeline`)."""

from stigmer_server.pipeline.context import PendingWrite, RequestContext
from stigmer_server.pipeline.runtime import Pipeline, Step, StepFailed, UnderLock

__all__ = ["PendingWrite", "Pipeline", "RequestContext", "Step", "StepFailed", "UnderLock"]
