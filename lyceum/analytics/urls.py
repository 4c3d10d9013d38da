from django.urls import path

from lyceum.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("pageview/", views.pageview, name="pageview"),
    path("email/open/<str:token>.gif", views.email_open, name="email_open"),
    path("email/click/<str:token>/", views.email_click, name="email_click"),
]
