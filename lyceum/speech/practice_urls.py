"""The learners' pronunciation practice pages, and a class's practice sentences."""

from django.urls import path

from lyceum.speech import practice_views as views

app_name = "practice"
urlpatterns = [
    path("", views.home, name="home"),
    path("attempts/", views.attempt_record, name="record"),
    path("attempts/<int:pk>/", views.attempt_detail, name="attempt"),
    path("attempts/<int:pk>/delete/", views.attempt_delete, name="attempt_delete"),
    path("progress/", views.progress, name="progress"),
    path("classes/<int:pk>/sentences/", views.sentences, name="sentences"),
    path(
        "classes/<int:pk>/sentences/<int:sentence_pk>/remove/",
        views.sentence_remove,
        name="sentence_remove",
    ),
]
