"""``WorkflowSpec`` (stored proto) -> DSL 1.0 document and YAML text.

The spec keeps each task's configuration as a Struct whose keys are the JSON
names of the typed config messages in ``apis/stigmer/workflow/v1/task_configs.proto``.
Those names differ from the DSL's where the proto flattened or renamed a DSL
construct; this module is the one place that knows the mapping:

* ``SET.variables`` -> ``set``; ``SWITCH.cases[{name, when, then}]`` -> ``switch: [{name: {when, then}}]``
* ``HTTP_CALL.endpoint.uri`` -> ``with.endpoint``; ``timeout_seconds`` -> task ``timeout``
* ``GRPC_CALL.proto.uri`` -> ``with.proto.endpoint``
* ``CALL_ACTIVITY.activity/task_queue/timeout_seconds`` -> ``with.name/taskQueue/startToCloseTimeout``
* ``FOR.in/each/at/while/do`` -> ``for: {each, in, at}``, ``while``, ``do``
* ``TRY.catch.errors`` -> ``catch.errors.with``; ``except_when`` -> ``exceptWhen``;
  ``retry.limit_attempts`` -> ``retry.limit.attempt.count``
* ``LISTEN.mode/events`` -> ``listen.to.{one|any|all}``
* ``WAIT.duration`` (ISO 8601) -> ``wait``
* ``EMIT.event`` -> ``emit.event.with``; ``DO.do`` -> ``do``;
  ``FUNCTION_CALL.call/with`` -> ``call``/``with`` (openapi, asyncapi, mcp, functions)
* ``RAISE.errorName`` / ``TRY.catch.retryName`` -> ``raise.error: <name>`` / ``catch.retry: <name>``

Blocks the spec keeps as written (WorkflowSpec ``input``/``output``/``use``/``timeout``/
``schedule``/``evaluate``; WorkflowTask ``if``/``input``/``output``/``timeout``/``metadata``)
are copied back verbatim.

Working on the Struct (not the typed message) keeps field presence: an absent
``RUN.await`` stays absent (the DSL default ``true``) instead of proto3's false.
Output is deterministic (keys in a fixed order) so golden files compare byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import yaml
from google.protobuf import json_format
from stigmer.workflow.v1 import api_pb2


class ConversionError(ValueError):
    """The spec cannot be expressed as a DSL document; the message names the field."""


Json = dict[str, Any]


def spec_to_yaml(spec: api_pb2.WorkflowSpec) -> str:
    """The DSL 1.0 YAML text of ``spec``.

    Raises:
        ConversionError: a task's kind or config cannot be converted (names the field).
    """
    return dump_yaml(spec_to_document(spec))


def dump_yaml(document: Mapping[str, Any]) -> str:
    """YAML with keys in insertion order and block style (stable for golden files)."""
    text: str = yaml.safe_dump(
        document, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )
    return text


def spec_to_document(spec: api_pb2.WorkflowSpec) -> Json:
    """The DSL document (a JSON-like dict) of ``spec``."""
    doc = spec.document
    document: Json = {"dsl": doc.dsl or "1.0.0", "namespace": doc.namespace, "name": doc.name}
    document["version"] = doc.version or "0.0.1"
    if doc.title:
        document["title"] = doc.title
    summary = doc.description or spec.description
    if summary:
        document["summary"] = summary
    if doc.tags:
        document["tags"] = dict(sorted(doc.tags.items()))
    if doc.HasField("metadata"):
        document["metadata"] = _json(doc.metadata)
    result: Json = {"document": document}
    for key in ("input", "use", "schedule", "evaluate"):
        if spec.HasField(key):
            result[key] = _json(getattr(spec, key))
    if spec.HasField("timeout"):
        result["timeout"] = _json(spec.timeout)
    result["do"] = _task_list(spec.tasks, "spec.tasks")
    if spec.HasField("output"):
        result["output"] = _json(spec.output)
    return result


def _json(message: Any) -> Any:
    """A Struct / Value as plain JSON, keys sorted, integral numbers as ints."""
    return _sorted(json_format.MessageToDict(message))


def _task_list(tasks: Any, path: str) -> list[Json]:
    return [_task(task, f"{path}[{index}]") for index, task in enumerate(tasks)]


def _task(task: api_pb2.WorkflowTask, path: str) -> Json:
    config = (
        _sorted(json_format.MessageToDict(task.task_config)) if task.HasField("task_config") else {}
    )
    convert = _CONVERTERS.get(task.kind)
    if convert is None:
        raise ConversionError(
            f"{path}.kind: {api_pb2.WorkflowTaskKind.Name(task.kind)} has no DSL form"
        )
    body: Json = {}
    if task.condition:
        body["if"] = task.condition
    if task.HasField("input"):
        body["input"] = _json(task.input)
    body.update(convert(config, f"{path}.task_config"))
    if task.HasField("timeout"):
        body["timeout"] = _json(task.timeout)
    if task.HasField("output"):
        body["output"] = _json(task.output)
    export: Json = {}
    export_as = getattr(task.export, "as")  # "as" is a Python keyword
    if export_as:
        export["as"] = export_as
    elif task.export.HasField("as_object"):
        export["as"] = _json(task.export.as_object)
    if task.export.HasField("schema"):
        export["schema"] = _json(task.export.schema)
    if export:
        body["export"] = export
    if task.HasField("metadata"):
        body["metadata"] = _json(task.metadata)
    if task.HasField("flow") and task.flow.then:
        body["then"] = task.flow.then
    return {task.name: body}


def _sorted(value: Any) -> Any:
    """Struct maps have no stable order; sorting their keys keeps the YAML byte-stable.

    Struct numbers are all doubles; integral ones become ints again (a port
    50051, not 50051.0), which is what the author wrote in JSON or YAML.
    """
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _nested(value: Any, path: str) -> list[Json]:
    """Tasks nested in a config (``do``/``try``): WorkflowTask dicts -> DSL task list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConversionError(f"{path}: expected a list of tasks")
    tasks = []
    for index, item in enumerate(value):
        task = api_pb2.WorkflowTask()
        try:
            json_format.ParseDict(item, task)
        except json_format.ParseError as error:
            raise ConversionError(f"{path}[{index}]: {error}") from None
        tasks.append(_task(task, f"{path}[{index}]"))
    return tasks


