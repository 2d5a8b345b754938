"""The OpenAPI document as a contract: every status an operation can answer, with the stable
problem codes behind it, and an example on every schema.

The error responses are derived from the code rather than declared per route, so they cannot
drift: the statuses that the request's shape implies (a body can be too large, a parameter
invalid), the dependencies it runs (a bearer token can be refused), and the domain errors that
the endpoint and everything it calls in this package can raise, found by reading their source.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from getmygrapher.core.db import unit_of_work
from getmygrapher.core.errors import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, DomainError
from getmygrapher.core.examples import example_for
from getmygrapher.core.ratelimit import UNLIMITED_PREFIXES, limit_writes

ROOT_PACKAGE = "getmygrapher"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Problems that come from the framework and the error handlers rather than a DomainError.
MALFORMED = (400, "malformed_request")
VALIDATION = (422, "validation_failed")
PAYLOAD_TOO_LARGE = (413, "payload_too_large")
UNSUPPORTED_MEDIA_TYPE = (415, "unsupported_media_type")
CONFLICT = (409, "conflict")
UNAVAILABLE = (503, "service_unavailable")
RATE_LIMITED = (429, "rate_limited")
NOT_AUTHENTICATED = (401, "not_authenticated")

HANDLER_CODES = frozenset(
    {MALFORMED, VALIDATION, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, CONFLICT, UNAVAILABLE}
)

_HEADERS: Mapping[int, Mapping[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "`Bearer`: send an access token from /v1/auth.",
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        },
        "X-RateLimit-Limit": {
            "description": "Requests allowed in the window.",
            "schema": {"type": "integer"},
        },
        "X-RateLimit-Remaining": {
            "description": "Requests left in the window.",
            "schema": {"type": "integer"},
        },
    },
    503: {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    },
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. Branch on `code`, which never changes once shipped.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code", "errors"],
    "properties": {
        "type": {"type": "string", "description": "A URL naming the code."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "For people: what happened and what to do."},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "Stable, machine-readable."},
        "errors": {
            "type": "array",
            "description": "One entry per failing field (validation problems).",
            "items": {"$ref": "#/components/schemas/ProblemField"},
        },
        "request_id": {"type": ["string", "null"]},
    },
    "additionalProperties": True,
}

PROBLEM_FIELD_SCHEMA: dict[str, Any] = {
    "title": "ProblemField",
    "type": "object",
    "required": ["field", "code", "message"],
    "properties": {
        "field": {"type": "string", "description": "Dotted path of the field, e.g. `budget.min`."},
        "code": {"type": "string", "description": "One of the validation codes of SPEC §20."},
        "message": {"type": "string"},
    },
}


def problem_example(status: int, code: str, detail: str) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": "/v1/…",
        "code": code,
        "errors": (
            [{"field": "title", "code": "invalid_length", "message": "Use 5 to 100 characters."}]
            if status == 422
            else []
        ),
        "request_id": "0b9f3c2e8d1a4f6b",
    }


def domain_errors() -> dict[str, type[DomainError]]:
    """Every DomainError class of the loaded code, by qualified name."""
    found: dict[str, type[DomainError]] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls
        pending.extend(cls.__subclasses__())
    return found


# Reading the source for raised errors ------------------------------------------------------------


@dataclass
class _Reader:
    """Follows calls from a function to the functions and methods of this package it uses, and
    collects the DomainError classes any of them constructs."""

    errors: dict[Callable[..., Any], frozenset[type[DomainError]]] = field(default_factory=dict)

    def raised_by(self, function: Callable[..., Any]) -> frozenset[type[DomainError]]:
        found: set[type[DomainError]] = set()
        for reached in self._reach(function):
            found |= self._constructed(reached)
        return frozenset(found)

    def _reach(self, start: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
        seen: set[Any] = set()
        pending = [start]
        while pending:
            function = _unwrap(pending.pop())
            if function is None or function in seen:
                continue
            seen.add(function)
            yield function
            pending.extend(self._callees(function))

    def _constructed(self, function: Callable[..., Any]) -> frozenset[type[DomainError]]:
        if function not in self.errors:
            self.errors[function] = frozenset(
                target
                for target in self._referenced(function)
                if isinstance(target, type) and issubclass(target, DomainError)
            )
        return self.errors[function]

    def _callees(self, function: Callable[..., Any]) -> list[Callable[..., Any]]:
        callees: list[Callable[..., Any]] = []
        tree = _syntax(function)
        if tree is None:
            return callees
        scope = _scope(function)
        classes = [value for value in scope.values() if _ours_class(value)]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            target = _resolve(node.func, scope)
            if isinstance(target, types.FunctionType | types.MethodType) and _ours(target):
                callees.append(target)
            elif _ours_class(target):
                init = getattr(target, "__init__", None)
                if isinstance(init, types.FunctionType) and _ours(init):
                    callees.append(init)
            elif target is None and isinstance(node.func, ast.Attribute):
                # `repository.require_user(...)` on an instance: any class this module knows
                # with that method may be the one called; failing that, any class of ours.
                name = node.func.attr
                known = [m for m in (_method(c, name) for c in classes) if m is not None]
                callees.extend(known or _methods_named().get(name, ()))
        return callees

    def _referenced(self, function: Callable[..., Any]) -> Iterator[Any]:
        tree = _syntax(function)
        if tree is None:
            return
        scope = _scope(function)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                target = _resolve(node.func, scope)
                if target is None and isinstance(node.func, ast.Attribute):
                    # `ValidationFailed.field(...)`, `ImageRejected.file_too_large(...)`
                    target = _resolve(node.func.value, scope)
                yield target
            elif isinstance(node, ast.Raise) and node.exc is not None:
                yield _resolve(node.exc, scope)


def _method(cls: type, name: str) -> types.FunctionType | None:
    method = inspect.getattr_static(cls, name, None)
    method = getattr(method, "__func__", method)
    return method if isinstance(method, types.FunctionType) and _ours(method) else None


_METHODS: dict[str, list[types.FunctionType]] = {}


def _methods_named() -> dict[str, list[types.FunctionType]]:
    """Every method of every class defined in this package, by name."""
    if not _METHODS:
        for module in list(sys.modules.values()):
            if not getattr(module, "__name__", "").startswith(ROOT_PACKAGE):
                continue
            for value in vars(module).values():
                if _ours_class(value) and value.__module__ == module.__name__:
                    for name in vars(value):
                        method = _method(value, name)
                        if method is not None:
                            _METHODS.setdefault(name, []).append(method)
    return _METHODS


def _unwrap(function: Any) -> Callable[..., Any] | None:
    function = getattr(function, "__func__", function)
    if isinstance(function, type) or not callable(function):
        return None
    function = inspect.unwrap(function)
    return function if isinstance(function, types.FunctionType) and _ours(function) else None


def _ours(function: Any) -> bool:
    return str(getattr(function, "__module__", "")).startswith(ROOT_PACKAGE)


def _ours_class(value: Any) -> bool:
    return isinstance(value, type) and _ours(value) and not issubclass(value, BaseException)


_SYNTAX: dict[Any, ast.AST | None] = {}


def _syntax(function: Callable[..., Any]) -> ast.AST | None:
    code = getattr(function, "__code__", None)
    if code not in _SYNTAX:
        try:
            _SYNTAX[code] = ast.parse(textwrap.dedent(inspect.getsource(function)))
        except (OSError, TypeError, SyntaxError):
            _SYNTAX[code] = None
    return _SYNTAX[code]


def _scope(function: Callable[..., Any]) -> dict[str, Any]:
    scope = dict(getattr(function, "__globals__", {}))
    closure = getattr(function, "__closure__", None) or ()
    for name, cell in zip(function.__code__.co_freevars, closure, strict=False):
        try:
            scope[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return scope


def _resolve(node: ast.expr, scope: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Call):
        return _resolve(node.func, scope)
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, scope)
        if isinstance(owner, types.ModuleType) or _ours_class(owner):
            return getattr(owner, node.attr, None)
        if isinstance(owner, type) and issubclass(owner, DomainError):
            return owner  # a constructor classmethod of an error
    return None


# Operations --------------------------------------------------------------------------------------


def _dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependency_calls(sub)


def api_routes(app: FastAPI) -> Iterator[Any]:
    """The HTTP operations as the app serves them, router-level dependencies included."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def _problems_of(route: Any, operation: Mapping[str, Any], reader: _Reader) -> dict[int, set[str]]:
    problems: dict[int, set[str]] = {}

    def add(status: int, code: str) -> None:
        problems.setdefault(status, set()).add(code)

    methods = route.methods or set()
    calls = list(_dependency_calls(route.dependant))
    for call in [route.endpoint, *calls]:
        if call is limit_writes and not (
            methods & WRITE_METHODS and not route.path_format.startswith(UNLIMITED_PREFIXES)
        ):
            continue
        for error in reader.raised_by(call):
            add(error.status, error.code)
    if operation.get("parameters") or operation.get("requestBody"):
        add(*VALIDATION)
    if operation.get("requestBody"):
        add(*MALFORMED)
        add(*PAYLOAD_TOO_LARGE)
        add(*UNSUPPORTED_MEDIA_TYPE)
    if methods & WRITE_METHODS:
        # A constraint the service did not foresee (two racing writers) is a 409, never a 500.
        add(*CONFLICT)
    if unit_of_work in calls:
        add(*UNAVAILABLE)
    return problems


