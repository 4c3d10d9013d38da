"""The engine on real speech (espeak-ng) and real bad input: no mocks, no fixtures on disk."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from lyceum.speech.engine import audio as audio_io
from lyceum.speech.engine.assess import ErrorType, assess
from lyceum.speech.engine.languages import UnknownLanguage, available, load_folder, resolve
from lyceum.speech.engine.lexicon import TextError, split_reference
from lyceum.speech.schema import ASSESSMENT_SCHEMA, EXAMPLE, components
from lyceum.speech.tests.conftest import espeak_wav, transcode, wav_bytes

TEXT = "The children played in the park all day."


def by_word(assessment):
    return {w.word.lower(): w for w in assessment.words if w.index is not None}


def test_a_correct_reading_scores_high_with_every_word_timed():
    result = assess(espeak_wav(TEXT), TEXT)
    assert result.completeness_score == 100.0
    assert result.accuracy_score >= 70
    assert [w.word for w in result.words] == [w.text for w in split_reference(TEXT)]
    flagged = [w.word for w in result.words if w.error_type != ErrorType.NONE]
    assert len(flagged) <= 1
    starts = [w.offset or 0 for w in result.words]
    assert all(w.offset is not None for w in result.words)
    assert starts == sorted(starts)
    # 100 ns ticks, inside the recording (about 2.5 s read at 150 words a minute)
    assert 0 < result.duration < 40_000_000
    for word in result.words:
        assert word.phonemes
        assert all(0 <= p.accuracy_score <= 100 for p in word.phonemes)


def test_an_omitted_word_is_an_omission():
    result = assess(espeak_wav("The children played in the all day."), TEXT)
    park = by_word(result)["park"]
    assert park.error_type == ErrorType.OMISSION
    assert park.offset is None
    assert result.completeness_score < 100


def test_another_word_in_its_place_is_a_mispronunciation():
    result = assess(espeak_wav("The children played in the snow all day."), TEXT)
    park = by_word(result)["park"]
    assert park.error_type in {ErrorType.MISPRONUNCIATION, ErrorType.OMISSION}
    assert park.accuracy_score < 60


@pytest.mark.parametrize("voice", ["en", "en-us", "en+m3"])
def test_a_words_score_and_its_error_type_never_contradict_each_other(voice):
    text = "My email is on the card."  # at espeak's own pace, "My" is heard as another word
    said = subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], check=True, capture_output=True
    ).stdout
    for word in assess(said, text).words:
        if word.error_type == ErrorType.MISPRONUNCIATION:
            assert word.accuracy_score < 60, word
        elif word.error_type == ErrorType.NONE:
            assert word.accuracy_score >= 60, word


def test_omitting_the_last_word_is_found_and_aligned():
    result = assess(espeak_wav("The children played in the park all"), TEXT)
    assert by_word(result)["day"].error_type == ErrorType.OMISSION
    assert by_word(result)["all"].error_type == ErrorType.NONE


@pytest.mark.parametrize(
    ("container", "codec", "rate"),
    [
        ("flac", "flac", 44_100),
        ("ogg", "libopus", 48_000),
        ("webm", "libopus", 48_000),
        ("mp3", "libmp3lame", 44_100),
    ],
)
def test_browser_and_phone_formats_are_decoded(container, codec, rate):
    encoded = transcode(espeak_wav(TEXT), container, codec, rate)
    samples = audio_io.decode(encoded, audio_io.Limits())
    assert 2.0 < samples.size / audio_io.SAMPLE_RATE < 4.0
    assert assess(encoded, TEXT).completeness_score == 100.0


def test_words_missing_from_the_dictionary_get_an_espeak_pronunciation():
    text = "Zorblax visited Lyceum."
    result = assess(espeak_wav(text), text)
    zorblax = by_word(result)["zorblax"]
    assert zorblax.phonemes
    assert zorblax.error_type == ErrorType.NONE


def test_the_json_follows_the_schema_and_its_example():
    result = json.loads(assess(espeak_wav(TEXT), TEXT).to_json())
    for document in (result, EXAMPLE):
        assert set(document) == set(ASSESSMENT_SCHEMA["properties"])
        for word in document["Words"]:
            assert set(word) == set(components()["WordAssessment"]["properties"])
            assert word["ErrorType"] in {"None", "Mispronunciation", "Omission", "Insertion"}
            for phone in word["Phonemes"]:
                assert set(phone) == set(components()["PhonemeAssessment"]["properties"])


# Bad input: each is a specific error with a stable code, never a crash.


def test_empty_audio_is_refused():
    with pytest.raises(audio_io.AudioEmpty):
        assess(b"", TEXT)


def test_a_file_that_is_not_audio_is_refused():
    with pytest.raises(audio_io.AudioUnreadable) as error:
        assess(b"%PDF-1.7 this is a document, not a recording" * 50, TEXT)
    assert error.value.code == "audio_unreadable"


def test_a_truncated_file_is_refused_or_assessed_for_what_is_left():
    encoded = transcode(espeak_wav(TEXT), "webm", "libopus")
    with pytest.raises(audio_io.AudioUnreadable):
        assess(encoded[:40], TEXT)
    half = assess(encoded[: len(encoded) // 2], TEXT)
    assert half.completeness_score < 100


def test_a_file_over_the_size_cap_is_refused_before_decoding():
    with pytest.raises(audio_io.AudioTooLarge):
        assess(b"\0" * 2048, TEXT, limits=audio_io.Limits(max_bytes=1024))


def test_a_recording_over_the_duration_cap_is_refused(tmp_path):
    long = tmp_path / "long.wav"
    long.write_bytes(wav_bytes(np.zeros(16_000 * 12)))
    with pytest.raises(audio_io.AudioTooLong):
        assess(long, TEXT, limits=audio_io.Limits(max_seconds=10))


def test_a_missing_file_is_unreadable(tmp_path):
    with pytest.raises(audio_io.AudioUnreadable):
        assess(tmp_path / "nothing.wav", TEXT)


def test_silence_is_no_speech():
    with pytest.raises(audio_io.NoSpeech):
        assess(wav_bytes(np.zeros(16_000 * 3)), TEXT)


def test_noise_is_no_speech():
    rng = np.random.default_rng(7)
    with pytest.raises(audio_io.NoSpeech):
        assess(wav_bytes(rng.normal(0, 3000, 16_000 * 3)), TEXT)
    with pytest.raises(audio_io.NoSpeech):  # low rumble
        assess(wav_bytes(np.cumsum(rng.normal(0, 200, 16_000 * 3)) / 20), TEXT)


def _tone(*freqs: float, seconds: float = 3.0, harmonics: int = 1) -> np.ndarray:
    t = np.arange(int(16_000 * seconds)) / 16_000
    wave = sum(np.sin(2 * np.pi * f * k * t) / k for f in freqs for k in range(1, harmonics + 1))
    return 8000 * wave / np.abs(wave).max()


@pytest.mark.parametrize(
    "sound",
    [
        _tone(200),  # a test tone
        _tone(440, seconds=1.0),  # a beep
        _tone(50, 100, 150),  # mains hum
        _tone(120, harmonics=30),  # a buzz, rich in harmonics like a voice
    ],
    ids=["tone", "beep", "hum", "buzz"],
)
def test_a_steady_tone_hum_or_buzz_is_no_speech(sound):
    assert audio_io.voiced_seconds(sound) > 0.5  # periodic and loud: it passes that test
    with pytest.raises(audio_io.NoSpeech):
        assess(wav_bytes(sound), TEXT)


def test_a_single_word_and_a_held_vowel_are_speech():
    for said in ("Park.", "Aaaaah."):
        samples = audio_io.decode(espeak_wav(said), audio_io.Limits())
        assert audio_io.has_speech(samples), said


def test_a_reading_of_something_else_entirely_cannot_be_matched():
    from lyceum.speech.engine.align import AlignmentFailed

    with pytest.raises(AlignmentFailed) as raised:
        assess(espeak_wav(TEXT), "xqzzkrpt bbbbbbbbb")
    assert raised.value.code == "alignment_failed"


def test_a_text_without_words_is_refused():
    with pytest.raises(TextError):
        assess(espeak_wav(TEXT), " ... !")


def test_languages_english_ships_and_others_need_a_model_folder(tmp_path, monkeypatch):
    assert "en" in available()
    assert resolve("en-GB").code == "en"
    with pytest.raises(UnknownLanguage):
        assess(espeak_wav(TEXT), TEXT, "fr")
    monkeypatch.setenv("LYCEUM_SPEECH_MODELS", f"fr={tmp_path}")
    from lyceum.speech.engine.languages import ModelMissing

    with pytest.raises(ModelMissing):
        resolve("fr")
    english = resolve("en")
    (tmp_path / "acoustic").symlink_to(english.acoustic)
    (tmp_path / "dictionary.dict").symlink_to(english.dictionary)
    assert load_folder("fr", tmp_path).acoustic == tmp_path / "acoustic"