def _timeout(body: Json, config: Mapping[str, Any], key: str = "timeoutSeconds") -> None:
    seconds = config.get(key) or config.get("timeout_seconds")
    if seconds:
        body["timeout"] = {"after": {"seconds": int(seconds)}}


def _copy(source: Mapping[str, Any], keys: tuple[str, ...]) -> Json:
    return {key: source[key] for key in keys if source.get(key) not in (None, "", {}, [])}


def _set(config: Json, path: str) -> Json:
    if "expression" in config:
        return {"set": config["expression"]}
    if "variables" not in config:
        raise ConversionError(f"{path}.variables: required")
    return {"set": config["variables"]}


def _http(config: Json, path: str) -> Json:
    endpoint = config.get("endpoint") or {}
    if not endpoint.get("uri"):
        raise ConversionError(f"{path}.endpoint.uri: required")
    with_: Json = {
        "method": str(config.get("method") or "GET").lower(),
        # The shorthand unless the endpoint carries more than its URI.
        "endpoint": endpoint if endpoint.get("authentication") else endpoint["uri"],
    }
    with_.update(_copy(config, ("headers", "query")))
    for key in ("headers", "query"):
        expression = config.get(f"{key}Expression") or config.get(f"{key}_expression")
        if expression:
            with_[key] = expression
    if "body" in config:
        with_["body"] = config["body"]
    if config.get("output"):
        with_["output"] = config["output"]
    if "redirect" in config:
        with_["redirect"] = config["redirect"]
    body: Json = {"call": "http", "with": with_}
    _timeout(body, config)
    return body


def _grpc(config: Json, path: str) -> Json:
    proto = config.get("proto") or {}
    if not proto.get("uri"):
        raise ConversionError(f"{path}.proto.uri: required")
    with_: Json = {
        "proto": {"endpoint": proto["uri"]},
        "service": _copy(config.get("service") or {}, ("name", "host", "port", "authentication")),
        "method": config.get("method", ""),
    }
    if config.get("arguments"):
        with_["arguments"] = config["arguments"]
    return {"call": "grpc", "with": with_}


def _activity(config: Json, path: str) -> Json:
    if not config.get("activity"):
        raise ConversionError(f"{path}.activity: required")
    with_: Json = {"name": config["activity"]}
    queue = config.get("taskQueue") or config.get("task_queue")
    if queue:
        with_["taskQueue"] = queue
    if "input" in config:
        with_["input"] = config["input"]
    seconds = config.get("timeoutSeconds") or config.get("timeout_seconds")
    if seconds:
        with_["startToCloseTimeout"] = {"seconds": int(seconds)}
    return {"call": "activity", "with": with_}


