from django.urls import path

from lyceum.accounts import children_views, views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("welcome/<str:uidb36>/<str:token>/", views.welcome, name="welcome"),
    path("add-email/", views.attach_account, name="attach_account"),
    path("waiting/", children_views.child_waiting, name="child_waiting"),
    path("parents/", children_views.parent_request, name="parent_request"),
    path("parents/consent/<str:token>/", children_views.parent_consent, name="parent_consent"),
    path("parents/<str:token>/", children_views.parent_home, name="parent_home"),
    path("parents/<str:token>/data.zip", children_views.parent_download, name="parent_download"),
    path("parents/<str:token>/stop/", children_views.parent_stop, name="parent_stop"),
    path(
        "parents/<str:token>/withdraw/",
        children_views.parent_withdraw_consent,
        name="parent_withdraw",
    ),
    path("parents/<str:token>/renew/", children_views.parent_renew, name="parent_renew"),
    path("parents/<str:token>/delete/", children_views.parent_delete, name="parent_delete"),
]
