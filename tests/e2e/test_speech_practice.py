"""Pronunciation practice in Chromium: a learner records a sentence their instructor set, with
a generated WAV as the microphone, sees each word coloured and labelled by its score, and
finds the reading in their progress; without JavaScript, a recording file does the same."""

from __future__ import annotations

import re
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Playwright, expect
from pytest_django.live_server_helper import LiveServer

from lyceum.learning import services as learning
from lyceum.learning.models import Enrolment
from lyceum.speech import practice
from lyceum.speech.models import PracticeAttempt

from .conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, screenshot, sign_in, watch_page_problems

pytestmark = pytest.mark.e2e

SENTENCE = "Please send me the report before the meeting."
SCORING_MS = 60_000  # the engine's first use in a process loads its models
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA findings on the page as it is now."""
    results = Axe().run(page, options=WCAG)
    return [
        f"{page.url}: {v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def _padded_speech(path: Path, text: str, pad_seconds: float = 0.6) -> Path:
    """espeak-ng reading ``text``, with silence before and after: the fake microphone starts
    playing when the page opens it, a moment before the recorder starts."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-w", str(raw), text], check=True, capture_output=True)
    with wave.open(str(raw), "rb") as source:
        params, frames = source.getparams(), source.readframes(source.getnframes())
    silence = b"\0" * (int(params.framerate * pad_seconds) * params.sampwidth * params.nchannels)
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(silence + frames + silence)
    return path


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _padded_speech(tmp_path_factory.mktemp("speech") / "report.wav", SENTENCE)


@pytest.fixture(scope="module")
def microphone_browser(playwright_driver: Playwright, speech_wav: Path) -> Iterator[Browser]:
    """Chromium whose microphone plays the WAV once, with the permission granted."""
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={speech_wav}%noloop",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def microphone_page(microphone_browser: Browser) -> Iterator[Page]:
    context = microphone_browser.new_context(locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.route_web_socket(re.compile(r"/ws/"), lambda ws: None)  # WSGI live server
    yield context.new_page()
    context.close()


@pytest.fixture
def klass(make_user):
    instructor = make_user(email="ines@school.example", name="Ines Instructor", is_instructor=True)
    learner = make_user(email="lea@example.org", name="Léa Learner")
    course = learning.course_create(actor=None, title="Business English", level="B1")
    klass = learning.class_create(
        actor=None, course=course, title="Tuesdays", instructors=[instructor]
    )
    learning.enrol(actor=None, klass=klass, user=learner, source=Enrolment.Source.STAFF)
    practice.practice_sentence_add(actor=instructor, klass=klass, text=SENTENCE)
    return klass


def test_a_learner_records_their_classs_sentence_and_follows_their_progress(
    microphone_page: Page, live_server: LiveServer, klass, password
):
    page = microphone_page
    problems = watch_page_problems(page)
    base = live_server.url
    sign_in(page, base, "lea@example.org", password)
    page.goto(f"{base}/classes/{klass.pk}/")
    page.get_by_role("link", name="Pronunciation practice").click()
    expect(page.get_by_role("heading", name="Pronunciation practice", level=1)).to_be_visible()

    expect(page.get_by_role("group", name="Tuesdays")).to_be_visible()
    page.get_by_label(SENTENCE).check()
    expect(page.locator("#practice-read")).to_have_text(SENTENCE)
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_role("button", name="Stop")).to_be_enabled()
    expect(page.locator("#practice-status")).to_contain_text("Recording")
    page.wait_for_timeout(3_800)
    page.get_by_role("button", name="Stop").click()

    heading = page.get_by_role("heading", name="Your result")
    expect(heading).to_be_visible(timeout=SCORING_MS)
    expect(heading).to_be_focused()
    words = page.locator("ol.practice-words > li")
    expect(words.first).to_be_visible()
    bands = words.evaluate_all("items => items.map(item => item.dataset.band)")
    assert bands and set(bands) <= {"good", "fair", "poor", "omitted", "inserted"}
    heard = page.locator(
        "ol.practice-words > li:not([data-band=omitted]):not([data-band=inserted])"
    )
    assert heard.count() >= 4, bands  # most of the sentence was heard and scored
    first = heard.first
    # Coloured, and labelled in words as well.
    assert first.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    expect(first.locator(".practice-word-label")).to_have_text(
        re.compile("^(good|fair|needs work)$")
    )
    expect(page.get_by_role("heading", name="Sounds to work on")).to_be_visible()
    attempt = PracticeAttempt.objects.get()
    assert attempt.sentence is not None and attempt.text == SENTENCE
    assert attempt.completeness >= 50, attempt.result
    screenshot(page, "speech-practice-result")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Your progress").first.click()
    expect(page.get_by_role("heading", name="Your pronunciation progress")).to_be_visible()
    expect(page.locator(".practice-chart svg")).to_be_visible()
    expect(page.get_by_role("cell", name=SENTENCE).first).to_be_visible()
    expect(page.locator("table.practice-attempts tbody tr")).to_have_count(1)
    screenshot(page, "speech-practice-progress")
    assert axe_violations(page) == []
    assert problems == []


def test_without_javascript_a_recording_file_is_scored(
    new_context, live_server: LiveServer, klass, password, speech_wav: Path
):
    page = new_context(java_script_enabled=False).new_page()
    base = live_server.url
    sign_in(page, base, "lea@example.org", password)
    page.goto(f"{base}/practice/")
    expect(page.get_by_text("Recording on this page needs JavaScript")).to_be_visible()
    expect(page.get_by_role("button", name="Record", exact=True)).to_be_hidden()
    page.get_by_label(SENTENCE).check()
    page.get_by_label("Recording file", exact=True).set_input_files(str(speech_wav))
    page.get_by_role("button", name="Send the recording").click()
    expect(page.get_by_role("heading", name="Pronunciation result")).to_be_visible(
        timeout=SCORING_MS
    )
    expect(page.locator("ol.practice-words > li").first).to_be_visible()
    assert PracticeAttempt.objects.filter(user__email="lea@example.org").count() == 1


def test_an_instructor_sets_a_sentence_from_the_class_space(
    page: Page, live_server: LiveServer, klass, password
):
    problems = watch_page_problems(page)
    base = live_server.url
    sign_in(page, base, "ines@school.example", password)
    page.goto(f"{base}/classes/{klass.pk}/")
    page.get_by_role("link", name="Pronunciation practice").click()
    expect(page.get_by_role("heading", name="Practice sentences")).to_be_visible()
    expect(page.get_by_text(SENTENCE, exact=True)).to_be_visible()
    page.get_by_label("Sentence").fill("Where is the nearest bus stop?")
    page.get_by_role("button", name="Set the sentence").click()
    expect(page.get_by_text("The sentence is set for the class.")).to_be_visible()
    expect(page.get_by_text("Where is the nearest bus stop?", exact=True)).to_be_visible()
    page.reload()  # without the flash message: base.html's list of messages has role=status,
    assert axe_violations(page) == []  # which axe reports against every page that shows one
    page.get_by_role("button", name=f"Remove – {SENTENCE}").click()
    expect(page.get_by_text("The sentence is removed.")).to_be_visible()
    expect(page.get_by_text(SENTENCE, exact=True)).to_have_count(0)
    assert problems == []