def _problem_response(status: int, codes: Iterable[str]) -> dict[str, Any]:
    ordered = sorted(codes)
    details = {
        400: "The request could not be read.",
        401: "Sign in to continue.",
        402: "The monthly limit is reached.",
        403: "You may not do this.",
        404: "Nothing was found here, or it is not visible to you.",
        409: "The request conflicts with the current state.",
        412: "The resource changed since you read it.",
        413: "The request is too large.",
        415: "Send the body in a content type this operation accepts.",
        422: "Some fields are missing or invalid.",
        428: "This request needs a precondition header.",
        429: "Too many requests; slow down.",
        503: "The service is temporarily unavailable. Please retry shortly.",
    }
    detail = details.get(status, HTTPStatus(status).phrase)
    response: dict[str, Any] = {
        "description": f"{HTTPStatus(status).phrase}: " + ", ".join(f"`{c}`" for c in ordered),
        "content": {
            PROBLEM_CONTENT_TYPE: {
                "schema": {
                    "allOf": [{"$ref": "#/components/schemas/Problem"}],
                    "properties": {
                        "status": {"const": status},
                        "code": {"type": "string", "enum": ordered},
                    },
                },
                "examples": {
                    code: {"value": problem_example(status, code, detail)} for code in ordered
                },
            }
        },
    }
    if status in _HEADERS:
        response["headers"] = dict(_HEADERS[status])
    return response


