"""Public privacy pages: cookie choices and the published versions of the policies."""

from django.urls import path

from lyceum.privacy import notice_views

app_name = "notice"
urlpatterns = [
    path("cookies/choices/", notice_views.choices, name="choices"),
    path("cookies/signal/", notice_views.signal, name="signal"),
    path("versions/", notice_views.versions, name="versions"),
    path("versions/<str:number>/", notice_views.version, name="version"),
    path("acknowledge/", notice_views.acknowledge, name="acknowledge"),
]
