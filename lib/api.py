"""Shared REST framework pieces: pagination, error format, normalized text search."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination
from rest_framework.views import exception_handler as drf_exception_handler

from lib.errors import Forbidden, Invalid, NotFound, ServiceError
from lib.japanese import query_variants, split_query


class Pagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def api_exception(exc: ServiceError) -> exceptions.APIException:
    """The API's answer to a service's refusal (lib.errors): the only translation."""
    if isinstance(exc, Invalid):
        if exc.errors is None and not exc.field:
            return exceptions.ValidationError({"detail": exc.message})
        return exceptions.ValidationError(exc.field_errors())
    if isinstance(exc, Forbidden):
        return exceptions.PermissionDenied(str(exc.message) or None, code=exc.code)
    if isinstance(exc, NotFound):
        return exceptions.NotFound(str(exc.message) or None, code=exc.code)
    refused = exceptions.APIException(
        {"detail": exc.message or Conflict.default_detail, "code": exc.code, **exc.extra},
        code=exc.code,
    )
    refused.status_code = exc.status
    return refused


def exception_handler(exc, context):
    """DRF's handler, plus the services' refusals (lib.errors) and model-level errors
    turned into 4xx answers instead of 500s.

    Model ``clean()`` and database constraints are the last line of defence; serializers
    validate first, but a race (two requests creating the same thing) must still answer
    with a clear 400/409, never a trace.
    """
    if isinstance(exc, ServiceError):
        exc = api_exception(exc)
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, IntegrityError):
        exc = Conflict()
    elif isinstance(exc, DataError):
        # A value the database refuses (a NUL character in a query parameter, a number
        # out of range) that no validator caught: the client's input, so a 400.
        exc = exceptions.ValidationError(
            {"detail": [_("使用できない文字が含まれているか、値が範囲外です。")]}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = _("同じ内容のデータがすでにあるか、他の変更と競合しました。")
    default_code = "conflict"


def text_search(queryset: models.QuerySet, q: str, field: str = "search_text") -> models.QuerySet:
    """Every word of ``q`` must appear, in any of its normalized notations."""
    for term in split_query(q):
        cond = models.Q()
        for variant in query_variants(term):
            cond |= models.Q(**{f"{field}__contains": variant})
        queryset = queryset.filter(cond)
    return queryset
