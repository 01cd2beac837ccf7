"""Runtime of the generated Temporal contracts (``*_temporal.py``).

Generated modules only declare data (names, queues, timeouts, message types);
the behaviour — filling defaults, env overrides, id templates, registration
checks — lives here, hand-written and tested once.
"""

from stigmer_temporal.contract import (
    ActivityContract,
    ContractViolation,
    JsonPayload,
    QueryContract,
    RetryPolicySpec,
    ServiceContract,
    SignalContract,
    TaskQueue,
    WorkflowContract,
)

__all__ = [
    "ActivityContract",
    "ContractViolation",
    "JsonPayload",
    "QueryContract",
    "RetryPolicySpec",
    "ServiceContract",
    "SignalContract",
    "TaskQueue",
    "WorkflowContract",
]
