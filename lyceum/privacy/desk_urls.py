"""The request desk (P47, P30): public request form, the requester's links, staff queue.
The organisations' queues are under /organisations/<slug>/requests/ (``orgs.urls``)."""

from django.urls import path

from lyceum.privacy import desk_views

app_name = "desk"
urlpatterns = [
    path("", desk_views.request_form, name="form"),
    path("sent/", desk_views.request_sent, name="sent"),
    path("confirm/<str:token>/", desk_views.request_confirm, name="confirm"),
    path("copy/<str:token>/", desk_views.request_file, name="file"),
    path("queue/", desk_views.queue, name="queue"),
    path("queue/new/", desk_views.enter, name="enter"),
    path("queue/<uuid:public_id>/", desk_views.detail, name="detail"),
]
