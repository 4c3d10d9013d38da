"""The web's assessments run in engine processes: the web process never holds a decoder
(pocketsphinx keeps the interpreter lock for a whole pass), and a crashed engine process
fails one assessment, not the next."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from lyceum.speech.engine import assess as engine
from lyceum.speech.engine import pool
from lyceum.speech.engine.audio import Limits
from lyceum.speech.tests.conftest import espeak_wav

TEXT = "The children played in the park all day."


def test_an_assessment_runs_in_an_engine_process_not_the_web_process(settings):
    settings.LYCEUM_SPEECH_PROCESSES = 2
    engine._recognisers.clear()
    result = pool.assess(espeak_wav(TEXT), TEXT, "en", limits=Limits())
    assert result.completeness_score == 100.0
    assert [w.word for w in result.words][:2] == ["The", "children"]
    assert not engine._recognisers  # no decoder was loaded here
    workers = pool._executor(2)._processes or {}
    assert workers and os.getpid() not in workers


def test_engine_errors_reach_the_caller_with_their_code(settings):
    settings.LYCEUM_SPEECH_PROCESSES = 2
    from lyceum.speech.engine.align import AlignmentFailed
    from lyceum.speech.engine.audio import AudioUnreadable

    with pytest.raises(AudioUnreadable) as unreadable:
        pool.assess(b"RIFF" + b"\0" * 100, TEXT, "en", limits=Limits())
    assert unreadable.value.code == "audio_unreadable"
    with pytest.raises(AlignmentFailed) as unmatched:
        pool.assess(espeak_wav(TEXT), "xqzzkrpt bbbbbbbbb", "en", limits=Limits())
    assert unmatched.value.code == "alignment_failed"


def test_a_crashed_engine_process_fails_one_assessment_and_the_next_one_works(settings):
    settings.LYCEUM_SPEECH_PROCESSES = 1  # a pool of its own, whose process starts now
    long_text = " ".join([TEXT] * 8)  # about 20 s: seconds of decoding to be killed in
    reading = espeak_wav(long_text)
    outcome: dict[str, BaseException | engine.Assessment] = {}

    def run() -> None:
        try:
            outcome["result"] = pool.assess(reading, long_text, "en", limits=Limits())
        except BaseException as error:  # the test reads it
            outcome["result"] = error

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until the new pool's engine process has started
        current = pool._pool
        if current is not None and pool._pool_size == 1 and current._processes:
            break
        time.sleep(0.01)
    assert current is not None
    for pid in list(current._processes):
        os.kill(pid, signal.SIGKILL)
    thread.join(60)
    assert isinstance(outcome["result"], pool.EngineCrashed)
    assert outcome["result"].code == "internal_error"
    again = pool.assess(espeak_wav(TEXT), TEXT, "en", limits=Limits())
    assert again.completeness_score == 100.0


def test_none_means_in_this_process(settings):
    settings.LYCEUM_SPEECH_PROCESSES = 0
    engine._recognisers.clear()
    pool.assess(espeak_wav(TEXT), TEXT, "en", limits=Limits())
    assert "en" in engine._recognisers