def document_problems(app: FastAPI, schema: dict[str, Any]) -> dict[str, dict[int, set[str]]]:
    """Add every error response to `schema` in place; returns operationId → status → codes."""
    reader = _Reader()
    documented: dict[str, dict[int, set[str]]] = {}
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        path_item = schema["paths"].get(route.path_format, {})
        for method in sorted(route.methods or ()):
            operation = path_item.get(method.lower())
            if operation is None:
                continue
            problems = _problems_of(route, operation, reader)
            responses = operation.setdefault("responses", {})
            # FastAPI's default 422 names its own HTTPValidationError; ours is problem+json.
            if "422" in responses and _is_fastapi_validation(responses["422"]):
                del responses["422"]
            for status, codes in sorted(problems.items()):
                if str(status) in responses:
                    continue  # the route documents it itself (an HTML page, say)
                responses[str(status)] = _problem_response(status, codes)
            documented[operation["operationId"]] = problems
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["Problem"] = PROBLEM_SCHEMA | {
        "examples": [problem_example(404, "not_found", "Nothing was found at this address.")]
    }
    components["ProblemField"] = PROBLEM_FIELD_SCHEMA | {
        "examples": [{"field": "title", "code": "invalid_length", "message": "Too short."}]
    }
    return documented


def _is_fastapi_validation(response: Mapping[str, Any]) -> bool:
    content = response.get("content", {}).get("application/json", {})
    return "HTTPValidationError" in str(content.get("schema", {}).get("$ref", ""))


_HTML_EXAMPLE = '<!doctype html><html lang="en"><title>GetMyGrapher</title><h1>…</h1></html>'


def add_examples(schema: dict[str, Any]) -> None:
    """Every component schema without an example gets one built from its own constraints, and
    so does every body schema written inline in an operation."""
    components = schema.get("components", {}).get("schemas", {})
    for name, component in components.items():
        if "examples" not in component and "example" not in component:
            example = example_for(component, components, hint=name)
            if example is not None:
                component["examples"] = [example]
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            bodies = [operation.get("requestBody", {}), *operation.get("responses", {}).values()]
            for body in bodies:
                for media_type, content in body.get("content", {}).items():
                    _add_inline_example(media_type, content, components)


def _add_inline_example(
    media_type: str, content: dict[str, Any], components: Mapping[str, Any]
) -> None:
    inline = content.get("schema")
    if "example" in content or "examples" in content or not inline or "$ref" in inline:
        return
    if media_type == "text/html":
        content["example"] = _HTML_EXAMPLE
    elif (example := example_for(inline, components, hint=inline.get("title", ""))) is not None:
        content["example"] = example


def install_openapi(app: FastAPI) -> None:
    """Replace the app's document builder with one that adds errors and examples (once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                servers=app.servers,
            )
            document_problems(app, schema)
            add_examples(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
