from django.urls import path

from lyceum.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.my_organisations, name="mine"),
    path("<slug:slug>/members/", views.members, name="members"),
]
