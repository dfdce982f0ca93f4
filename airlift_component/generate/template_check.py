"""Refusing, at generation time, templates that use names the runtime does not provide."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from airlift_component.errors import MissingDependencyError
from airlift_component.generate.refusals import Refusal
from airlift_component.generate.runtime.templates import TEMPLATE_NAMES


def is_template(value: str) -> bool:
    """True when Jinja would change ``value`` (it holds ``{{``, ``{%`` or ``{#``)."""
    return any(mark in value for mark in ("{{", "{%", "{#"))


def strings_in(value: Any) -> Iterator[str]:
    """Every string of ``value``, through nested lists, tuples and dict values."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)


def check_template(template: str, line: int) -> None:
    """:class:`Refusal` when ``template`` is not valid Jinja or uses a name (or an
    attribute of ``macros``, ``dag``, ``task``) outside :data:`TEMPLATE_NAMES`."""
    try:
        import jinja2
        from jinja2 import meta, nodes
    except ImportError:
        raise MissingDependencyError("jinja2", "dagster") from None
    from airlift_component.generate.runtime.templates import environment

    env = environment()
    try:
        parsed = env.parse(template)
        undeclared = meta.find_undeclared_variables(parsed)
    except jinja2.TemplateAssertionError as exc:
        raise Refusal(f"template uses {exc.message} not supported", line) from None
    except jinja2.TemplateSyntaxError as exc:
        raise Refusal(f"template is not valid Jinja ({exc.message})", line) from None
    for name in sorted(undeclared):
        if name not in TEMPLATE_NAMES:
            raise Refusal(f"template uses {name} not supported", line)
    for node in parsed.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name in TEMPLATE_NAMES:
            allowed = TEMPLATE_NAMES[node.node.name]
            if allowed is not None and node.attr not in allowed:
                raise Refusal(f"template uses {node.node.name}.{node.attr} not supported", line)
