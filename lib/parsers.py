"""The API's JSON parser: REST framework's, hardened against hostile bodies.

- a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 (REST framework reads the stream
  itself, so Django's own limit, which guards ``request.body``, never applies);
- bytes that are not UTF-8 and malformed JSON are a 400 with a message;
- nesting deeper than ``MAX_DEPTH`` is a 400 (10,000 levels would otherwise exhaust the
  recursion limit: a 500);
- a NUL character in any string is a 400 naming the field: PostgreSQL refuses NUL in
  text, and a value used only for a lookup (a code, a username) would reach the database
  without passing a CharField's own NUL check.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers

# Far beyond any body the API documents (posts nest two levels).
MAX_DEPTH = 32


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = _("送信データが大きすぎます。")
    default_code = "request_too_large"


def _check(data: Any) -> None:
    """Raise for nesting deeper than MAX_DEPTH or a NUL in any key or string value."""
    nul_fields: dict[str, list] = {}
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, field = stack.pop()
        if depth > MAX_DEPTH:
            raise exceptions.ParseError(_("JSONの入れ子が深すぎます。"))
        if isinstance(value, dict):
            for key, item in value.items():
                name = field or str(key).replace("\x00", "")
                if "\x00" in str(key):
                    nul_fields[name] = [_("使用できない文字（NUL）が含まれています。")]
                stack.append((item, depth + 1, name))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)
        elif isinstance(value, str) and "\x00" in value:
            nul_fields[field or "non_field_errors"] = [
                _("使用できない文字（NUL）が含まれています。")
            ]
    if nul_fields:
        raise exceptions.ValidationError(nul_fields)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1 if limit is not None else -1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise exceptions.ParseError(
                _("送信データの文字コードが正しくありません（UTF-8で送ってください）。")
            ) from None
        try:
            data = json.loads(text, parse_constant=self._reject_constant)
        except RecursionError:
            raise exceptions.ParseError(_("JSONの入れ子が深すぎます。")) from None
        except ValueError:
            raise exceptions.ParseError(_("JSONの形式が正しくありません。")) from None
        _check(data)
        return data

    @staticmethod
    def _reject_constant(name: str) -> Any:
        # NaN and Infinity are not JSON (REST framework's STRICT_JSON does the same).
        raise ValueError(f"{name} is not valid JSON")
