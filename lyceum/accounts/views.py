from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lyceum.accounts.forms import ProfileForm
from lyceum.accounts.http import AuthenticatedRequest
from lyceum.accounts.models import User
from lyceum.accounts.selectors import user_has_second_factor, user_platform_roles
from lyceum.accounts.services import user_profile_update
from lyceum.core.language import remember_language


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    # Bind to a copy so a rejected form never leaves half-applied values on request.user.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=user.pk))
    if request.method == "POST" and form.is_valid():
        changed = user_profile_update(actor=user, user=user, data=form.cleaned_data)
        if "language" in changed:
            translation.activate(form.cleaned_data["language"])
        messages.success(
            request, _("Your profile has been saved.") if changed else _("Nothing changed.")
        )
        response = redirect("accounts:profile")
        if "language" in changed:
            remember_language(response, form.cleaned_data["language"])
        return response
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "roles": sorted(user_platform_roles(user), key=lambda r: r.label),
            "has_second_factor": user_has_second_factor(user),
        },
    )
