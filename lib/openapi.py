"""OpenAPI schema additions: the error answers every operation can give.

drf-spectacular documents the success response of each view. A client (and the schema
fuzzing in tests/security/test_api_fuzz.py) must also know the shape of the errors: 400 with
field-level messages, 401/403 with a ``detail``, 404 for an unknown id, 409 on a conflict,
413 for an oversized body, 429 when rate-limited, 503 while the database is down.
Registered as a drf-spectacular postprocessing hook in settings.SPECTACULAR_SETTINGS.
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "description": "An error: a message in ``detail`` (Japanese, or English on request).",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "required": ["detail"],
}
# Field errors: {"field": ["message", …], "non_field_errors": [...]} — nested for nested
# fields — or, rarely, a plain list of messages.
VALIDATION_ERROR = {
    "description": "Invalid input: messages per field (``non_field_errors`` for the whole).",
    "oneOf": [
        {"type": "object", "additionalProperties": {}},
        {"type": "array", "items": {}},
    ],
}

_WRITE_METHODS = {"post", "put", "patch", "delete"}


def _response(description: str, ref: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Add the error responses to every operation (keeping any a view documents itself)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "head", *_WRITE_METHODS}:
                continue
            responses = operation.setdefault("responses", {})
            errors = {
                "400": _response("入力内容に誤りがあります (invalid input)", "ValidationError"),
                "401": _response("ログインが必要です (authentication required)", "Error"),
                "403": _response("権限がありません (permission denied)", "Error"),
                "404": _response("見つかりません (not found)", "Error"),
                "503": _response("データベースに接続できません (database unavailable)", "Error"),
            }
            if method in _WRITE_METHODS:
                errors["409"] = _response("競合しました (conflict)", "Error")
                errors["413"] = _response("送信データが大きすぎます (body too large)", "Error")
                errors["429"] = _response("操作が多すぎます (rate limited)", "Error")
            for status, response in errors.items():
                responses.setdefault(status, response)
    return result
