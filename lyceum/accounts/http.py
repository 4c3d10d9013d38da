from django.http import HttpRequest

from lyceum.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """The request a ``login_required`` view receives: its user is signed in."""

    user: User
