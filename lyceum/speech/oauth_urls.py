"""django-oauth-toolkit's endpoints that API clients need, and no others: the token endpoint
(client credentials) and revocation. No authorization, device or application-management page
is served: OAuth2 credentials are made on the developer page, for an organisation's client."""

from django.urls import path
from oauth2_provider import views

app_name = "oauth2_provider"
urlpatterns = [
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
]
