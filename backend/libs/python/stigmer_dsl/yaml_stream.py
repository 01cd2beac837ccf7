"""Parsing a YAML definition a slice at a time, from libyaml's event stream.

A 5,000-task YAML definition takes ~0.4 s of CPU to parse: too much for one
workflow activation on a loaded machine (Temporal's deadlock detector allows
2 s of wall time, and an interrupted parse starts over at the next attempt).
:class:`YamlStream` builds the document from parser events and stops at a
given text offset, so the engine can yield to Temporal between slices (see
``workflow.py``). It builds the same values as the loader's full parser for
plain documents; anything else (anchors, aliases, explicit tags, merge keys,
complex keys, several documents) makes :attr:`YamlStream.fallback` true and
the caller parses the whole text with the full loader.
"""

from __future__ import annotations

from typing import Any, Final

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import yaml

_STR: Final = "tag:yaml.org,2002:str"
_NO_KEY: Final = object()


class DuplicateKeyError(ValueError):
    """A mapping repeats a key (``line`` is 1-based)."""

    def __init__(self, key: Any, line: int) -> None:
        super().__init__(f"duplicate key {key!r} at line {line}")


class YamlStream:
    """Incremental YAML -> Python values for one document.

    Args:
        text: the YAML text.
        loader_class: a libyaml-based loader (``yaml.CSafeLoader`` subclass)
            whose resolvers and constructors define scalar values.
    """

    def __init__(self, text: str, loader_class: type) -> None:
        self._loader = loader_class(text)
        #: Open collections, innermost last: [container, pending key or _NO_KEY].
        self._stack: list[list[Any]] = []
        self._documents = 0
        self.result: Any = None
        self.done = False
        self.fallback = False

    def advance(self, until_offset: int) -> None:
        """Consume events until the parser passed ``until_offset`` (a text index) or the end.

        Raises:
            yaml.YAMLError: the text is not valid YAML.
            DuplicateKeyError: a mapping repeats a key.
        """
        loader = self._loader
        while not self.done:
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                if event.anchor is not None or event.tag not in (None, "!"):
                    self._give_up()
                    return
                self._add(self._scalar(event), event)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if event.anchor is not None or event.tag not in (None, "!"):
                    self._give_up()
                    return
                container: Any = {} if kind is yaml.MappingStartEvent else []
                if not self._add(container, event):
                    return
                self._stack.append([container, _NO_KEY])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self._stack.pop()
            elif kind is yaml.AliasEvent:
                self._give_up()
                return
            elif kind is yaml.DocumentStartEvent:
                self._documents += 1
                if self._documents > 1:
                    self._give_up()
                    return
            elif kind is yaml.StreamEndEvent:
                self._finish()
                return
            if event.end_mark.index >= until_offset:
                return

    def _scalar(self, event: Any) -> Any:
        value = event.value
        if not event.implicit[0]:  # quoted, or a block literal with a tag of its own
            return value
        tag = self._loader.resolve(yaml.ScalarNode, value, event.implicit)
        if tag == _STR:
            return value
        constructor = self._loader.yaml_constructors.get(tag)
        if constructor is None:
            self._give_up()
            return None
        return constructor(self._loader, yaml.ScalarNode(tag, value))

    def _add(self, value: Any, event: Any) -> bool:
        """Place a value in the innermost collection; False when the stream gave up."""
        if self.fallback:
            return False
        if not self._stack:
            self.result = value
            return True
        top = self._stack[-1]
        container = top[0]
        if isinstance(container, list):
            container.append(value)
            return True
        if top[1] is _NO_KEY:
            if isinstance(value, dict | list) or value == "<<":
                self._give_up()  # complex or merge key
                return False
            if value in container:
                raise DuplicateKeyError(value, event.start_mark.line + 1)
            top[1] = value
            return True
        container[top[1]] = value
        top[1] = _NO_KEY
        return True

    def _give_up(self) -> None:
        self.fallback = True
        self._finish()

    def _finish(self) -> None:
        self.done = True
        self._loader.dispose()
