from django.urls import path

from lyceum.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.data, name="data"),
    path("<uuid:public_id>/download/", views.data_download, name="data_download"),
]
