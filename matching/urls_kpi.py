"""Coordinators' KPI pages, included under ``coord/kpi/`` by the project URLconf."""

from django.urls import path

from . import views_kpi

urlpatterns = [
    path("", views_kpi.dashboard, name="kpi-dashboard"),
    path("progress-sheet.csv", views_kpi.progress_sheet_csv, name="kpi-progress-sheet-csv"),
    path("progress-sheet.xlsx", views_kpi.progress_sheet_xlsx, name="kpi-progress-sheet-xlsx"),
]
