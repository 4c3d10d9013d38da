"""Pronunciation practice: learners read sentences (their classes' or built-in ones), the real
engine scores recordings made with espeak-ng, and only the learner sees their results; only a
class's instructors set its sentences; the results are in export and erasure."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import wave
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lyceum.accounts.models import User
from lyceum.learning import services as learning
from lyceum.learning.models import Class, Enrolment
from lyceum.privacy.erasure import erase
from lyceum.privacy.export import export_archive
from lyceum.privacy.models import AuditEvent, ProcessingLimit
from lyceum.privacy.services import processing_limit_set
from lyceum.speech import practice, practice_results, practice_views
from lyceum.speech.models import PracticeAttempt, PracticeSentence
from lyceum.speech.practice import PracticeError

FOX = practice.BUILT_IN_SENTENCES[0]  # "The quick brown fox jumps over the lazy dog."
CLASS_SENTENCE = "Please send me the report before the meeting."


def espeak_wav(path: Path, text: str) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.fail("These tests need espeak-ng: apt-get install espeak-ng")
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
    return path


def silent_wav(seconds: float, rate: int = 16_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()


@pytest.fixture(scope="session")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("practice-recordings")
    return {
        "fox": espeak_wav(folder / "fox.wav", FOX).read_bytes(),
        "report": espeak_wav(folder / "report.wav", CLASS_SENTENCE).read_bytes(),
    }


@dataclass
class School:
    klass: Class
    other_class: Class
    instructor: User
    learner: User
    classmate: User
    outsider: User


@pytest.fixture
def school(make_user) -> School:
    instructor = make_user(email="ines@school.example", name="Ines Instructor", is_instructor=True)
    learner = make_user(email="lea@example.org", name="Léa Learner")
    classmate = make_user(email="carl@example.org", name="Carl Classmate")
    outsider = make_user(email="otto@example.org", name="Otto Outsider")
    course = learning.course_create(actor=None, title="Business English", level="B1")
    klass = learning.class_create(
        actor=None, course=course, title="Tuesdays", instructors=[instructor]
    )
    other_class = learning.class_create(actor=None, course=course, title="Thursdays")
    for user in (learner, classmate):
        learning.enrol(actor=None, klass=klass, user=user, source=Enrolment.Source.STAFF)
    learning.enrol(actor=None, klass=other_class, user=outsider, source=Enrolment.Source.STAFF)
    return School(klass, other_class, instructor, learner, classmate, outsider)


def _post_reading(client, audio: bytes, *, sentence: str = "b0", fragment: bool = False, **extra):
    data = {"sentence": sentence, "language": "en", **extra}
    if audio is not None:
        data["audio"] = SimpleUploadedFile("reading.wav", audio, content_type="audio/wav")
    headers = {"X-Requested-With": "fetch"} if fragment else {}
    return client.post(reverse("practice:record"), data, headers=headers)


# Reading and the result -------------------------------------------------------------------


def test_a_learner_reads_a_built_in_sentence_and_sees_each_word_scored(client, school, recordings):
    client.force_login(school.learner)
    page = client.get(reverse("practice:home")).content.decode()
    assert FOX in page and "Record" in page and "Send the recording" in page

    response = _post_reading(client, recordings["fox"])
    attempt = PracticeAttempt.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("practice:attempt", args=[attempt.pk])
    assert attempt.user == school.learner and attempt.text == FOX and attempt.sentence is None
    assert 0 <= attempt.pronunciation <= 100 and attempt.completeness > 0
    assert attempt.result["ReferenceText"] == FOX and attempt.result["Words"]

    page = client.get(response.url).content.decode()
    assert "Word by word" in page and "Sounds to work on" in page
    read = [w for w in practice_results.words_of(attempt.result) if w.score is not None]
    assert read, "some words were heard"
    for word in read:  # each word is coloured by its band and says it in words too
        assert f'data-band="{word.band}"' in page
        assert f'<span class="practice-word-text">{word.text}</span>' in page
    assert f"<strong>{attempt.pronunciation}</strong>/100" in page
    again = reverse("practice:home") + "?sentence=b0"
    assert f'href="{again}"' in page
    assert 'value="b0" id="sentence-b0" data-text="' + FOX + '" checked' in (
        client.get(again).content.decode()
    )


def test_the_in_page_recorder_gets_the_result_as_a_fragment(client, school, recordings):
    client.force_login(school.learner)
    response = _post_reading(client, recordings["fox"], fragment=True)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert 'class="panel practice-result"' in fragment and "practice-word-" in fragment
    assert PracticeAttempt.objects.filter(user=school.learner).count() == 1


def test_a_learner_reads_their_own_sentence(client, school, recordings):
    client.force_login(school.learner)
    own = "Please  send me the report before the meeting."
    response = _post_reading(client, recordings["report"], sentence="own", own_text=own)
    assert response.status_code == 302
    assert PracticeAttempt.objects.get().text == CLASS_SENTENCE  # spacing tidied


def test_the_recording_is_kept_in_memory_and_never_stored(client, school, recordings, monkeypatch):
    """Even a recording over Django's in-memory threshold (2.5 MB) never becomes a
    temporary file, and nothing of the audio is kept with the result."""
    from django.core.files import uploadhandler

    def refuse(*args, **kwargs):
        raise AssertionError("the recording was written to a temporary file")

    monkeypatch.setattr(uploadhandler.TemporaryFileUploadHandler, "new_file", refuse)
    client.force_login(school.learner)
    big = recordings["fox"] + b"\0" * (3 * 1024 * 1024)
    response = _post_reading(client, big, fragment=True)
    assert response.status_code in (200, 400)
    for attempt in PracticeAttempt.objects.all():
        assert "RIFF" not in json.dumps(attempt.result)


# Errors a learner can act on ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("audio", "extra", "expected"),
    [
        (b"", {}, "The recording is empty"),
        (b"this is not a sound file at all" * 10, {}, "The recording cannot be read"),
        (silent_wav(2.0), {}, "No speech was heard"),
        (silent_wav(31.0, rate=8_000), {}, "The recording is too long: at most 30 seconds"),
        (b"\0" * (practice.MAX_BYTES + 1), {}, "The recording is too large: at most 10 MB"),
        (None, {}, "Record yourself reading the sentence, or choose a recording file."),
        (silent_wav(1.0), {"sentence": "own", "own_text": ""}, "Type the sentence you will read."),
        (silent_wav(1.0), {"sentence": "own", "own_text": "?! …"}, "has no words to read"),
        (silent_wav(1.0), {"sentence": "own", "own_text": "word " * 40}, "at most 150"),
        (silent_wav(1.0), {"sentence": ""}, "Choose a sentence to read, or type your own."),
    ],
)
def test_bad_readings_are_refused_with_a_clear_message(client, school, audio, extra, expected):
    client.force_login(school.learner)
    for fragment in (True, False):
        response = _post_reading(client, audio, fragment=fragment, **extra)
        assert response.status_code == 400
        assert expected in response.content.decode()
        if extra.get("own_text"):
            assert "Type the sentence you will read." not in response.content.decode()
    assert not PracticeAttempt.objects.exists()


def test_a_sentence_that_does_not_match_the_reading_at_all_is_explained(client, school, recordings):
    client.force_login(school.learner)
    for own in ("xqzzkrpt bbbbbbbbb", "Привіт світ"):
        for fragment in (True, False):
            response = _post_reading(
                client, recordings["fox"], sentence="own", own_text=own, fragment=fragment
            )
            assert response.status_code == 400
            assert "cannot be matched with the sentence" in response.content.decode()
    assert not PracticeAttempt.objects.exists()


def test_every_engine_error_code_has_its_own_advice():
    from lyceum.speech.engine import audio, languages, lexicon
    from lyceum.speech.engine.align import AlignmentFailed

    errors: list[Any] = [
        audio.AudioEmpty,
        audio.AudioUnreadable,
        audio.AudioTooLarge,
        audio.AudioTooLong,
        audio.NoSpeech,
        lexicon.TextError,
        lexicon.NoPronunciation,
        languages.UnknownLanguage,
        languages.ModelMissing,
        AlignmentFailed,
    ]
    generic = practice.error_message(audio.AudioError.code)
    messages = {error.code: practice.error_message(error.code) for error in errors}
    assert all(message != generic for message in messages.values())
    assert len(set(messages.values())) == len(messages)


def test_p44_no_result_is_recorded_while_the_learner_restricted_their_data(
    client, school, recordings
):
    processing_limit_set(
        user=school.learner, actor=school.learner, kind=ProcessingLimit.Kind.RESTRICTION, on=True
    )
    client.force_login(school.learner)
    response = _post_reading(client, recordings["fox"], fragment=True)
    assert response.status_code == 403
    assert "restricted" in response.content.decode()
    assert not PracticeAttempt.objects.exists()


def test_readings_are_rate_limited_per_learner(client, school, monkeypatch):
    monkeypatch.setattr(practice_views, "RATE", (2, 600))
    client.force_login(school.learner)
    statuses = [_post_reading(client, silent_wav(1.0), fragment=True).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]  # silence: refused by the engine, yet counted


def test_a_reading_without_the_pages_csrf_token_is_refused(school, recordings):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(school.learner)
    assert _post_reading(client, recordings["fox"], fragment=True).status_code == 403
    token = client.get(reverse("practice:home")).context["csrf_token"]
    response = client.post(
        reverse("practice:record"),
        {"sentence": "b0", "audio": SimpleUploadedFile("r.wav", recordings["fox"])},
        headers={"X-Requested-With": "fetch", "X-CSRFToken": str(token)},
    )
    assert response.status_code == 200
    assert PracticeAttempt.objects.count() == 1


def test_signed_out_people_are_sent_to_sign_in(client):
    for name in ("practice:home", "practice:progress"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response.url
    assert client.post(reverse("practice:record")).status_code == 302


# Class sentences ---------------------------------------------------------------------------


def test_an_instructor_sets_a_sentence_that_only_the_classs_members_see(client, school, recordings):
    client.force_login(school.instructor)
    url = reverse("practice:sentences", args=[school.klass.pk])
    response = client.post(url, {"text": f"  {CLASS_SENTENCE} ", "language": "en"})
    assert response.status_code == 302
    sentence = PracticeSentence.objects.get()
    assert sentence.text == CLASS_SENTENCE and sentence.created_by == school.instructor
    assert AuditEvent.objects.filter(action="practice.sentence.added").exists()
    assert CLASS_SENTENCE in client.get(url).content.decode()

    client.force_login(school.learner)
    page = client.get(reverse("practice:home")).content.decode()
    assert "Tuesdays" in page and CLASS_SENTENCE in page
    response = _post_reading(client, recordings["report"], sentence=f"c{sentence.pk}")
    attempt = PracticeAttempt.objects.get()
    assert response.status_code == 302 and attempt.sentence == sentence
    assert attempt.text == CLASS_SENTENCE

    client.force_login(school.outsider)  # a member of another class only
    assert CLASS_SENTENCE not in client.get(reverse("practice:home")).content.decode()
    response = _post_reading(client, recordings["report"], sentence=f"c{sentence.pk}")
    assert response.status_code == 400  # not one of their choices
    assert PracticeAttempt.objects.count() == 1
    with pytest.raises(PracticeError) as refused:
        practice.practice_attempt_record(
            user=school.outsider, audio=recordings["report"], sentence=sentence
        )
    assert refused.value.code == "not_member"


def test_only_a_classs_instructors_manage_its_sentences(client, school, make_user):
    sentence = practice.practice_sentence_add(
        actor=school.instructor, klass=school.klass, text=CLASS_SENTENCE
    )
    other_teacher = make_user(name="Other Teacher", is_instructor=True)
    school.other_class.instructors.add(other_teacher)
    url = reverse("practice:sentences", args=[school.klass.pk])
    remove = reverse("practice:sentence_remove", args=[school.klass.pk, sentence.pk])
    for person in (school.learner, school.outsider, other_teacher):
        client.force_login(person)
        assert client.get(url).status_code == 404
        assert client.post(url, {"text": "Hello there.", "language": "en"}).status_code == 404
        assert client.post(remove).status_code == 404
        with pytest.raises(PracticeError):
            practice.practice_sentence_add(actor=person, klass=school.klass, text="Hi there.")
        with pytest.raises(PracticeError):
            practice.practice_sentence_remove(actor=person, sentence=sentence)
    # Another class's instructor cannot reach it through their own class either.
    client.force_login(other_teacher)
    other_remove = reverse("practice:sentence_remove", args=[school.other_class.pk, sentence.pk])
    assert client.post(other_remove).status_code == 404
    assert PracticeSentence.objects.count() == 1

    client.force_login(school.instructor)
    assert client.post(remove).status_code == 302
    assert not PracticeSentence.objects.exists()
    assert AuditEvent.objects.filter(action="practice.sentence.removed").exists()


def test_a_sentence_without_words_is_refused(client, school):
    client.force_login(school.instructor)
    url = reverse("practice:sentences", args=[school.klass.pk])
    response = client.post(url, {"text": "… ?!", "language": "en"})
    assert response.status_code == 200 and "has no words to read" in response.content.decode()
    assert not PracticeSentence.objects.exists()


def test_the_class_space_links_to_practice(client, school):
    client.force_login(school.learner)
    page = client.get(reverse("learning:class", args=[school.klass.pk])).content.decode()
    assert f'href="{reverse("practice:home")}">Pronunciation practice' in page
    client.force_login(school.instructor)
    page = client.get(reverse("learning:class", args=[school.klass.pk])).content.decode()
    sentences = reverse("practice:sentences", args=[school.klass.pk])
    assert f'href="{sentences}">Pronunciation practice' in page


# Own results only, progress, deleting -----------------------------------------------------


def _attempt(user: User, text: str = FOX, score: int = 50) -> PracticeAttempt:
    return PracticeAttempt.objects.create(
        user=user,
        text=text,
        pronunciation=score,
        accuracy=score,
        fluency=score,
        completeness=100,
        result={"Language": "en", "ReferenceText": text, "Words": []},
    )


def test_a_learner_sees_and_deletes_only_their_own_results(client, school):
    mine = _attempt(school.learner, score=61)
    theirs = _attempt(school.classmate, text="A classmate's secret sentence.", score=77)
    client.force_login(school.learner)
    assert client.get(reverse("practice:attempt", args=[mine.pk])).status_code == 200
    assert client.get(reverse("practice:attempt", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("practice:attempt_delete", args=[theirs.pk])).status_code == 404
    progress = client.get(reverse("practice:progress")).content.decode()
    assert "secret sentence" not in progress
    with pytest.raises(PracticeError):
        practice.practice_attempt_delete(user=school.learner, attempt=theirs)

    response = client.post(reverse("practice:attempt_delete", args=[mine.pk]))
    assert response.status_code == 302 and response.url == reverse("practice:progress")
    assert list(PracticeAttempt.objects.all()) == [theirs]


def test_progress_shows_scores_over_time_overall_and_per_sentence(client, school):
    for score in (40, 55, 70):
        _attempt(school.learner, score=score)
    _attempt(school.learner, text="Another sentence to read.", score=90)
    client.force_login(school.learner)
    page = client.get(reverse("practice:progress")).content.decode()
    assert page.count("<svg") == 3  # the overall chart and one line per sentence
    assert 'class="practice-line" points="' in page
    assert "4 readings, from 40 to 90" in page  # the overall chart's text alternative
    assert "Last 3 readings, from 40 to 70" in page
    assert "<td>3</td><td>40</td><td>70</td><td>70</td>" in page  # count, first, best, latest
    overall, sentences = practice_results.progress_of(school.learner)
    assert [a.pronunciation for a in overall.attempts] == [40, 55, 70, 90]
    assert overall.points[0].y > overall.points[-1].y  # higher scores are drawn higher
    assert [s.text for s in sentences] == ["Another sentence to read.", FOX]


def test_progress_without_readings_invites_to_practise(client, school):
    client.force_login(school.learner)
    page = client.get(reverse("practice:progress")).content.decode()
    assert "No reading yet." in page and "<svg" not in page


# Reading an assessment ---------------------------------------------------------------------


RESULT = {
    "Language": "en",
    "Words": [
        {
            "Word": "Think",
            "AccuracyScore": 45.0,
            "ErrorType": "Mispronunciation",
            "Offset": 0,
            "Phonemes": [
                {"Phoneme": "th", "AccuracyScore": 20.0, "Offset": 0},
                {"Phoneme": "ih", "AccuracyScore": 90.0, "Offset": 10},
                {"Phoneme": "ng", "AccuracyScore": 70.0, "Offset": 20},
                {"Phoneme": "k", "AccuracyScore": 85.0, "Offset": 30},
            ],
        },
        {"Word": "", "AccuracyScore": 0.0, "ErrorType": "Insertion", "Offset": 40,
         "Phonemes": [{"Phoneme": "ah", "AccuracyScore": 0.0, "Offset": None}]},
        {"Word": "three", "AccuracyScore": 66.0, "ErrorType": "None", "Offset": 50,
         "Phonemes": [{"Phoneme": "th", "AccuracyScore": 40.0, "Offset": 50},
                      {"Phoneme": "r", "AccuracyScore": 75.0, "Offset": 60},
                      {"Phoneme": "iy", "AccuracyScore": 95.0, "Offset": 70}]},
        {"Word": "times", "AccuracyScore": 0.0, "ErrorType": "Omission", "Offset": None,
         "Phonemes": [{"Phoneme": "t", "AccuracyScore": 0.0, "Offset": None}]},
        {"Word": "today", "AccuracyScore": 92.4, "ErrorType": "None", "Offset": 80,
         "Phonemes": [{"Phoneme": "t", "AccuracyScore": 92.0, "Offset": 80}]},
    ],
}  # fmt: skip


def test_words_are_banded_and_skipped_or_extra_words_marked():
    words = practice_results.words_of(RESULT)
    assert [(w.text, w.score, w.band) for w in words] == [
        ("Think", 45, "poor"),
        ("", None, "inserted"),
        ("three", 66, "fair"),
        ("times", None, "omitted"),
        ("today", 92, "good"),
    ]
    assert [w.label for w in words] == ["needs work", "extra sound", "fair", "skipped", "good"]


def test_the_sounds_to_work_on_are_the_lowest_heard_in_a_readable_form():
    sounds = practice_results.sounds_to_work_on(RESULT)
    assert [(s.phone, s.symbol, s.example, s.score, s.words) for s in sounds] == [
        ("th", "θ", "think", 30, ("Think", "three")),
        ("ng", "ŋ", "sing", 70, ("Think",)),
        ("r", "r", "red", 75, ("three",)),
    ]  # neither the inserted nor the skipped word's sounds, nor those scoring 80 or more


def test_a_result_page_shows_the_bands_in_words_not_colour_alone(client, school):
    attempt = _attempt(school.learner)
    attempt.result = RESULT
    attempt.save()
    client.force_login(school.learner)
    page = client.get(reverse("practice:attempt", args=[attempt.pk])).content.decode()
    assert 'data-band="omitted"' in page and 'data-band="inserted"' in page
    for label in ("needs work", "extra sound", "skipped", "fair", "good"):
        assert f'lang="en">{label}</span>' in page
    assert "/θ/</strong> as in “think”: <strong>30</strong>/100" in page


# The register: export and erasure ---------------------------------------------------------


def test_p41_p43_results_are_exported_and_erased_with_the_account(school):
    sentence = practice.practice_sentence_add(
        actor=school.instructor, klass=school.klass, text=CLASS_SENTENCE
    )
    _attempt(school.learner, score=64)
    _attempt(school.classmate, score=12)
    archive = zipfile.ZipFile(io.BytesIO(export_archive(user=school.learner, actor=school.learner)))
    sections = {s["id"]: s for s in json.loads(archive.read("data.json"))["sections"]}
    rows = sections["speech.practiceattempt"]["rows"]
    assert [(r["text"], r["pronunciation"]) for r in rows] == [(FOX, 64)]
    assert "speech.practiceattempt.csv" in " ".join(archive.namelist())

    erase(school.learner.pk)
    assert not PracticeAttempt.objects.filter(user=school.learner).exists()
    assert PracticeAttempt.objects.filter(user=school.classmate).count() == 1

    erase(school.instructor.pk)  # the sentence stays for the class, without its author
    sentence.refresh_from_db()
    assert sentence.created_by is None and sentence.text == CLASS_SENTENCE


def test_the_forms_help_is_in_the_learners_language():
    from django.utils import translation

    from lyceum.speech.practice_forms import PracticeForm, SentenceForm

    with translation.override("fr"):
        own = str(PracticeForm.base_fields["own_text"].help_text)
        sentence = str(SentenceForm.base_fields["text"].help_text)
    assert own == f"{practice.OWN_TEXT_MAX} caractères au maximum."
    assert "300" in sentence and "classe" in sentence
    with translation.override("uk"):
        assert "символ" in str(PracticeForm.base_fields["own_text"].help_text)
