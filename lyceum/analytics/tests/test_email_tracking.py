"""Email beacons (P09): opens and clicks are tracked only for people who consented to
marketing, counted per campaign and day, and the click redirect goes only where we sent."""

from __future__ import annotations

import copy
import re
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.core.mail import EmailMessage, EmailMultiAlternatives

from lyceum.analytics import mail
from lyceum.analytics.mail import email_track
from lyceum.analytics.models import CampaignCount
from lyceum.privacy.consent import consent_record
from lyceum.privacy.models import ConsentRecord, ProcessingLimit
from lyceum.privacy.services import processing_limit_set

BASE = "https://school.example"
COURSE = "https://school.example/courses/french-b1/?utm=none&x=1"
UNSUBSCRIBE = "https://school.example/newsletter/unsubscribe/tok123/"
TEXT = f"Our new course: {COURSE}.\nWrite to us: mailto:hello@school.example\nStop: {UNSUBSCRIBE}\n"
HTML = (
    '<html><body><p>Our <a class="big" href="https://school.example/courses/french-b1/'
    "?utm=none&amp;x=1\">new course</a>, <a href='https://blog.example/post'>the post</a>, "
    '<a href="mailto:hello@school.example">write</a>, <a href="#top">top</a>.</p>'
    f'<p><a href="{UNSUBSCRIBE}">Unsubscribe</a></p></body></html>'
)


def _message() -> EmailMultiAlternatives:
    message = EmailMultiAlternatives("News", TEXT, to=["ada@example.org"])
    message.attach_alternative(HTML, "text/html")
    return message


def _consenting(make_user):
    user = make_user()
    consent_record(choices={"marketing": True}, method=ConsentRecord.Method.FORM, user=user)
    return user


def _html(message: EmailMultiAlternatives) -> str:
    return str(message.alternatives[0][0])


def _path(url: str) -> str:
    return urlsplit(url).path


def test_p09_an_email_to_someone_who_consented_has_a_pixel_and_tracked_links(client, make_user):
    message = _message()
    assert email_track(
        message,
        recipient=_consenting(make_user),
        campaign="spring-news",
        base_url=BASE,
        keep=[UNSUBSCRIBE],
    )
    html = _html(message)
    links = re.findall(r'href="([^"]+)"', html) + re.findall(r"href='([^']+)'", html)
    tracked = [link for link in links if link.startswith(f"{BASE}/analytics/email/click/")]
    assert len(tracked) == 2  # the course and the blog post
    assert "mailto:hello@school.example" in links and "#top" in links
    assert UNSUBSCRIBE in links  # never tracked
    assert 'class="big"' in html
    pixels = re.findall(r'<img src="([^"]+)" width="1" height="1" alt=""', html)
    assert len(pixels) == 1 and pixels[0].startswith(f"{BASE}/analytics/email/open/")
    assert html.index("<img") < html.index("</body>")
    text_links = re.findall(r"https?://\S+", str(message.body))
    assert text_links[0].startswith(f"{BASE}/analytics/email/click/")
    assert text_links[0].endswith("/.")  # the sentence's full stop stays outside the link
    assert UNSUBSCRIBE in text_links
    assert "mailto:hello@school.example" in message.body

    # A click counts, and leads where the email pointed, query string and all.
    response = client.get(_path(tracked[0]))
    assert response.status_code == 302 and response["Location"] == COURSE
    response = client.get(_path(text_links[0].rstrip(".")))
    assert response["Location"] == COURSE
    assert client.get(_path(tracked[1]))["Location"] == "https://blog.example/post"
    # An open counts, and is a 1x1 GIF that no cache keeps.
    pixel = client.get(_path(pixels[0]))
    assert pixel.status_code == 200 and pixel["Content-Type"] == "image/gif"
    assert pixel.content.startswith(b"GIF89a") and "no-cache" in pixel["Cache-Control"]
    for response in (pixel, client.get(_path(tracked[1]))):
        assert not response.cookies
    row = CampaignCount.objects.get()
    assert (row.campaign, row.opens, row.clicks) == ("spring-news", 1, 4)
    # Per campaign and day: no recipient, no link, nothing else.
    assert {f.name for f in CampaignCount._meta.concrete_fields} == {
        "id",
        "day",
        "campaign",
        "opens",
        "clicks",
    }


