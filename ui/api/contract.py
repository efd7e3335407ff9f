"""The OpenAPI document as the contract: FastAPI's schema plus what only this server's settings know.

A guarded text field gets the guard's length limit and pattern, admin operations state that they need an
API key *and* the admin key, and operations are marked as open to anonymous callers when no API keys are
configured, so the document tells a client (and schemathesis) exactly what the running server accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from agent.reading.guard import visible_pattern
from hyanggi.settings import Settings
from ui.api.schemas import GUARDED

ADMIN_SCHEME = "AdminKey"


def contract(api: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """A replacement for ``api.openapi`` (built once, then cached like FastAPI's own)."""

    build = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            schema = build()
            _state_guard_rules(schema, settings.max_message_chars)
            _require_discriminators(schema)
            _require_both_keys(schema, api_keys=bool(settings.api_keys))
            if not settings.api_keys:
                _allow_anonymous(schema)
        return api.openapi_schema

    return openapi


def _state_guard_rules(node: Any, max_chars: int) -> None:
    if isinstance(node, dict):
        if node.pop(GUARDED, False):
            node.update(maxLength=max_chars, pattern=visible_pattern())
        for value in node.values():
            _state_guard_rules(value, max_chars)
    elif isinstance(node, list):
        for value in node:
            _state_guard_rules(value, max_chars)


def _require_discriminators(schema: dict[str, Any]) -> None:
    """A tagged union's tag must be sent even where the variant model gives it a default (pydantic needs it to
    pick the variant), so the document lists it as required."""
    components = schema.get("components", {}).get("schemas", {})

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if "discriminator" in node:
                tag = node["discriminator"]["propertyName"]
                for ref in node["discriminator"].get("mapping", {}).values():
                    variant = components[ref.rsplit("/", 1)[-1]]
                    variant["required"] = sorted({*variant.get("required", []), tag})
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for path in schema.get("paths", {}).values() for operation in path.values()
            if isinstance(operation, dict) and operation.get("security")]


def _require_both_keys(schema: dict[str, Any], api_keys: bool) -> None:
    """FastAPI lists every scheme of an operation as an alternative; an admin operation needs the API key
    (by header or bearer: those two are the alternatives) together with the admin key — or the admin key
    alone on a server without API keys. In OpenAPI the schemes of one requirement object are all required."""
    for operation in _operations(schema):
        if any(ADMIN_SCHEME in requirement for requirement in operation["security"]):
            key_ways = [requirement for requirement in operation["security"] if ADMIN_SCHEME not in requirement]
            operation["security"] = ([{**way, ADMIN_SCHEME: []} for way in key_ways] if api_keys
                                     else [{ADMIN_SCHEME: []}])


def _allow_anonymous(schema: dict[str, Any]) -> None:
    """An empty security requirement means "no credentials needed" in OpenAPI (never for the admin key)."""
    for operation in _operations(schema):
        if not any(ADMIN_SCHEME in requirement for requirement in operation["security"]):
            operation["security"].append({})
