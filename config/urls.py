from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from lyceum.privacy import views as privacy_views
from lyceum.web.api import api

admin.site.site_header = settings.LYCEUM_SCHOOL["name"]
admin.site.site_title = settings.LYCEUM_SCHOOL["name"]
# Staff sign in like everyone else: allauth's lock-outs and second factor, never a bare password.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", include("lyceum.web.urls")),
    path(".well-known/gpc.json", privacy_views.gpc, name="gpc"),
    path("account/", include("lyceum.accounts.urls")),
    path("account/data/", include("lyceum.privacy.urls")),
    path("privacy/", include("lyceum.privacy.public_urls")),
    path("privacy/requests/", include("lyceum.privacy.desk_urls")),
    path("analytics/", include("lyceum.analytics.urls")),
    path("api/", api.urls),
    path("practice/", include("lyceum.speech.practice_urls")),
    path("accounts/", include("allauth.urls")),
    path("organisations/<slug:slug>/developers/", include("lyceum.speech.developer_urls")),
    path("organisations/", include("lyceum.orgs.urls")),
    # OAuth2 client credentials for the speech API: the token endpoint, /o/token/.
    path("o/", include("lyceum.speech.oauth_urls", namespace="oauth2_provider")),
    path("", include("lyceum.learning.urls")),
    path("admin/", admin.site.urls),
]
