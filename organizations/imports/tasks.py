"""Celery tasks of the registry import: thin wrappers over ``uploads`` (idempotent: see
there). Sent by name (``lib.tasks.task``) once the upload's transaction commits."""

from __future__ import annotations

from celery import shared_task

from organizations.imports import uploads


@shared_task(name="organizations.preview_registry", acks_late=True, ignore_result=True)
def preview_registry(upload_id: int) -> str:
    return uploads.preview(upload_id)


@shared_task(name="organizations.import_registry", acks_late=True, ignore_result=True)
def import_registry(upload_id: int) -> str:
    return uploads.run_import(upload_id)


@shared_task(name="organizations.sweep_registry_imports", ignore_result=True)
def sweep_registry_imports() -> int:
    return uploads.sweep()