def test_p09_an_html_only_message_is_tracked_too(make_user):
    message = EmailMessage("News", HTML, to=["ada@example.org"])
    message.content_subtype = "html"
    assert email_track(message, recipient=_consenting(make_user), campaign="html-only")
    assert message.body.count("/analytics/email/click/") == 3  # the unsubscribe link too
    assert "/analytics/email/open/" in message.body


def test_p09_tracking_twice_does_not_wrap_links_twice(make_user):
    user, message = _consenting(make_user), _message()
    email_track(message, recipient=user, campaign="news", base_url=BASE)
    once = _html(message)
    email_track(message, recipient=user, campaign="news", base_url=BASE)
    again = _html(message)
    assert re.findall(r'href="([^"]+)"', again) == re.findall(r'href="([^"]+)"', once)


def _restricted(make_user):
    user = _consenting(make_user)
    processing_limit_set(user=user, actor=user, kind=ProcessingLimit.Kind.RESTRICTION, on=True)
    return user


def _objected(make_user):
    user = _consenting(make_user)
    processing_limit_set(
        user=user, actor=user, kind=ProcessingLimit.Kind.OBJECTION, on=True, purpose="marketing"
    )
    return user


def _refused(make_user):
    user = make_user()
    consent_record(choices={"marketing": False}, method=ConsentRecord.Method.FORM, user=user)
    return user


def _analytics_only(make_user):
    user = make_user()
    consent_record(choices={"analytics": True}, method=ConsentRecord.Method.FORM, user=user)
    return user


def _closed(make_user):
    user = _consenting(make_user)
    user.is_active = False
    user.save()
    return user


@pytest.mark.parametrize(
    "recipient",
    [
        lambda make_user: make_user(),
        _refused,
        _analytics_only,
        _restricted,
        _objected,
        _closed,
        lambda make_user: None,
        lambda make_user: "ada@example.org",
    ],
    ids=[
        "never-asked",
        "refused",
        "analytics-only",
        "restricted",
        "objected",
        "closed",
        "nobody",
        "address-only",
    ],
)
def test_p09_an_email_to_anyone_else_is_left_byte_for_byte_as_it_was(make_user, recipient):
    message = _message()
    before = copy.deepcopy(message)
    assert not email_track(message, recipient=recipient(make_user), campaign="spring-news")
    assert message.body == before.body
    assert message.alternatives == before.alternatives
    assert "/analytics/" not in message.message().as_string()
    assert not CampaignCount.objects.exists()


def test_p09_a_tampered_or_foreign_click_target_is_refused(client, make_user):
    message = _message()
    email_track(message, recipient=_consenting(make_user), campaign="news", base_url=BASE)
    link = re.findall(r'href="([^"]+/analytics/email/click/[^"]+)"', _html(message))[0]
    token = _path(link).rstrip("/").rsplit("/", 1)[1]
    forged_target = signing.dumps(
        {"c": "news", "u": "https://evil.example/"}, salt="some.other.salt", compress=True
    )
    made_elsewhere = signing.dumps({"c": "news", "u": "https://evil.example/"}, key="other-key")
    for bad in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        forged_target,
        made_elsewhere,
        "https:--evil.example",
    ):
        response = client.get(f"/analytics/email/click/{bad}/")
        assert response.status_code == 400
        assert "Location" not in response
        assert "This link does not work" in response.content.decode()
    pixel = client.get("/analytics/email/open/" + forged_target + ".gif")
    assert pixel.status_code == 400
    assert not CampaignCount.objects.exists()


def test_p09_only_web_addresses_are_ever_followed():
    for target in (
        "javascript:alert(1)",
        "//evil.example/",
        "data:text/html,hi",
        "ftp://x.example/",
    ):
        token = signing.dumps({"c": "news", "u": target}, salt=mail.CLICK_SALT, compress=True)
        with pytest.raises(mail.InvalidLink):
            mail.click_target(token)


def test_p09_a_browser_signal_on_the_pixel_or_link_is_not_counted(client, db):
    pixel = mail.open_url(campaign="news", base_url="")
    link = mail.click_url(campaign="news", target="https://blog.example/", base_url="")
    assert client.get(pixel, HTTP_SEC_GPC="1").status_code == 200
    assert client.get(link, HTTP_DNT="1")["Location"] == "https://blog.example/"
    assert not CampaignCount.objects.exists()


def test_p09_a_campaign_name_is_checked(make_user):
    with pytest.raises(ValueError, match="not a campaign name"):
        email_track(_message(), recipient=make_user(), campaign="Spring News <b>")
