"""The developer page of a client organisation: /organisations/<slug>/developers/."""

from django.urls import path

from lyceum.speech import developer_views as views

app_name = "developer"
urlpatterns = [
    path("", views.clients, name="clients"),
    path("<int:client_pk>/", views.client_detail, name="client"),
    path("<int:client_pk>/keys/", views.key_create, name="key_create"),
    path("<int:client_pk>/keys/<int:key_pk>/revoke/", views.key_revoke, name="key_revoke"),
    path("<int:client_pk>/oauth/", views.oauth_create, name="oauth_create"),
    path("<int:client_pk>/oauth/revoke/", views.oauth_revoke, name="oauth_revoke"),
    path("<int:client_pk>/review/", views.review_set, name="review"),
    path("<int:client_pk>/recordings/delete/", views.recordings_delete, name="recordings_delete"),
    path(
        "<int:client_pk>/recordings/<int:recording_pk>/audio/",
        views.recording_audio,
        name="recording_audio",
    ),
]
