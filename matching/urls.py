from django.urls import path

from . import views

urlpatterns = [
    path("cases/", views.case_book_page, name="case-book"),
]
