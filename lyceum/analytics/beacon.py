"""What a page-view beacon may carry, checked before anything is counted (P08).

The script sends ``{"path", "referrer", "device", "language"}`` as JSON: the page's path
without its query string, the host name of the referring site (nothing more of its
address), a screen class and the page's language. Anything else, or anything malformed,
is refused with a reason.

The path is not stored as sent: it is matched against the site's routes and kept as the
route, with every captured value replaced by its name (``/classes/<pk>/``,
``/account/welcome/<uidb36>/<token>/``), except slugs, which are the public names of
courses and organisations. Ids and secret tokens in addresses thus never reach the counts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from lyceum.analytics.models import Device

MAX_BODY = 2048
FIELDS = {"path", "referrer", "device", "language"}
_PATH = re.compile(r"^/[\x21-\x7e]{0,499}$")
_HOST_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_HOST_LABEL}(?:\.{_HOST_LABEL})*$")
# A route's captured values: "<slug:slug>", "<pk>" (path()), "(?P<key>[-:\w]+)" (re_path()).
_ROUTE_VALUE = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_REGEX_LEFT = re.compile(r"[\\^$()\[\]*+?{}|]")
NOT_A_PAGE = ""


class InvalidPageView(ValueError):
    """The beacon is malformed; the message says how, for the JSON error."""


@dataclass(frozen=True)
class PageView:
    path: str
    referrer_host: str
    device: Device
    language: str


def page_of(path: str) -> str:
    """The route a path belongs to, with captured values named, not shown (see above);
    ``NOT_A_PAGE`` when no route matches."""
    try:
        match = resolve(unquote(path))
    except Resolver404:
        return NOT_A_PAGE
    route = match.route or ""
    if "(?P<" in route or "^" in route or "$" in route:  # a re_path() somewhere along
        route = _REGEX_GROUP.sub(r"<\1>", route).replace("^", "").replace("$", "")
        if _REGEX_LEFT.search(route):
            return f"/<{match.view_name}>"

    def shown(value: re.Match[str]) -> str:
        name = value.group("name")
        if value.group("converter") == "slug" and name in match.kwargs:
            return str(match.kwargs[name])
        return f"<{name}>"

    return "/" + _ROUTE_VALUE.sub(shown, route)


def pageview_parse(body: bytes, *, own_host: str) -> PageView:
    """The page view a beacon's body describes, or ``InvalidPageView``."""
    if len(body) > MAX_BODY:
        raise InvalidPageView(_("The page view is too large."))
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise InvalidPageView(_("The page view is not JSON.")) from None
    if not isinstance(data, dict):
        raise InvalidPageView(_("The page view must be a JSON object."))
    if unknown := sorted(set(data) - FIELDS):
        raise InvalidPageView(
            _("Unexpected fields: %(fields)s. Only path, referrer, device and language are taken.")
            % {"fields": ", ".join(unknown)}
        )
    if missing := sorted({"path", "device", "language"} - set(data)):
        raise InvalidPageView(_("Missing fields: %(fields)s.") % {"fields": ", ".join(missing)})
    path, referrer = data["path"], data.get("referrer", "")
    device, language = data["device"], data["language"]
    if not (isinstance(path, str) and _PATH.match(path)) or "?" in path or "#" in path:
        raise InvalidPageView(
            _("The path must start with / and have no query string (at most 500 characters).")
        )
    if not isinstance(referrer, str):
        raise InvalidPageView(_("The referrer must be a host name or empty."))
    referrer = referrer.strip().lower().removeprefix("www.")
    if referrer and not _HOST.match(referrer):
        raise InvalidPageView(_("The referrer must be a host name or empty."))
    if referrer == own_host.split(":")[0].lower().removeprefix("www."):
        referrer = ""  # moving between the site's own pages is no referral
    if device not in Device.values:
        raise InvalidPageView(
            _("The device must be one of: %(values)s.") % {"values": ", ".join(Device.values)}
        )
    languages = [code for code, _name in settings.LANGUAGES]
    if language not in languages:
        raise InvalidPageView(
            _("The language must be one of: %(values)s.") % {"values": ", ".join(languages)}
        )
    return PageView(
        path=page_of(path), referrer_host=referrer, device=Device(device), language=language
    )
