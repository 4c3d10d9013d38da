from django.urls import path

from lyceum.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.data, name="data"),
    path("<uuid:public_id>/download/", views.data_download, name="data_download"),
    path("correct/", views.rectification, name="rectification"),
    path("limits/", views.limits, name="limits"),
    path("consents/", views.consents, name="consents"),
    path("delete/", views.erasure, name="erasure"),
    path("delete/keep/<str:token>/", views.erasure_keep, name="erasure_keep"),
]
