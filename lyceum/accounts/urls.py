from django.urls import path

from lyceum.accounts import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("welcome/<str:uidb36>/<str:token>/", views.welcome, name="welcome"),
    path("add-email/", views.attach_account, name="attach_account"),
]
