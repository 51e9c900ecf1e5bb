"""API for an organization's personal data: export (JSON) and a request for deletion."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.privacy import erasure
from matching.privacy import export as export_mod
from organizations.models import DeletionRequest, Organization


class DeletionRequestSerializer(serializers.ModelSerializer):
    confirm = serializers.BooleanField(write_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = DeletionRequest
        fields = [
            "id",
            "organization",
            "reason",
            "confirm",
            "status",
            "status_display",
            "requested_at",
            "due_on",
            "handled_at",
        ]
        read_only_fields = ["organization", "status", "requested_at", "due_on", "handled_at"]

    def validate_confirm(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(
                _("削除すると元に戻せないことを確認してください（confirm: true）。")
            )
        return value


def _organization(pk: int, user) -> Organization:
    """The organization, or 404. An organization the public cannot see (awaiting
    verification, retired) is 404 to outsiders too, as in the directory API: a 403 would
    tell them it exists."""
    org = get_object_or_404(Organization, pk=pk, deleted_at__isnull=True)
    public = org.is_verified and org.is_active
    if not (public or user.can_coordinate or user.is_member_of(org.pk)):
        raise Http404
    return org


class OrganizationExportView(APIView):
    """All of the organization's data as one JSON file (its admins and coordinators;
    a coordinator's export is written to the access log)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> HttpResponse:
        org = _organization(pk, request.user)
        if not export_mod.can_export(request.user, org):
            raise exceptions.PermissionDenied(_("この団体のデータを書き出す権限がありません。"))
        body = export_mod.export_json(org, user=request.user, request=request)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="tsunagu-organization-{pk}.json"'
        response["Cache-Control"] = "no-store"
        return response


class DeletionRequestView(APIView):
    """GET: the organization's deletion requests. POST ``{"reason", "confirm": true}``: ask
    for its personal data to be erased (its admins); a coordinator carries it out."""

    permission_classes = [permissions.IsAuthenticated]

    def _allowed(self, request: Request, org: Organization) -> None:
        if not export_mod.is_organization_admin(request.user, org):
            raise exceptions.PermissionDenied(_("削除を請求できるのは団体管理者だけです。"))

    @extend_schema(responses=DeletionRequestSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        org = _organization(pk, request.user)
        if not request.user.can_coordinate:
            self._allowed(request, org)
        rows = DeletionRequest.objects.filter(organization=org).order_by("-requested_at")
        return Response(DeletionRequestSerializer(rows, many=True).data)

    @extend_schema(request=DeletionRequestSerializer, responses={201: DeletionRequestSerializer})
    def post(self, request: Request, pk: int) -> Response:
        org = _organization(pk, request.user)
        self._allowed(request, org)
        serializer = DeletionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            req = erasure.request_deletion(org, request.user, serializer.validated_data["reason"])
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(DeletionRequestSerializer(req).data, status=status.HTTP_201_CREATED)