def _switch(config: Json, path: str) -> Json:
    cases = config.get("cases")
    if not cases:
        raise ConversionError(f"{path}.cases: at least one case is required")
    converted = []
    for index, case in enumerate(cases):
        if not case.get("name") or not case.get("then"):
            raise ConversionError(f"{path}.cases[{index}]: name and then are required")
        entry: Json = {}
        if case.get("when"):
            entry["when"] = case["when"]
        entry["then"] = case["then"]
        converted.append({case["name"]: entry})
    return {"switch": converted}


def _for(config: Json, path: str) -> Json:
    if not config.get("in"):
        raise ConversionError(f"{path}.in: required")
    loop: Json = {"each": config["each"]} if config.get("each") else {}
    loop["in"] = config["in"]
    if config.get("at"):
        loop["at"] = config["at"]
    body: Json = {"for": loop}
    if config.get("while"):
        body["while"] = config["while"]
    body["do"] = _nested(config.get("do"), f"{path}.do")
    return body


def _fork(config: Json, path: str) -> Json:
    branches = []
    for index, branch in enumerate(config.get("branches") or []):
        if not branch.get("name"):
            raise ConversionError(f"{path}.branches[{index}].name: required")
        if "kind" not in branch:  # stored before branches were tasks: {name, do}
            tasks = _nested(branch.get("do"), f"{path}.branches[{index}].do")
            branches.append({branch["name"]: {"do": tasks}})
        else:
            branches.extend(_nested([branch], f"{path}.branches[{index}]"))
    if not branches:
        raise ConversionError(f"{path}.branches: at least one branch is required")
    fork: Json = {"branches": branches}
    if config.get("compete"):
        fork["compete"] = True
    return {"fork": fork}


def _retry(retry: Mapping[str, Any]) -> Json:
    converted: Json = {}
    if retry.get("delay"):
        converted["delay"] = retry["delay"]
    if retry.get("backoff"):
        converted["backoff"] = {retry["backoff"]: {}}
    limit: Json = {}
    attempts = retry.get("limitAttempts") or retry.get("limit_attempts")
    if attempts:
        limit["attempt"] = {"count": int(attempts)}
    duration = retry.get("limitDuration") or retry.get("limit_duration")
    if duration:
        limit["duration"] = duration
    if limit:
        converted["limit"] = limit
    jitter_from = retry.get("jitterFrom") or retry.get("jitter_from")
    jitter_to = retry.get("jitterTo") or retry.get("jitter_to")
    if jitter_from or jitter_to:
        converted["jitter"] = _copy({"from": jitter_from, "to": jitter_to}, ("from", "to"))
    if retry.get("when"):
        converted["when"] = retry["when"]
    except_when = retry.get("exceptWhen") or retry.get("except_when")
    if except_when:
        converted["exceptWhen"] = except_when
    return converted


def _try(config: Json, path: str) -> Json:
    tasks = _nested(config.get("try"), f"{path}.try")
    if not tasks:
        raise ConversionError(f"{path}.try: at least one task is required")
    catch_config = config.get("catch")
    if catch_config is None:
        raise ConversionError(f"{path}.catch: required")
    catch: Json = {}
    if catch_config.get("errors"):
        catch["errors"] = {"with": catch_config["errors"]}
    if catch_config.get("as"):
        catch["as"] = catch_config["as"]
    if catch_config.get("when"):
        catch["when"] = catch_config["when"]
    except_when = catch_config.get("exceptWhen") or catch_config.get("except_when")
    if except_when:
        catch["exceptWhen"] = except_when
    retry_name = catch_config.get("retryName") or catch_config.get("retry_name")
    if retry_name:
        catch["retry"] = retry_name
    elif "retry" in catch_config:
        catch["retry"] = _retry(catch_config["retry"])
    if catch_config.get("do"):
        catch["do"] = _nested(catch_config["do"], f"{path}.catch.do")
    return {"try": tasks, "catch": catch}


