"""Open and click tracking of emails, only for people who consented to it (P09).

``email_track(message, recipient=..., campaign=...)`` is called on each message just
before it is sent. When the recipient's marketing consent is in force (and they have not
restricted processing, objected, or closed their account) it sends every web link of the
message through a signed click redirect and adds an open pixel; otherwise it leaves the
message exactly as it was. The links and the pixel carry the campaign only: opens and
clicks are counted per campaign and day, never per person.

Click targets are signed (``django.core.signing``): the redirect goes only where a
message sent by this site pointed, so it can never be used as an open redirect.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.core.mail.message import EmailAlternative
from django.urls import reverse

from lyceum import privacy
from lyceum.privacy.register import Purpose

OPEN_SALT = "lyceum.analytics.email-open"
CLICK_SALT = "lyceum.analytics.email-click"
CAMPAIGN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_HREF = re.compile(r"""(<a\b[^>]*?\shref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_URL = re.compile(r"""https?://[^\s<>"']+""", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


class InvalidLink(ValueError):
    """A tracked link or pixel whose signature does not hold (tampered or made elsewhere)."""


def tracking_allowed(recipient: Any) -> bool:
    """May this recipient's opens and clicks be counted? Only a person with an account can
    have consented: an address alone never can."""
    return getattr(recipient, "pk", None) is not None and privacy.allows(
        recipient, Purpose.MARKETING
    )


def open_url(*, campaign: str, base_url: str) -> str:
    token = signing.dumps(campaign, salt=OPEN_SALT)
    return base_url + reverse("analytics:email_open", args=[token])


def click_url(*, campaign: str, target: str, base_url: str) -> str:
    token = signing.dumps({"c": campaign, "u": target}, salt=CLICK_SALT, compress=True)
    return base_url + reverse("analytics:email_click", args=[token])


def open_campaign(token: str) -> str:
    """The campaign of a pixel's token, or ``InvalidLink``."""
    try:
        campaign = signing.loads(token, salt=OPEN_SALT)
    except signing.BadSignature:
        raise InvalidLink(token) from None
    if not isinstance(campaign, str) or not CAMPAIGN.match(campaign):
        raise InvalidLink(token)
    return campaign


def click_target(token: str) -> tuple[str, str]:
    """(campaign, target address) of a tracked link's token, or ``InvalidLink``."""
    try:
        data = signing.loads(token, salt=CLICK_SALT)
    except signing.BadSignature:
        raise InvalidLink(token) from None
    if not isinstance(data, dict):
        raise InvalidLink(token)
    campaign, target = data.get("c"), data.get("u")
    if not (isinstance(campaign, str) and CAMPAIGN.match(campaign) and isinstance(target, str)):
        raise InvalidLink(token)
    if not _is_web_link(target):
        raise InvalidLink(token)
    return campaign, target


def _is_web_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def email_track(
    message: EmailMessage,
    *,
    recipient: Any,
    campaign: str,
    base_url: str | None = None,
    keep: Iterable[str] = (),
) -> bool:
    """Add open and click tracking to ``message`` if ``recipient`` consented (P09).

    ``recipient`` is the person the message goes to (a user); ``campaign`` names what is
    counted (lower-case letters, digits, ``.``, ``_``, ``-``; at most 64). Links in
    ``keep`` (such as the unsubscribe link) are never rewritten. Returns whether tracking
    was added; when it was not, the message is untouched, byte for byte."""
    if not CAMPAIGN.match(campaign):
        raise ValueError(f"not a campaign name: {campaign!r}")
    if not tracking_allowed(recipient):
        return False
    base = (base_url or settings.LYCEUM_SITE_URL).rstrip("/")
    kept = set(keep)
    # Links already tracked (the message was given here before) are left as they are.
    own = base + reverse("analytics:email_open", args=["x"]).rsplit("/", 2)[0] + "/"

    def tracked(url: str) -> str:
        if url in kept or url.startswith(own) or not _is_web_link(url):
            return url
        return click_url(campaign=campaign, target=url, base_url=base)

    pixel = open_url(campaign=campaign, base_url=base)
    if message.content_subtype == "html":
        message.body = _track_html(str(message.body), tracked, pixel)
    else:
        message.body = _track_text(str(message.body), tracked)
    alternatives = getattr(message, "alternatives", None)
    if alternatives:
        message.alternatives = [  # type: ignore[attr-defined]
            EmailAlternative(_track_html(content, tracked, pixel), mimetype)
            if mimetype == "text/html" and isinstance(content, str)
            else EmailAlternative(content, mimetype)
            for content, mimetype in alternatives
        ]
    return True


def _track_html(document: str, tracked: Callable[[str], str], pixel: str) -> str:
    def link(match: re.Match[str]) -> str:
        start, quote, value = match.groups()
        url = tracked(html.unescape(value).strip())
        if url == html.unescape(value).strip():
            return match.group(0)
        return f"{start}{quote}{html.escape(url)}{quote}"

    document = _HREF.sub(link, document)
    image = (
        f'<img src="{html.escape(pixel)}" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0">'
    )
    ends = list(_BODY_END.finditer(document))
    if ends:
        at = ends[-1].start()
        return document[:at] + image + document[at:]
    return document + image


def _track_text(text: str, tracked: Callable[[str], str]) -> str:
    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        tail = ""
        while url and url[-1] in _TRAILING:
            url, tail = url[:-1], url[-1] + tail
        return tracked(url) + tail

    return _URL.sub(link, text)
