from django.urls import path

from lyceum.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.my_organisations, name="mine"),
    path("accept/<str:token>/", views.accept, name="accept"),
    path("<slug:slug>/members/", views.members, name="members"),
    path(
        "<slug:slug>/members/<int:membership_pk>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("<slug:slug>/requests/", views.requests, name="requests"),
    path("<slug:slug>/requests/<uuid:public_id>/", views.request_detail, name="request"),
]
