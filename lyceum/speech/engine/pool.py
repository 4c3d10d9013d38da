"""Assessments in engine processes, so that the web process stays responsive.

pocketsphinx holds Python's global interpreter lock for a whole decoding pass (up to a
second for a long clip), so an assessment run in a web process would stall every other
request that process serves meanwhile. The web's assessments (the speech API, the practice
page, the API's jobs) run instead in a pool of engine processes, one decoder each; the
request's thread waits without holding the lock. ``LYCEUM_SPEECH_PROCESSES`` sets the pool's
size (default: every core); 0 assesses in the calling process.

A crashed engine process (it should not happen) fails that one assessment with
``internal_error``; the next one gets a new pool.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from lyceum.speech.engine import assess as engine
from lyceum.speech.engine.align import AlignmentFailed
from lyceum.speech.engine.audio import AudioError, Limits
from lyceum.speech.engine.languages import LanguageModel, ModelMissing, UnknownLanguage, resolve
from lyceum.speech.engine.lexicon import NoPronunciation, TextError

SETTING = "LYCEUM_SPEECH_PROCESSES"

_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_lock = threading.Lock()


class EngineCrashed(RuntimeError):
    code = "internal_error"


# What is wrong with the recording, its text or its language: each has a ``code`` to tell the
# person who sent it (an ``EngineCrashed`` is the school's fault, not theirs).
INPUT_ERRORS = (
    AudioError,
    TextError,
    NoPronunciation,
    UnknownLanguage,
    ModelMissing,
    AlignmentFailed,
)


def processes() -> int:
    from django.conf import settings

    return max(int(getattr(settings, SETTING)), 0)


def _executor(size: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size != size:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            # forkserver: the engine processes start clean, not as forks of a threaded server
            context = multiprocessing.get_context("forkserver")
            _pool, _pool_size = ProcessPoolExecutor(size, mp_context=context), size
        return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def _assess(data: bytes, text: str, model: LanguageModel, limits: Limits) -> engine.Assessment:
    return engine.assess(data, text, model, limits=limits)


def assess(data: bytes, text: str, language: str, *, limits: Limits) -> engine.Assessment:
    """``engine.assess`` of a recording's bytes, in an engine process; raises its errors.

    The language is resolved here, with this process's settings (``LYCEUM_SPEECH_MODELS``),
    and its model handed to the engine process."""
    model = resolve(language)
    size = processes()
    if size == 0:
        return _assess(data, text, model, limits)
    pool = _executor(size)
    try:
        return pool.submit(_assess, data, text, model, limits).result()
    except BrokenProcessPool as error:
        _discard(pool)
        raise EngineCrashed("An engine process stopped during the assessment.") from error
