from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lyceum.privacy.models import DataExport
from lyceum.privacy.services import (
    EXPORT_LIFETIME,
    data_export_download,
    data_export_request,
)


@login_required
@require_http_methods(["GET", "POST"])
def data(request: HttpRequest) -> HttpResponse:
    """Your data: ask for a copy and download it (P41, P46)."""
    owner: Any = request.user  # signed in: login_required
    if request.method == "POST":
        data_export_request(user=owner, base_url=request.build_absolute_uri("/"))
        messages.success(
            request,
            _(
                "We are preparing your data. It takes a few minutes; "
                "we will email you when it is ready."
            ),
        )
        return redirect("privacy:data")
    exports = DataExport.objects.filter(
        user=owner,
        requested_at__gte=timezone.now() - EXPORT_LIFETIME - timedelta(days=1),
    )
    return render(request, "privacy/data.html", {"exports": exports, "now": timezone.now()})


@login_required
def data_download(request: HttpRequest, public_id: str) -> HttpResponseBase:
    owner: Any = request.user  # signed in: login_required
    export = DataExport.objects.filter(
        public_id=public_id, user=owner, status=DataExport.Status.READY
    ).first()
    if export is None:
        raise Http404  # someone else's copy does not exist, as far as this person knows
    if export.expires_at is None or export.expires_at < timezone.now() or not export.archive:
        return render(request, "privacy/data_expired.html", status=410)
    data_export_download(export=export, user=owner)
    return FileResponse(
        export.archive.open("rb"),
        as_attachment=True,
        filename=f"personal-data-{export.ready_at:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