def _listen(config: Json, path: str) -> Json:
    events = config.get("events") or []
    mode = config.get("mode") or "one"
    if not events and mode != "any":
        raise ConversionError(f"{path}.events: at least one event filter is required")
    filters = []
    for event in events:
        match: Json = {"type": event.get("type")}
        if event.get("source"):
            match["source"] = event["source"]
        match.update(event.get("attributes") or {})
        event_filter: Json = {"with": match}
        if "correlate" in event:
            event_filter["correlate"] = event["correlate"]
        filters.append(event_filter)
    to: Json
    if mode == "one":
        if len(filters) != 1:
            raise ConversionError(f"{path}.events: mode 'one' takes exactly one event filter")
        to = {"one": filters[0]}
    elif mode in ("any", "all"):
        to = {mode: filters}
    else:
        raise ConversionError(f"{path}.mode: must be one, any or all, got {mode!r}")
    if "until" in config:
        to["until"] = config["until"]
    listen: Json = {"to": to}
    if config.get("read"):
        listen["read"] = config["read"]
    body: Json = {"listen": listen}
    if "foreach" in config:
        body["foreach"] = config["foreach"]
    return body


def _wait(config: Json, path: str) -> Json:
    if not config.get("duration"):
        raise ConversionError(f"{path}.duration: required (ISO 8601, e.g. PT5S)")
    return {"wait": config["duration"]}


def _raise(config: Json, path: str) -> Json:
    error_name = config.get("errorName") or config.get("error_name")
    if error_name:
        return {"raise": {"error": error_name}}
    error = config.get("error") or {}
    if not error.get("type"):
        raise ConversionError(f"{path}.error.type: required")
    converted: Json = {"type": error["type"], "status": int(error.get("status") or 0)}
    converted.update(_copy(error, ("title", "detail", "instance")))
    return {"raise": {"error": converted}}


def _emit(config: Json, path: str) -> Json:
    if not isinstance(config.get("event"), dict):
        raise ConversionError(f"{path}.event: required")
    return {"emit": {"event": {"with": config["event"]}}}


def _do(config: Json, path: str) -> Json:
    tasks = _nested(config.get("do"), f"{path}.do")
    if not tasks:
        raise ConversionError(f"{path}.do: at least one task is required")
    return {"do": tasks}


def _function(config: Json, path: str) -> Json:
    if not config.get("call"):
        raise ConversionError(f"{path}.call: required")
    body: Json = {"call": config["call"]}
    if "with" in config:
        body["with"] = config["with"]
    return body


_RUN_FIELDS = {
    "shell": ("command", "arguments", "environment", "stdin"),
    "script": ("language", "code", "source", "arguments", "environment", "stdin"),
    "container": (
        "image",
        "name",
        "command",
        "ports",
        "volumes",
        "environment",
        "stdin",
        "arguments",
        "lifetime",
        "pullPolicy",
    ),
    "workflow": ("namespace", "name", "version", "input"),
}


def _run(config: Json, path: str) -> Json:
    targets = [name for name in _RUN_FIELDS if name in config]
    if len(targets) != 1:
        raise ConversionError(f"{path}: exactly one of shell, script, container, workflow")
    target = targets[0]
    run: Json = {target: _copy(config[target], _RUN_FIELDS[target])}
    if "await" in config:
        run["await"] = bool(config["await"])
    if config.get("return"):
        run["return"] = config["return"]
    return {"run": run}


def _agent(config: Json, path: str) -> Json:
    if not config.get("agent"):
        raise ConversionError(f"{path}.agent: required")
    body: Json = {
        "call": "agent",
        "with": _copy(config, ("agent", "message", "session", "org", "env", "model")),
    }
    _timeout(body, config)
    return body


_CONVERTERS: dict[int, Callable[[Json, str], Json]] = {
    api_pb2.SET: _set,
    api_pb2.HTTP_CALL: _http,
    api_pb2.GRPC_CALL: _grpc,
    api_pb2.CALL_ACTIVITY: _activity,
    api_pb2.SWITCH: _switch,
    api_pb2.FOR: _for,
    api_pb2.FORK: _fork,
    api_pb2.TRY: _try,
    api_pb2.LISTEN: _listen,
    api_pb2.WAIT: _wait,
    api_pb2.RAISE: _raise,
    api_pb2.RUN: _run,
    api_pb2.AGENT_CALL: _agent,
    api_pb2.EMIT: _emit,
    api_pb2.DO: _do,
    api_pb2.FUNCTION_CALL: _function,
}
