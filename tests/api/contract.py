"""Answers checked against /openapi.json: the schema a route documents for a status, made strict (a key
no model declares is an error, except beside an error's code and message, where details belong)."""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator


def answer_schema(openapi: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    """The JSON schema of `method path`'s answer with `status`, with the components it refers to."""
    responses = openapi["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} does not document a {status} answer"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return {**schema, "components": _strict(openapi["components"])}


def validate(schema: dict[str, Any], body: Any, *, partial: bool = False) -> None:
    """Raise jsonschema.ValidationError when `body` does not fit; `partial`: a documented sample that
    shows only some keys (every key it shows must be declared, with a value of the declared type)."""
    Draft202012Validator(_without_required(schema) if partial else schema).validate(body)


def _strict(components: dict[str, Any]) -> dict[str, Any]:
    strict = copy.deepcopy(components)
    for schema in strict.get("schemas", {}).values():
        if "properties" in schema:
            schema.setdefault("additionalProperties", False)
    return strict


def _without_required(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _without_required(value) for key, value in node.items() if key != "required"}
    if isinstance(node, list):
        return [_without_required(value) for value in node]
    return node
