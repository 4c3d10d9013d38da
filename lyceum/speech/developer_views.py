"""The developer page (P40): a client organisation's administrators, with a second factor,
make API clients, keys and OAuth2 credentials, revoke them, choose whether recordings are kept
for review, and see their usage. Another organisation's clients are "not found"."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lyceum.accounts.http import AuthenticatedRequest
from lyceum.accounts.middleware import second_factor_missing
from lyceum.orgs.models import Organisation
from lyceum.orgs.selectors import organisation_administered_or_404
from lyceum.privacy.audit import audit_record
from lyceum.speech import selectors, services
from lyceum.speech.clients import MAX_OPEN_JOBS, READS_PER_MINUTE
from lyceum.speech.forms import ApiClientForm, ApiKeyForm, ReviewForm
from lyceum.speech.models import ApiClient, ApiKey

RECORDINGS_SHOWN = 50


def _organisation(request: AuthenticatedRequest, slug: str) -> Organisation | HttpResponse:
    organisation = organisation_administered_or_404(user=request.user, slug=slug)
    return second_factor_missing(request) or organisation


@login_required
@never_cache
def clients(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    organisation = _organisation(request, slug)
    if isinstance(organisation, HttpResponse):
        return organisation
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = services.api_client_create(
            actor=request.user, organisation=organisation, name=form.cleaned_data["name"]
        )
        messages.success(request, _("The client is made. Now give it a key."))
        return redirect("developer:client", slug=organisation.slug, client_pk=client.pk)
    return render(
        request,
        "speech/developer/clients.html",
        {
            "organisation": organisation,
            "clients": selectors.api_clients_of(organisation),
            "form": form,
        },
    )


def _client_page(
    request: AuthenticatedRequest,
    organisation: Organisation,
    client: ApiClient,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    days = selectors.usage_days(client)
    requests_chart, minutes_chart = selectors.usage_charts(days)
    recordings = selectors.review_recordings_of(client)
    context = {
        "organisation": organisation,
        "client": client,
        "keys": selectors.api_keys_of(client),
        "key_form": ApiKeyForm(),
        "review_form": ReviewForm(initial={"review_days": client.review_days}),
        "usage": list(reversed(days)),
        "requests_chart": requests_chart,
        "minutes_chart": minutes_chart,
        "total_requests": sum(d.requests for d in days),
        "total_minutes": round(sum(d.audio_minutes for d in days), 2),
        "recordings": recordings[:RECORDINGS_SHOWN],
        "recordings_count": recordings.count(),
        "reads_per_minute": READS_PER_MINUTE,
        "max_open_jobs": MAX_OPEN_JOBS,
        "sync_seconds": f"{services.sync_seconds():g}",
        "max_seconds": f"{services.engine_limits().max_seconds:g}",
        "api_url": request.build_absolute_uri("/api/speech/v1/assessments"),
        "docs_url": request.build_absolute_uri(reverse("api:openapi-view")),
        "token_url": request.build_absolute_uri(reverse("oauth2_provider:token")),
        **extra,
    }
    return render(request, "speech/developer/client.html", context, status=status)


ClientView = Callable[..., HttpResponseBase]


def client_view(view: ClientView) -> Callable[..., HttpResponseBase]:
    """A view of one API client: signed in, administering its organisation with a second
    factor; the view gets the organisation and the client (another's is "not found")."""

    @functools.wraps(view)
    @login_required
    def wrapper(
        request: AuthenticatedRequest, slug: str, client_pk: int, **kwargs: Any
    ) -> HttpResponseBase:
        organisation = _organisation(request, slug)
        if isinstance(organisation, HttpResponse):
            return organisation
        client = selectors.api_client_of_or_404(organisation=organisation, pk=client_pk)
        return view(request, organisation, client, **kwargs)

    return wrapper


@client_view
@never_cache
def client_detail(
    request: AuthenticatedRequest, organisation: Organisation, client: ApiClient
) -> HttpResponse:
    return _client_page(request, organisation, client)


@client_view
@never_cache
@require_POST
def key_create(
    request: AuthenticatedRequest, organisation: Organisation, client: ApiClient
) -> HttpResponse:
    """Make a key and show it, this once: only its hash is kept (P40)."""
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _client_page(request, organisation, client, key_form=form, status=400)
    new = services.api_key_create(
        actor=request.user,
        client=client,
        label=form.cleaned_data["label"],
        scopes=form.cleaned_data["scopes"],
    )
    # Rendered, not redirected: the key must not be kept anywhere to show it again.
    return _client_page(request, organisation, client, new_key=new)


@client_view
@require_POST
def key_revoke(
    request: AuthenticatedRequest, organisation: Organisation, client: ApiClient, key_pk: int
) -> HttpResponse:
    key = get_object_or_404(ApiKey, client=client, pk=key_pk)
    services.api_key_revoke(actor=request.user, key=key)
    messages.success(
        request,
        _("The key “%(label)s” is revoked: it is refused from now on.") % {"label": key.label},
    )
    return redirect("developer:client", slug=organisation.slug, client_pk=client.pk)


@client_view
@never_cache
@require_POST
def oauth_create(
    request: AuthenticatedRequest, organisation: Organisation, client: ApiClient
) -> HttpResponse:
    """OAuth2 client credentials, replacing any earlier ones; the secret is shown once."""
    application, secret = services.api_client_oauth_create(actor=request.user, client=client)
    return _client_page(
        request,
        organisation,
        client,
        new_oauth={"client_id": application.client_id, "client_secret": secret},
    )


@client_view
@require_POST
def oauth_revoke(
    request: AuthenticatedRequest, organisation: Organisation, client: ApiClient
) -> HttpResponse:
    services.api_client_oauth_revoke(actor=request.user, client=client)
    messages.success(
        request, _("The OAuth2 credentials and every token made with them are revoked.")
    )
    return redirect("developer:client", slug=organisation.slug, client_pk=client.pk)


@client_view
@require_POST
def review_set(
    request: AuthenticatedRequest, organisation: Organisation, client: ApiClient
) -> HttpResponse:
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _client_page(request, organisation, client, review_form=form, status=400)
    days = form.cleaned_data["review_days"]
    services.api_client_review_set(actor=request.user, client=client, days=days)
    if days:
        messages.success(
            request,
            ngettext(
                "Recordings are kept %(days)s day for your review, then deleted.",
                "Recordings are kept %(days)s days for your review, then deleted.",
                days,
            )
            % {"days": days},
        )
    else:
        messages.success(request, _("Recordings are no longer kept; those kept are deleted."))
    return redirect("developer:client", slug=organisation.slug, client_pk=client.pk)


@client_view
@require_POST
def recordings_delete(
    request: AuthenticatedRequest, organisation: Organisation, client: ApiClient
) -> HttpResponse:
    services.review_recordings_delete(actor=request.user, client=client)
    messages.success(request, _("Every recording kept for review is deleted."))
    return redirect("developer:client", slug=organisation.slug, client_pk=client.pk)


@client_view
@never_cache
def recording_audio(
    request: AuthenticatedRequest, organisation: Organisation, client: ApiClient, recording_pk: int
) -> HttpResponseBase:
    """A recording kept for review, to its client's administrators only."""
    recording = get_object_or_404(selectors.review_recordings_of(client), pk=recording_pk)
    name = recording.audio.name or ""
    if not name or not default_storage.exists(name):
        raise Http404
    audit_record(action="speech.review_recording.played", actor=request.user, target=recording)
    response = FileResponse(default_storage.open(name), content_type="audio/wav")
    response["Cache-Control"] = "private, no-store"
    return response
