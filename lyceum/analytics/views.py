"""The beacon endpoint, the email pixel and click redirect, and the staff page (P08, P09).

None of these views sets a cookie or reads one for itself: consent comes from
``request.consent`` (the privacy middleware's answer for the person or the browser).
"""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from lyceum.accounts.http import AuthenticatedRequest
from lyceum.analytics import mail, selectors, services
from lyceum.analytics.beacon import MAX_BODY, InvalidPageView, pageview_parse
from lyceum.core.middleware import client_ip
from lyceum.privacy.consent import browser_signal

# Per address and minute. A school's whole class may share one address, so generous.
PAGEVIEWS_PER_MINUTE = 300
EMAIL_HITS_PER_MINUTE = 120
PERIODS = (7, 30, 90)
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _too_many(request: HttpRequest, *, scope: str, limit: int) -> bool:
    """A rate limit in the cache (any backend: Redis, database or memory). Its key is a
    keyed hash of the address, never the address, and lasts about a minute."""
    minute = int(time.time() // 60)
    key = "analytics:rate:" + salted_hmac(scope, f"{minute}|{client_ip(request)}").hexdigest()
    if cache.add(key, 1, timeout=90):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:  # it expired between the two calls: a new minute begins
        cache.add(key, 1, timeout=90)
        return False


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _from_elsewhere(request: HttpRequest) -> bool:
    """Is this request sent by another site's page? (The beacon is exempt from CSRF
    because a token would need a cookie; the browser's own headers say where it came from.)"""
    fetch_site = request.headers.get("Sec-Fetch-Site", "")
    if fetch_site and fetch_site != "same-origin":
        return True
    origin = request.headers.get("Origin", "")
    return bool(origin) and urlsplit(origin).netloc.lower() != request.get_host().lower()


@csrf_exempt
@require_POST
@never_cache
def pageview(request: HttpRequest) -> HttpResponse:
    """Count a page view (P08) if this person or browser consented to analytics and sends
    no Global Privacy Control or Do Not Track signal; otherwise store nothing at all."""
    if _from_elsewhere(request):
        return _error(403, _("Page views are taken only from this site's own pages."))
    if request.content_type not in {"application/json", "text/plain"}:
        return _error(400, _("Send the page view as JSON."))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_BODY + 1
    if length > MAX_BODY:
        return _error(400, _("The page view is too large."))
    try:
        view = pageview_parse(request.body, own_host=request.get_host())
    except InvalidPageView as error:
        return _error(400, str(error))
    if browser_signal(request) or not request.consent.analytics:  # type: ignore[attr-defined]
        return HttpResponse(status=204)
    if _too_many(request, scope="pageview", limit=PAGEVIEWS_PER_MINUTE):
        return _error(429, _("Too many page views from this address. Try again in a minute."))
    services.pageview_record(
        path=view.path,
        referrer_host=view.referrer_host,
        device=view.device,
        language=view.language,
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return HttpResponse(status=204)


def _counted(request: HttpRequest) -> bool:
    """Email opens and clicks are counted unless the browser asks not to be tracked or
    the address sends too many."""
    return not browser_signal(request) and not _too_many(
        request, scope="email", limit=EMAIL_HITS_PER_MINUTE
    )


@require_GET
@never_cache
def email_open(request: HttpRequest, token: str) -> HttpResponse:
    """The open pixel of a tracked email (P09): a transparent 1×1 GIF."""
    try:
        campaign = mail.open_campaign(token)
    except mail.InvalidLink:
        return HttpResponse(status=400)
    if _counted(request):
        services.campaign_open_record(campaign=campaign)
    return HttpResponse(PIXEL, content_type="image/gif")


@require_GET
@never_cache
def email_click(request: HttpRequest, token: str) -> HttpResponse:
    """A tracked link (P09): counted, then on to the address the email pointed to. Only
    addresses this site signed are followed: never an open redirect."""
    try:
        campaign, target = mail.click_target(token)
    except mail.InvalidLink:
        return render(request, "analytics/link_refused.html", status=400)
    if _counted(request):
        services.campaign_click_record(campaign=campaign)
    return HttpResponseRedirect(target)


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """Visits per day, top pages, referrers, devices, languages and email campaigns, for
    the school's staff; counts under ``SMALL_COUNT`` are shown as "<5"."""
    if not request.user.is_staff:
        raise PermissionDenied
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    last = services.today()
    first = last - timedelta(days=days - 1)
    period = {"first": first, "last": last}
    visits = selectors.visits_per_day(**period)
    return render(
        request,
        "analytics/dashboard.html",
        {
            "days": days,
            "periods": PERIODS,
            "first": first,
            "last": last,
            "visits": visits,
            "pages": selectors.top_pages(**period),
            "referrers": selectors.top_referrers(**period),
            "devices": selectors.by_device(**period),
            "peak": max((line.visitors for line in visits), default=0),
            "by_language": selectors.by_language(**period),  # "languages" is the header's
            "campaigns": selectors.campaigns(**period),
            "small": selectors.SMALL_COUNT,
        },
    )
