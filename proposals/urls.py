from django.urls import path

from . import views

urlpatterns = [
    path("menu/", views.menu, name="menu"),
    path("needs/<int:pk>/", views.need_detail, name="need-page"),
    path("offers/<int:pk>/", views.offer_detail, name="offer-page"),
]
