from django.urls import path

from lyceum.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("privacy/", views.privacy, name="privacy"),
    path("cookies/", views.cookies, name="cookies"),
    path("contact/", views.contact, name="contact"),
    path("language/", views.language_set, name="language"),
]
