"""The create / update / delete pipelines every kind shares, with kind hooks.

Reading a kind's write path: ``create_pipeline`` below is the list of steps;
a kind adds its reference resolution (``resolve``) and side effects.
"""

from __future__ import annotations

from collections.abc import Sequence

from stigmer_server.api.resource_servicers import CommandPipelines
from stigmer_server.dependencies import Dependencies
from stigmer_server.kinds import KindDescriptor
from stigmer_server.pipeline import Pipeline, Step, UnderLock
from stigmer_server.pipeline.steps.build_state import BuildCreatedState, BuildUpdatedState
from stigmer_server.pipeline.steps.duplicates import CheckSlugFree
from stigmer_server.pipeline.steps.execution_delete import EndSubscriptions
from stigmer_server.pipeline.steps.load import CheckVersion, LoadById, LoadExisting
from stigmer_server.pipeline.steps.normalize import NormalizeMetadata
from stigmer_server.pipeline.steps.persist import (
    AwaitDurable,
    CheckNoChildren,
    Persist,
    PersistDelete,
)
from stigmer_server.pipeline.steps.prepare import PrepareResource
from stigmer_server.pipeline.steps.publish import PublishChange
from stigmer_server.pipeline.steps.validate import (
    ExtraValidation,
    ValidateRequest,
    ValidateResource,
)


def create_pipeline(
    kind: KindDescriptor,
    deps: Dependencies,
    *,
    extra_validation: ExtraValidation | None = None,
    resolve: Sequence[Step] = (),
    side_effects: Sequence[Step] = (),
) -> Pipeline:
    return Pipeline(
        f"{kind.space}-create",
        [
            PrepareResource(deps),
            ValidateResource(extra_validation),
            NormalizeMetadata(deps),
            UnderLock(
                deps.repository.write_lock,
                [*resolve, CheckSlugFree(deps), BuildCreatedState(deps), Persist(deps)],
            ),
            AwaitDurable(deps),
            *side_effects,
            PublishChange(deps),
        ],
    )


def update_pipeline(
    kind: KindDescriptor,
    deps: Dependencies,
    *,
    extra_validation: ExtraValidation | None = None,
    resolve: Sequence[Step] = (),
) -> Pipeline:
    return Pipeline(
        f"{kind.space}-update",
        [
            PrepareResource(deps),
            ValidateResource(extra_validation),
            NormalizeMetadata(deps),
            UnderLock(
                deps.repository.write_lock,
                [
                    LoadExisting(deps),
                    CheckVersion(),
                    *resolve,
                    CheckSlugFree(deps),
                    BuildUpdatedState(deps),
                    Persist(deps),
                ],
            ),
            AwaitDurable(deps),
            PublishChange(deps),
        ],
    )


def delete_pipeline(
    kind: KindDescriptor, deps: Dependencies, *, delete_checks: Sequence[Step] = ()
) -> Pipeline:
    """``delete_checks`` run on the loaded resource, under the lock, before the delete."""
    return Pipeline(
        f"{kind.space}-delete",
        [
            ValidateRequest(),
            UnderLock(
                deps.repository.write_lock,
                [LoadById(deps), *delete_checks, CheckNoChildren(deps), PersistDelete(deps)],
            ),
            AwaitDurable(deps),
            *([EndSubscriptions(deps)] if kind.is_execution else []),
        ],
    )


def standard_pipelines(
    kind: KindDescriptor,
    deps: Dependencies,
    *,
    extra_validation: ExtraValidation | None = None,
    resolve: Sequence[Step] = (),
    update_resolve: Sequence[Step] | None = None,
    side_effects: Sequence[Step] = (),
    delete_checks: Sequence[Step] = (),
) -> CommandPipelines:
    """The three pipelines of a kind; ``update_resolve`` defaults to ``resolve``."""
    return CommandPipelines(
        create=create_pipeline(
            kind,
            deps,
            extra_validation=extra_validation,
            resolve=resolve,
            side_effects=side_effects,
        ),
        update=update_pipeline(
            kind,
            deps,
            extra_validation=extra_validation,
            resolve=resolve if update_resolve is None else update_resolve,
        ),
        delete=delete_pipeline(kind, deps, delete_checks=delete_checks),
    )
