"""The OpenAPI document against the code: the problems it lists are the ones the code can
produce, every error the code can produce is listed somewhere, and every schema has an example
that is valid against the schema itself."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import getmygrapher
from getmygrapher.core.config import Settings
from getmygrapher.core.errors import DomainError
from getmygrapher.core.openapi import HANDLER_CODES, NOT_AUTHENTICATED, RATE_LIMITED, domain_errors
from getmygrapher.main import build_runtime, create_app

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def document(settings: Settings, database_url: str) -> AsyncIterator[dict[str, Any]]:
    runtime = build_runtime(settings, database_url)
    yield create_app(runtime).openapi()
    await runtime.aclose()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _documented_problems(document: dict[str, Any]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for _, _, operation in _operations(document):
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get(PROBLEM)
            if content is not None:
                found |= {
                    (int(status), code) for code in content["schema"]["properties"]["code"]["enum"]
                }
    return found


def _called_names() -> set[str]:
    """Names the package's code calls: `Name(...)` and `Name.method(...)`."""
    names: set[str] = set()
    for source in Path(getmygrapher.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                names.add(func.value.id)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def _producible() -> set[tuple[int, str]]:
    """The problems an HTTP answer can carry: every error class the code constructs, and
    those the handlers and dependencies produce."""
    called = _called_names()
    errors = {(cls.status, cls.code) for cls in domain_errors().values() if cls.__name__ in called}
    return errors | set(HANDLER_CODES) | {NOT_AUTHENTICATED, RATE_LIMITED}


def test_every_listed_problem_is_one_the_code_produces(document: dict[str, Any]) -> None:
    unknown = _documented_problems(document) - _producible()
    assert not unknown, f"the document lists codes nothing raises: {sorted(unknown)}"


def test_every_problem_the_code_produces_is_listed(document: dict[str, Any]) -> None:
    unlisted = _producible() - _documented_problems(document)
    assert not unlisted, f"errors the document never mentions: {sorted(unlisted)}"


def test_every_error_class_has_its_own_status_and_code() -> None:
    for name, cls in domain_errors().items():
        if cls is DomainError:
            continue
        assert 400 <= cls.status < 600, name
        assert cls.code.isidentifier(), name
        assert cls.code.islower(), name


def test_operations_that_need_a_session_document_401(document: dict[str, Any]) -> None:
    missing = [
        f"{method} {path}"
        for method, path, operation in _operations(document)
        if operation.get("security") and "401" not in operation["responses"]
    ]
    assert not missing


def test_operations_with_a_body_document_the_body_problems(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= set(operation["responses"]), f"{method} {path}"


def test_every_component_has_a_valid_example(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    for name, component in components.items():
        examples = component.get("examples")
        assert examples, f"{name} has no example"
        validator = Draft202012Validator(
            {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
        )
        for example in examples:
            errors = [error.message for error in validator.iter_errors(example)]
            assert not errors, f"{name}: {errors}"


def _has_example(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    if "example" in schema or "examples" in schema:
        return True
    if "$ref" in schema:
        return _has_example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if schema.get("type") == "array" and "items" in schema:
        return _has_example(schema["items"], components)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            return all(
                _has_example(s, components) for s in schema[combined] if s != {"type": "null"}
            )
    return False


def test_every_request_and_response_body_has_an_example(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    missing = []
    for method, path, operation in _operations(document):
        bodies = [("request", operation.get("requestBody", {}))] + [
            (status, response) for status, response in operation["responses"].items()
        ]
        for label, body in bodies:
            for media_type, content in body.get("content", {}).items():
                has = "example" in content or "examples" in content
                if not has and "schema" in content:
                    has = _has_example(content["schema"], components)
                if not has and media_type != "application/octet-stream":
                    missing.append(f"{method} {path} {label} {media_type}")
    assert not missing, missing


def test_examples_written_in_operations_fit_their_schema(document: dict[str, Any]) -> None:
    checked = 0
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            for media_type, content in response.get("content", {}).items():
                values = [e["value"] for e in content.get("examples", {}).values()]
                values += [content["example"]] if "example" in content else []
                if media_type == "text/html" or not values or "schema" not in content:
                    continue
                validator = Draft202012Validator(
                    content["schema"] | {"components": document["components"]}
                )
                for value in values:
                    errors = [error.message for error in validator.iter_errors(value)]
                    assert not errors, f"{method} {path} {status}: {errors}"
                    checked += 1
    assert checked > 1000  # every problem response carries one example per code
