"""YAML/JSON text -> a validated :class:`~.model.WorkflowDefinition`.

Two layers of validation, so every error surfaces before a run:

1. **The specification's JSON Schema** (``schema/workflow.yaml``), when a copy
   is available. Reference data is read in place, never vendored, so the
   schema is looked up at ``$STIGMER_DSL_SCHEMA`` or
   ``$STIGMER_SHARED_DIR/conformance/spec-v1.0.3/schema/workflow.yaml``
   (``STIGMER_SHARED_DIR`` defaults to ``../shared`` beside the repository).
   Reading it is I/O, so this layer runs where definitions enter the system
   (CLI, API, tests), never inside the Temporal workflow.
2. **Our own structural checks**, always (including inside the workflow):
   duplicate YAML keys, ``dsl`` 1.0.x (pre-releases included), exactly one task per list item, a
   known task kind, no unknown task properties, flow-directive targets in the
   same scope, at most one default switch case, reusable names that exist,
   ``until`` not nested, inline schemas only, and every jq expression
   compiled (with the variables in scope at that point; in batches, after the
   structural walk, so structural errors are reported first).

Errors are :class:`DefinitionError` with one readable line naming the field.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from temporalio import workflow

from stigmer_dsl import parsed_documents
from stigmer_dsl.durations import is_iso8601_duration
from stigmer_dsl.expressions import EvaluationMode, ExpressionEvaluator
from stigmer_dsl.expressions.evaluation import STANDARD_ARGUMENTS
from stigmer_dsl.expressions.jq_language import ExpressionSyntaxError
from stigmer_dsl.model import ExpressionSite, WorkflowDefinition, task_kind, task_list
from stigmer_dsl.yaml_stream import DuplicateKeyError, YamlStream

with workflow.unsafe.imports_passed_through():
    import jsonschema
    import yaml

#: DSL 1.0.x, pre-releases and build metadata included (``1.0.0-alpha5``,
#: ``1.0.0-rc1``, ``1.0.3+build``): the spec's schema accepts any semantic
#: version, and most published 1.0 workflows declare a 1.0.0 pre-release.
_DSL_VERSION: Final = re.compile(
    r"^1\.0\.(?:0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
_BASE_KEYS: Final = frozenset({"if", "input", "output", "export", "timeout", "then", "metadata"})
_KIND_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "call": frozenset({"call", "with"}),
    "do": frozenset({"do"}),
    "emit": frozenset({"emit"}),
    "for": frozenset({"for", "while", "do"}),
    "fork": frozenset({"fork"}),
    "listen": frozenset({"listen", "foreach"}),
    "raise": frozenset({"raise"}),
    "run": frozenset({"run"}),
    "set": frozenset({"set"}),
    "switch": frozenset({"switch"}),
    "try": frozenset({"try", "catch"}),
    "wait": frozenset({"wait"}),
}
_DIRECTIVES: Final = frozenset({"continue", "exit", "end"})
_SCHEMA_ENV: Final = "STIGMER_DSL_SCHEMA"
_SHARED_ENV: Final = "STIGMER_SHARED_DIR"


class DefinitionError(ValueError):
    """The workflow definition is invalid; the message is one readable line."""


# -- parsing ------------------------------------------------------------------------------------
# libyaml's parser when available: ~4x faster than the pure-Python one (a
# 5,000-task definition parses in ~0.3 s instead of ~1.2 s, inside a workflow
# activation); resolvers and constructors stay the Python ones below.
_SafeLoaderBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoaderBase):  # type: ignore[misc]
    """A safe YAML loader with YAML 1.2 booleans that rejects duplicate keys.

    PyYAML implements YAML 1.1, where ``on``/``off``/``yes``/``no`` are
    booleans: ``schedule.on`` would become ``schedule.True``. Only
    ``true``/``false`` are booleans here, as in YAML 1.2 and JSON.
    """


_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise DefinitionError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _unique_json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        # Falls back to the YAML parser, which names the key and its line.
        raise ValueError("duplicate key")
    return data


def parse_document(text: str) -> Mapping[str, Any]:
    """Parse YAML or JSON text (JSON is YAML) into a mapping, rejecting duplicate keys."""
    parse = DocumentParse(text)
    for _ in range(parse.slices):
        parse.step()
    return parse.document()


class DocumentParse:
    """Parsing a definition in slices of :data:`SLICE` characters (see ``yaml_stream``).

    The engine parses inside a workflow activation, pacing between slices; the
    number of slices and their cost (:attr:`cost_per_slice`) depend only on
    the text, so replays yield at the same points whether or not this worker
    process parsed the text before (:mod:`.parsed_documents`).

    JSON text takes a fast path (~20x faster than YAML: one slice of work).
    """

    SLICE: Final = 8192

    def __init__(self, text: str) -> None:
        self.text = text
        self.slices = max(1, -(-len(text) // self.SLICE))
        self._json: str | None = None
        self._offset = 0
        self._document: Mapping[str, Any] | None = None
        self._stream: YamlStream | None = None
        known = parsed_documents.cached(text)
        if known is not None:
            self._json, self.is_json = known
            return
        fast = _json_document(text)
        self.is_json = fast is not None
        if fast is not None:
            self._document = fast
            parsed_documents.store(text, text, is_json=True)
        else:
            self._stream = YamlStream(text, _UniqueKeyLoader)

    def step(self) -> None:
        """Parse the next slice (nothing left to do once parsed, or cached)."""
        self._offset += self.SLICE
        if self._stream is None or self._stream.done:
            return
        try:
            self._stream.advance(self._offset)
        except yaml.YAMLError as exc:
            raise DefinitionError(f"not valid YAML/JSON: {_one_line(str(exc))}") from exc
        except DuplicateKeyError as exc:
            raise DefinitionError(str(exc)) from exc

    def document(self) -> Mapping[str, Any]:
        """The parsed document (after every :meth:`step`).

        Raises:
            DefinitionError: not YAML/JSON, a duplicate key, or not an object.
        """
        if self._document is not None:
            return self._document
        if self._json is None:
            stream = self._stream
            if stream is None or not stream.done or stream.fallback:
                data = _load_yaml(self.text)  # anchors, tags...: the full loader, at once
            else:
                data = stream.result
            if not isinstance(data, Mapping):
                raise DefinitionError("a workflow definition must be a YAML/JSON object")
            # Through JSON: YAML dates and the like become plain JSON values,
            # which is what expressions and Temporal payloads see.
            self._json = json.dumps(data, default=str)
            parsed_documents.store(self.text, self._json)
        return json.loads(self._json)  # type: ignore[no-any-return]


def _json_document(text: str) -> Mapping[str, Any] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text, object_pairs_hook=_unique_json_object)
    except ValueError:
        return None  # YAML flow style, or invalid: the YAML parser says which
    return data if isinstance(data, Mapping) else None


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"not valid YAML/JSON: {_one_line(str(exc))}") from exc


# -- the specification's schema -------------------------------------------------------------------
def default_schema_path() -> Path:
    """Where the DSL JSON Schema is looked up (see module docstring)."""
    explicit = os.environ.get(_SCHEMA_ENV)
    if explicit:
        return Path(explicit)
    shared = os.environ.get(_SHARED_ENV)
    root = Path(shared) if shared else Path(__file__).resolve().parents[4] / "shared"
    return root / "conformance" / "spec-v1.0.3" / "schema" / "workflow.yaml"


@functools.cache
def load_schema_validator(path: Path | None = None) -> jsonschema.protocols.Validator | None:
    """A validator for the DSL schema, or None when the schema file is not available."""
    schema_path = path or default_schema_path()
    if not schema_path.is_file():
        return None
    # Our loader: the schema itself has a property named `on` (a YAML 1.1 boolean).
    schema = yaml.load(schema_path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    return jsonschema.Draft202012Validator(schema)


def validate_against_schema(document: Mapping[str, Any], validator: Any) -> None:
    """Raise :class:`DefinitionError` for the most relevant schema violation."""
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        path = "/" + "/".join(str(p) for p in error.absolute_path)
        raise DefinitionError(f"schema violation at {path}: {_one_line(error.message)}")


# -- entry points ---------------------------------------------------------------------------------
def load_workflow(
    text: str, *, use_schema: bool = False, schema_path: Path | None = None
) -> WorkflowDefinition:
    """Parse and validate a workflow definition.

    Args:
        text: YAML or JSON.
        use_schema: also validate against the spec's JSON Schema when the file
            is available (never inside workflow code: it reads a file).
        schema_path: override the schema location.

    Raises:
        DefinitionError: one readable line naming the offending field.
    """
    document = parse_document(text)
    return build_definition(document, use_schema=use_schema, schema_path=schema_path)


def build_definition(
    document: Mapping[str, Any],
    *,
    use_schema: bool = False,
    schema_path: Path | None = None,
    defer_expressions: bool = False,
) -> WorkflowDefinition:
    """Validate an already parsed document (see :func:`load_workflow`).

    Args:
        defer_expressions: do not compile the expressions (listed in
            ``definition.expressions``); the caller compiles them with
            :func:`compile_expressions`, in slices (the engine paces a large
            workflow's load across workflow activations).
    """
    _check_header(document)
    # Structural checks first: their messages are more precise than a oneOf
    # failure deep in the JSON Schema.
    mode = _evaluation_mode(document)
    checker = _Checker(document, ExpressionEvaluator(mode, clock=lambda: 0.0))
    checker.check_workflow()
    if not defer_expressions:
        compile_expressions(checker.expressions)
    if use_schema:
        validator = load_schema_validator(schema_path)
        if validator is not None:
            validate_against_schema(document, validator)
    return WorkflowDefinition(
        raw=document,
        tasks=task_list(document["do"], "/do"),
        mode=mode,
        expressions=tuple(checker.expressions),
        task_count=checker.task_count,
    )


def checked_definition(text: str, document: Mapping[str, Any]) -> WorkflowDefinition:
    """``build_definition(document, defer_expressions=True)`` for the document parsed from
    ``text``, the structural walk done once per text in this process (see
    :mod:`.parsed_documents`); the result is the same either way."""
    known = parsed_documents.checked(text)
    if known is None:
        definition = build_definition(document, defer_expressions=True)
        parsed_documents.store_checked(
            text,
            (
                definition.mode.value,
                tuple((site.source, site.scope, site.where) for site in definition.expressions),
                definition.task_count,
            ),
        )
        return definition
    mode, sites, task_count = known
    return WorkflowDefinition(
        raw=document,
        tasks=task_list(document["do"], "/do"),
        mode=EvaluationMode(mode),
        expressions=tuple(ExpressionSite(*site) for site in sites),
        task_count=task_count,
    )


def compile_expressions(sites: Sequence[ExpressionSite]) -> None:
    """Compile expressions in batches; raise for the first (in document order) that fails.

    Compiling one by one costs ~2 ms per expression (libjq binds its builtins
    at each compile): seconds for a large workflow. Batches cost ~0.1-0.3 ms
    per expression and fill the compiled-program cache the run then uses.

    Raises:
        DefinitionError: ``<where>: invalid expression ...``.
    """
    pending = [site for site in sites if site not in _compiled_sites]
    if not pending:
        return
    ExpressionEvaluator.precompile((site.source, site.scope) for site in pending)
    for site in pending:
        try:
            ExpressionEvaluator.check(site.source, site.scope)
        except ExpressionSyntaxError as exc:
            raise DefinitionError(f"{site.where}: invalid expression {exc}") from exc
    _compiled_sites.update(pending)


#: Sites that compiled (programs are in the cache): a worker runs the same
#: definitions again and again, and checking a site's program costs more than
#: evaluating it. Compiling is deterministic, so what compiled once compiles again.
_compiled_sites: set[ExpressionSite] = set()


def _check_header(document: Mapping[str, Any]) -> None:
    header = document.get("document")
    if not isinstance(header, Mapping):
        raise DefinitionError("document: required object is missing")
    for key in ("dsl", "namespace", "name", "version"):
        if not isinstance(header.get(key), str) or not header.get(key):
            raise DefinitionError(f"document.{key}: required string is missing")
    if not _DSL_VERSION.match(header["dsl"]):
        raise DefinitionError(
            f"document.dsl: {header['dsl']!r} is not supported"
            " (expected 1.0.x, e.g. 1.0.3 or a pre-release such as 1.0.0-alpha5)"
        )
    if not isinstance(document.get("do"), list) or not document["do"]:
        raise DefinitionError("do: required non-empty task list is missing")


def _evaluation_mode(document: Mapping[str, Any]) -> EvaluationMode:
    evaluate = document.get("evaluate") or {}
    language = evaluate.get("language", "jq")
    if language != "jq":
        raise DefinitionError(f"evaluate.language: {language!r} is not supported (only jq)")
    try:
        return EvaluationMode(evaluate.get("mode", "strict"))
    except ValueError:
        raise DefinitionError(
            f"evaluate.mode: {evaluate.get('mode')!r} must be strict or loose"
        ) from None


class _Checker:
    """Walks the document once, checking structure and compiling expressions."""

    def __init__(self, document: Mapping[str, Any], evaluator: ExpressionEvaluator) -> None:
        self.document = document
        self.use: Mapping[str, Any] = document.get("use") or {}
        self.evaluator = evaluator
        #: Expressions found by the walk, compiled together afterwards (see _expr).
        self.expressions: list[ExpressionSite] = []
        self.task_count = 0

    def check_workflow(self) -> None:
        d = self.document
        self._data_spec(d.get("input"), "input", (), "from")
        self._data_spec(d.get("output"), "output", (), "as")
        if "timeout" in d:
            self._timeout(d["timeout"], "timeout", ())
        for name, timeout in (self.use.get("timeouts") or {}).items():
            self._timeout(timeout, f"use.timeouts.{name}", ())
        for name, retry in (self.use.get("retries") or {}).items():
            self._retry(retry, f"use.retries.{name}", (), None)
        for name, error in (self.use.get("errors") or {}).items():
            self._value(error, f"use.errors.{name}", ())
        for name, fn in (self.use.get("functions") or {}).items():
            self._task(name, fn, f"/use/functions/{name}", ())
        self._task_list(d["do"], "/do", ())

    # -- helpers --------------------------------------------------------------------------------
    def _expr(self, source: Any, where: str, scope: Sequence[str]) -> None:
        if not isinstance(source, str):
            raise DefinitionError(f"{where}: expected a runtime expression string")
        self.expressions.append(ExpressionSite(source, tuple(scope), where))

    def _value(self, value: Any, where: str, scope: Sequence[str]) -> None:
        for source in self.evaluator.expressions_in(value):
            self.expressions.append(ExpressionSite(source, tuple(scope), where))

    def _field(self, value: Any, where: str, scope: Sequence[str]) -> None:
        if isinstance(value, str):
            self._expr(value, where, scope)
        else:
            self._value(value, where, scope)

    def _data_spec(self, spec: Any, where: str, scope: Sequence[str], key: str) -> None:
        if spec is None:
            return
        if not isinstance(spec, Mapping):
            raise DefinitionError(f"{where}: expected an object")
        if key in spec:
            self._field(spec[key], f"{where}.{key}", scope)
        schema = spec.get("schema")
        if schema is not None:
            if not isinstance(schema, Mapping) or "document" not in schema:
                raise DefinitionError(
                    f"{where}.schema: only inline schemas (schema.document) are supported"
                )
            try:
                jsonschema.Draft202012Validator.check_schema(schema["document"])
            except jsonschema.exceptions.SchemaError as exc:
                raise DefinitionError(f"{where}.schema: {_one_line(exc.message)}") from exc

    def _timeout(self, spec: Any, where: str, scope: Sequence[str]) -> None:
        if isinstance(spec, str):
            if spec not in (self.use.get("timeouts") or {}):
                raise DefinitionError(f"{where}: no timeout named {spec!r} in use.timeouts")
        elif not isinstance(spec, Mapping) or "after" not in spec:
            raise DefinitionError(f"{where}: expected {{after: <duration>}} or a timeout name")
        else:
            self._duration(spec["after"], f"{where}/after", scope)

    def _duration(self, value: Any, where: str, scope: Sequence[str]) -> None:
        """An ISO 8601 string, an object, or a runtime expression (compiled now)."""
        if isinstance(value, str):
            if not is_iso8601_duration(value):
                self._expr(value, where, scope)
        elif not isinstance(value, Mapping):
            raise DefinitionError(
                f"{where}: expected an ISO 8601 duration, an object or a runtime expression"
            )

    def _retry(
        self, spec: Any, where: str, scope: Sequence[str], catch_scope: Sequence[str] | None
    ) -> None:
        """A retry policy; ``when``/``exceptWhen`` only inline (``catch_scope``
        binds the caught error, whose name depends on where a reusable policy is used)."""
        if not isinstance(spec, Mapping):
            raise DefinitionError(f"{where}: a retry policy must be an object")
        for key in ("when", "exceptWhen"):
            if key in spec and catch_scope is not None:
                self._expr(spec[key], f"{where}/{key}", catch_scope)
        limit = spec.get("limit") or {}
        attempt = limit.get("attempt") or {} if isinstance(limit, Mapping) else {}
        jitter = spec.get("jitter") or {}
        durations = {
            "delay": spec.get("delay"),
            "limit/duration": limit.get("duration") if isinstance(limit, Mapping) else None,
            "limit/attempt/duration": attempt.get("duration")
            if isinstance(attempt, Mapping)
            else None,
            "jitter/from": jitter.get("from") if isinstance(jitter, Mapping) else None,
            "jitter/to": jitter.get("to") if isinstance(jitter, Mapping) else None,
        }
        for field, value in durations.items():
            if value is not None:
                self._duration(value, f"{where}/{field}", scope)

    def _task_list(self, items: Any, pointer: str, scope: Sequence[str]) -> None:
        if not isinstance(items, list):
            raise DefinitionError(f"{pointer}: expected a list of tasks")
        names: dict[str, None] = {}  # a set in declaration order (large lists: no O(n^2))
        for index, item in enumerate(items):
            if not isinstance(item, Mapping) or len(item) != 1:
                keys = sorted(item) if isinstance(item, Mapping) else type(item).__name__
                raise DefinitionError(
                    f"{pointer}/{index}: each list item must hold exactly one named task, got {keys}"
                )
            ((name, body),) = item.items()
            if name in names:
                raise DefinitionError(f"{pointer}/{index}: duplicate task name {name!r}")
            names[name] = None
            self._task(name, body, f"{pointer}/{index}/{name}", scope)
        for index, item in enumerate(items):
            ((name, body),) = item.items()
            self._directive(body.get("then"), names, f"{pointer}/{index}/{name}/then")
            if "switch" in body:
                for case_index, case_item in enumerate(body["switch"]):
                    ((case_name, case),) = case_item.items()
                    self._directive(
                        case.get("then"),
                        names,
                        f"{pointer}/{index}/{name}/switch/{case_index}/{case_name}/then",
                    )

    def _directive(self, then: Any, names: Mapping[str, None], where: str) -> None:
        if then is None or then in _DIRECTIVES:
            return
        if not isinstance(then, str) or then not in names:
            raise DefinitionError(
                f"{where}: {then!r} is neither continue/exit/end nor a task of the same list"
            )

    def _task(self, name: str, body: Any, ref: str, scope: Sequence[str]) -> None:
        self.task_count += 1
        if not isinstance(body, Mapping):
            raise DefinitionError(f"{ref}: a task must be an object")
        kind = task_kind(body).split(":", 1)[0]
        if kind == "unknown":
            raise DefinitionError(f"{ref}: unknown task type (keys: {sorted(body)})")
        if kind == "run" and task_kind(body) == "run:unknown":
            raise DefinitionError(f"{ref}/run: expected one of container, script, shell, workflow")
        extra = set(body) - _BASE_KEYS - _KIND_KEYS[kind]
        if extra:
            raise DefinitionError(
                f"{ref}: unexpected properties for a {kind} task: {sorted(extra)}"
            )
        if "if" in body:
            self._expr(body["if"], f"{ref}/if", scope)
        self._data_spec(body.get("input"), f"{ref}/input", scope, "from")
        self._data_spec(body.get("output"), f"{ref}/output", scope, "as")
        self._data_spec(body.get("export"), f"{ref}/export", scope, "as")
        if "timeout" in body:
            self._timeout(body["timeout"], f"{ref}/timeout", scope)
        getattr(self, f"_kind_{kind}")(body, ref, scope)

    # -- per kind -------------------------------------------------------------------------------
    def _kind_call(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        if not isinstance(body["call"], str):
            raise DefinitionError(f"{ref}/call: expected a string")
        # Some call arguments embed iterators (asyncapi `subscription.foreach`)
        # whose variables are in scope for the rest of the arguments.
        self._value(
            body.get("with"), f"{ref}/with", (*scope, *_iterator_variables(body.get("with")))
        )

    def _kind_do(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        self._task_list(body["do"], f"{ref}/do", scope)

    def _kind_emit(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        event = body["emit"].get("event") if isinstance(body["emit"], Mapping) else None
        if not isinstance(event, Mapping):
            raise DefinitionError(f"{ref}/emit/event: required object is missing")
        self._value(event.get("with"), f"{ref}/emit/event/with", scope)

    def _kind_for(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        spec = body["for"]
        if not isinstance(spec, Mapping) or "in" not in spec:
            raise DefinitionError(f"{ref}/for/in: required expression is missing")
        if "do" not in body:
            raise DefinitionError(f"{ref}/do: required task list is missing")
        self._expr(spec["in"], f"{ref}/for/in", scope)
        inner = (*scope, spec.get("each") or "item", spec.get("at") or "index")
        if "while" in body:
            self._expr(body["while"], f"{ref}/while", inner)
        self._task_list(body["do"], f"{ref}/do", inner)

    def _kind_fork(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        spec = body["fork"]
        if not isinstance(spec, Mapping) or "branches" not in spec:
            raise DefinitionError(f"{ref}/fork/branches: required task list is missing")
        self._task_list(spec["branches"], f"{ref}/fork/branches", scope)

    def _kind_listen(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        spec = body["listen"]
        if not isinstance(spec, Mapping) or not isinstance(spec.get("to"), Mapping):
            raise DefinitionError(f"{ref}/listen/to: required object is missing")
        self._strategy(spec["to"], f"{ref}/listen/to", scope, nested=False)
        read = spec.get("read", "data")
        if read not in ("data", "envelope", "raw"):
            raise DefinitionError(f"{ref}/listen/read: {read!r} must be data, envelope or raw")
        foreach = body.get("foreach")
        if foreach is not None:
            inner = (*scope, foreach.get("item") or "item", foreach.get("at") or "index")
            if "do" in foreach:
                self._task_list(foreach["do"], f"{ref}/foreach/do", inner)
            self._data_spec(foreach.get("output"), f"{ref}/foreach/output", inner, "as")

    def _strategy(
        self, strategy: Mapping[str, Any], where: str, scope: Sequence[str], *, nested: bool
    ) -> None:
        present = [k for k in ("one", "any", "all") if k in strategy]
        if len(present) != 1:
            raise DefinitionError(f"{where}: expected exactly one of one, any, all")
        filters = strategy[present[0]]
        for index, event_filter in enumerate(filters if isinstance(filters, list) else [filters]):
            self._value(event_filter.get("with"), f"{where}/{present[0]}/{index}/with", scope)
        if "until" in strategy:
            if nested:
                raise DefinitionError(f"{where}/until: an until strategy cannot have its own until")
            if present[0] != "any":
                raise DefinitionError(f"{where}/until: only allowed with 'any'")
            until = strategy["until"]
            if isinstance(until, str):
                self._expr(until, f"{where}/until", scope)
            elif isinstance(until, Mapping):
                self._strategy(until, f"{where}/until", scope, nested=True)
            else:
                raise DefinitionError(f"{where}/until: expected an expression or a strategy")

    def _kind_raise(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        error = body["raise"].get("error") if isinstance(body["raise"], Mapping) else None
        if isinstance(error, str):
            if error not in (self.use.get("errors") or {}):
                raise DefinitionError(f"{ref}/raise/error: no error named {error!r} in use.errors")
        elif isinstance(error, Mapping):
            for key in ("type", "status"):
                if key not in error:
                    raise DefinitionError(f"{ref}/raise/error/{key}: required property is missing")
            self._value(error, f"{ref}/raise/error", scope)
        else:
            raise DefinitionError(f"{ref}/raise/error: expected an error object or name")

    def _kind_run(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        self._value(body["run"], f"{ref}/run", scope)

    def _kind_set(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        value = body["set"]
        if isinstance(value, str):
            self._expr(value, f"{ref}/set", scope)
        elif isinstance(value, Mapping):
            self._value(value, f"{ref}/set", scope)
        else:
            raise DefinitionError(f"{ref}/set: expected an object or an expression")

    def _kind_switch(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        cases = body["switch"]
        if not isinstance(cases, list) or not cases:
            raise DefinitionError(f"{ref}/switch: expected a non-empty list of cases")
        defaults = 0
        for index, item in enumerate(cases):
            if not isinstance(item, Mapping) or len(item) != 1:
                raise DefinitionError(f"{ref}/switch/{index}: each case must be one named case")
            ((case_name, case),) = item.items()
            if "when" in case:
                self._expr(case["when"], f"{ref}/switch/{index}/{case_name}/when", scope)
            else:
                defaults += 1
        if defaults > 1:
            raise DefinitionError(f"{ref}/switch: at most one case may omit 'when' (the default)")

    def _kind_try(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        self._task_list(body["try"], f"{ref}/try", scope)
        catch = body.get("catch")
        if not isinstance(catch, Mapping):
            raise DefinitionError(f"{ref}/catch: required object is missing")
        inner = (*scope, catch.get("as") or "error")
        for key in ("when", "exceptWhen"):
            if key in catch:
                self._expr(catch[key], f"{ref}/catch/{key}", inner)
        retry = catch.get("retry")
        if isinstance(retry, str):
            if retry not in (self.use.get("retries") or {}):
                raise DefinitionError(f"{ref}/catch/retry: no retry policy named {retry!r}")
        elif retry is not None:
            # Durations are evaluated when the try task starts: no error bound yet.
            self._retry(retry, f"{ref}/catch/retry", scope, inner)
        if "do" in catch:
            self._task_list(catch["do"], f"{ref}/catch/do", inner)

    def _kind_wait(self, body: Mapping[str, Any], ref: str, scope: Sequence[str]) -> None:
        value = body["wait"]
        if isinstance(value, str) and not is_iso8601_duration(value):
            self._expr(value, f"{ref}/wait", scope)
        elif not isinstance(value, str | Mapping):
            raise DefinitionError(f"{ref}/wait: expected an ISO 8601 duration or an object")


def _iterator_variables(value: Any) -> list[str]:
    names: list[str] = []
    if isinstance(value, Mapping):
        foreach = value.get("foreach")
        if isinstance(foreach, Mapping):
            names += [foreach.get("item") or "item", foreach.get("at") or "index"]
        for inner in value.values():
            names += _iterator_variables(inner)
    elif isinstance(value, list):
        for inner in value:
            names += _iterator_variables(inner)
    return names


def _one_line(message: str) -> str:
    return " ".join(message.split())


__all__ = [
    "STANDARD_ARGUMENTS",
    "DefinitionError",
    "build_definition",
    "compile_expressions",
    "default_schema_path",
    "load_schema_validator",
    "load_workflow",
    "parse_document",
]
