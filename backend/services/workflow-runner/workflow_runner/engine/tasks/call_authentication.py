"""Resolving a task's ``authentication`` into the settings the activities apply.

Handles the three ways the DSL writes a policy: inline (``basic: {...}``), by
name (``use: petStoreAuth`` or a bare string, looked up in
``use.authentications``), and a scheme whose properties come from a secret
(``basic: {use: mySecret}``: the secret is a map holding them). Expressions in
the policy (``token: ${ .token }``) are evaluated against the task input.

Secrets resolved here travel to the activity as its input; keeping them out of
readable history is the payload codec's job.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Final

from stigmer_dsl.errors import WorkflowError

from workflow_runner.activities.http_models import HttpAuthentication, OAuth2Settings
from workflow_runner.engine.context import TaskContext

SCHEMES: Final = ("basic", "bearer", "digest", "oauth2", "oidc", "certificate")
_DEFAULT_TOKEN_ENDPOINT: Final = "/oauth2/token"
_OIDC_DISCOVERY: Final = "/.well-known/openid-configuration"


def _policy(ctx: TaskContext, spec: Any, field_name: str) -> tuple[Mapping[str, Any], str]:
    """The policy mapping ``spec`` denotes, and the field to name in errors."""
    if isinstance(spec, str) or (isinstance(spec, Mapping) and set(spec) == {"use"}):
        name = spec if isinstance(spec, str) else spec["use"]
        policies = ctx.definition.use.get("authentications") or {}
        policy = policies.get(name) if isinstance(policies, Mapping) else None
        if not isinstance(policy, Mapping):
            raise WorkflowError.configuration(
                f"{field_name}: no authentication named {name!r} in use.authentications"
            )
        return policy, f"use.authentications.{name}"
    if not isinstance(spec, Mapping):
        raise WorkflowError.configuration(
            f"{field_name} must be an authentication policy or the name of one"
        )
    return spec, field_name


def _scheme_properties(
    ctx: TaskContext, scheme: str, raw: Any, field_name: str
) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise WorkflowError.configuration(f"{field_name}.{scheme} must be an object")
    secret_name = raw.get("use")
    if secret_name is None:
        evaluated = ctx.evaluate(dict(raw), field_name=f"{field_name}/{scheme}")
        if not isinstance(evaluated, Mapping):
            raise WorkflowError.configuration(f"{field_name}.{scheme} must be an object")
        return evaluated
    secret = ctx.secrets.get(str(secret_name)) if isinstance(ctx.secrets, Mapping) else None
    if secret is None:
        raise WorkflowError.authorization(
            f"{field_name}.{scheme}.use: secret {secret_name!r} is not available to this workflow"
        )
    if not isinstance(secret, Mapping):
        raise WorkflowError.configuration(
            f"{field_name}.{scheme}.use: secret {secret_name!r} must be an object holding "
            f"the {scheme} properties"
        )
    return secret


def _required(props: Mapping[str, Any], key: str, where: str) -> str:
    value = props.get(key)
    if value is None or value == "":
        raise WorkflowError.configuration(f"{where}.{key} is required")
    return str(value)


def _join(authority: str, path: str) -> str:
    if "://" in path:
        return path
    return authority.rstrip("/") + "/" + path.lstrip("/")


def _oauth2(props: Mapping[str, Any], scheme: str, where: str) -> OAuth2Settings:
    authority = _required(props, "authority", where)
    client = props.get("client") or {}
    request = props.get("request") or {}
    if not isinstance(client, Mapping) or not isinstance(request, Mapping):
        raise WorkflowError.configuration(f"{where}: 'client' and 'request' must be objects")
    endpoints = props.get("endpoints") or {}
    token_url = ""
    discovery_url = ""
    if scheme == "oidc":
        discovery_url = (
            authority if authority.endswith(_OIDC_DISCOVERY) else _join(authority, _OIDC_DISCOVERY)
        )
    else:
        token_url = _join(authority, str(endpoints.get("token") or _DEFAULT_TOKEN_ENDPOINT))
    grant = str(props.get("grant", "client_credentials")).replace("-", "_")
    return OAuth2Settings(
        token_url=token_url,
        discovery_url=discovery_url,
        grant=grant,
        client_id=None if client.get("id") is None else str(client["id"]),
        client_secret=None if client.get("secret") is None else str(client["secret"]),
        client_authentication=str(client.get("authentication") or "client_secret_post"),
        encoding=str(request.get("encoding") or "application/x-www-form-urlencoded"),
        scopes=[str(s) for s in props.get("scopes") or []],
        audiences=[str(a) for a in props.get("audiences") or []],
        username=None if props.get("username") is None else str(props["username"]),
        password=None if props.get("password") is None else str(props["password"]),
    )


def resolve_authentication(
    ctx: TaskContext, spec: Any, *, field_name: str
) -> HttpAuthentication | None:
    """The resolved policy for ``spec`` (``None`` when there is none).

    Also sets ``$authorization`` (``ctx.authorization``) for the schemes whose
    header is known before the call (basic, bearer).

    Raises:
        WorkflowError: ``configuration`` for an unknown name, scheme or missing
            property (named); ``authorization`` (403) for a missing secret.
    """
    if spec is None:
        return None
    policy, where = _policy(ctx, spec, field_name)
    schemes = [s for s in SCHEMES if s in policy]
    if len(schemes) != 1:
        raise WorkflowError.configuration(
            f"{where} must define exactly one of {', '.join(SCHEMES)}"
        )
    scheme = schemes[0]
    if scheme == "certificate":
        raise WorkflowError.configuration(
            f"{where}: certificate authentication is not supported here"
        )
    props = _scheme_properties(ctx, scheme, policy[scheme], where)
    where = f"{where}.{scheme}"
    if scheme in ("basic", "digest"):
        username = _required(props, "username", where)
        password = _required(props, "password", where)
        if scheme == "basic":
            pair = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            ctx.authorization = {"scheme": "Basic", "parameter": pair}
        return HttpAuthentication(scheme=scheme, username=username, password=password)
    if scheme == "bearer":
        token = _required(props, "token", where)
        ctx.authorization = {"scheme": "Bearer", "parameter": token}
        return HttpAuthentication(scheme="bearer", token=token)
    return HttpAuthentication(scheme="oauth2", oauth2=_oauth2(props, scheme, where))
