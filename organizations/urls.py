from django.urls import path

from . import views

urlpatterns = [
    path("organizations/", views.organization_list, name="organization-list-page"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization-page"),
]
