"""Videos in lesson materials load from their provider only with consent (P06)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lyceum import privacy
from lyceum.learning import services
from lyceum.learning.embeds import video_embed
from lyceum.privacy.consent import consent_record
from lyceum.privacy.models import ConsentRecord
from lyceum.privacy.register import Purpose

VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42"
PLAYER = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


@pytest.mark.parametrize(
    ("url", "player"),
    [
        (VIDEO, PLAYER),
        ("https://youtu.be/dQw4w9WgXcQ", PLAYER),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", PLAYER),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://www.youtube.com/watch?v=not-an-id", None),
        ("https://evil.example/embed/dQw4w9WgXcQ", None),
        ("javascript:alert(1)", None),
        ("https://example.org/worksheet.pdf", None),
    ],
)
def test_p06_video_links_become_privacy_enhanced_players(url, player):
    embed = video_embed(url)
    assert (embed.player_url if embed else None) == player


@pytest.fixture
def video_lesson(school):
    services.material_add(
        actor=school.instructor,
        course=school.course,
        lesson=school.lessons[0],
        title="Phrasal verbs, explained",
        url=VIDEO,
    )
    return school


def test_p06_a_video_is_withheld_until_content_from_other_sites_is_allowed(client, video_lesson):
    client.force_login(video_lesson.learner)
    url = reverse("learning:class", args=[video_lesson.klass.pk])
    response = client.get(url)
    page = response.content.decode()
    assert "youtube-nocookie" not in page and "<iframe" not in page
    assert "youtube" not in response["Content-Security-Policy"]
    assert "Allow content from other sites" in page and "Watch it on YouTube" in page
    # The video's own button allows that one category, and the page then plays it.
    client.post(
        reverse("notice:choices"),
        {"action": "allow", "purpose": "marketing", "next": url},
    )
    assert privacy.allows(video_lesson.learner, Purpose.MARKETING)
    assert not privacy.allows(video_lesson.learner, Purpose.ANALYTICS)
    response = client.get(url)
    assert f'<iframe src="{PLAYER}"' in response.content.decode()
    assert "frame-src https://www.youtube-nocookie.com" in response["Content-Security-Policy"]


def test_p06_withdrawing_consent_withholds_the_video_again(client, video_lesson):
    learner = video_lesson.learner
    consent_record(choices={"marketing": True}, method=ConsentRecord.Method.FORM, user=learner)
    client.force_login(learner)
    url = reverse("learning:class", args=[video_lesson.klass.pk])
    assert "<iframe" in client.get(url).content.decode()
    consent_record(choices={"marketing": False}, method=ConsentRecord.Method.FORM, user=learner)
    response = client.get(url)
    assert "<iframe" not in response.content.decode()
    assert "youtube" not in response["Content-Security-Policy"]
