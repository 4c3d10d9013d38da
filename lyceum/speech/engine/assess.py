"""The public engine: ``assess(audio, text, language) -> Assessment``.

One recording of a learner reading a reference text gives overall accuracy, fluency,
completeness and pronunciation scores (0 to 100) and, for each word, its score, its time
span and its error type, and for each phone its score. The JSON uses the field names of
Azure's pronunciation assessment (``AccuracyScore``, ``ErrorType``, ``Offset`` in 100 ns
ticks...), so that clients find them familiar; ``lyceum/speech/schema.py`` documents it.

The steps, all on the CPU with the language's acoustic model:

1. decode the recording to 16 kHz mono, refuse silence and noise, pad both ends;
2. **detection** (``align.detect``): which words were read and which were skipped;
3. **phone loop** (``gop``): what a free phone recogniser hears, and its score in each
   frame. Speech where a skipped word was makes it replaced rather than omitted; speech
   between two words read is an insertion;
4. **alignment** (``align.align``): phone segments and likelihoods of the words said, and
   so each phone's goodness of pronunciation against the loop over the same frames;
5. **scoring** (:func:`score`): calibrated scores and error types, from the above alone.

A pocketsphinx decoder is not thread-safe: each process keeps one :class:`Recogniser` per
language, used by one thread at a time.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from lyceum.speech.engine import audio as audio_io
from lyceum.speech.engine.align import (
    SILENCE,
    AlignedWord,
    Detection,
    Lexicon,
    Segment,
    Tuning,
    align,
    detect,
    make_decoder,
    model_phones,
)
from lyceum.speech.engine.gop import add_phone_loop, gop, likelihood, run_phone_loop
from lyceum.speech.engine.languages import LanguageModel, resolve
from lyceum.speech.engine.lexicon import ReferenceWord, split_reference

TICKS_PER_SECOND = 10_000_000  # Offset and Duration are in 100 ns ticks, as Azure's
TICKS_PER_FRAME = TICKS_PER_SECOND // audio_io.FRAME_RATE
PAD_FRAMES = audio_io.PAD_SAMPLES * audio_io.FRAME_RATE // audio_io.SAMPLE_RATE
ENGINE = "lyceum-pocketsphinx/1"


class ErrorType(StrEnum):
    NONE = "None"
    MISPRONUNCIATION = "Mispronunciation"
    OMISSION = "Omission"
    INSERTION = "Insertion"


@dataclass(frozen=True)
class Calibration:
    """How raw goodness of pronunciation becomes 0-100 scores and error types.

    Chosen on the benchmark's development sentences (clean audio), never on its test set.
    """

    gop_center: float = -70.0  # GOP (per frame) scored 50
    gop_scale: float = 20.0
    word_threshold: float = 60.0  # a word scoring less is mispronounced
    min_weight: float = 0.7  # word score = min_weight * worst phone + rest * mean
    min_frames: int = 4  # phones shorter than this are left out of the worst
    word_center: float = -45.0  # a word's mean GOP (per frame) that caps its score at 50
    replaced_frames: int = 15  # speech where a skipped word was: replaced, not omitted
    insertion_frames: int = 30  # speech between two words read: an inserted word
    pause_frames: int = 30  # a silence longer than this inside the reading is a break


@dataclass(frozen=True)
class PhonemeAssessment:
    phoneme: str
    accuracy_score: float
    offset: int | None
    duration: int | None
    gop: float | None = None  # raw goodness of pronunciation (not in the JSON)
    likelihood: float | None = None  # raw per-frame likelihood, the baseline's score

    def to_dict(self) -> dict[str, Any]:
        return {
            "Phoneme": self.phoneme,
            "AccuracyScore": self.accuracy_score,
            "Offset": self.offset,
            "Duration": self.duration,
        }


@dataclass(frozen=True)
class WordAssessment:
    word: str
    accuracy_score: float
    error_type: ErrorType
    offset: int | None
    duration: int | None
    phonemes: tuple[PhonemeAssessment, ...]
    index: int | None = None  # position in the reference text; None for an insertion

    def to_dict(self) -> dict[str, Any]:
        return {
            "Word": self.word,
            "AccuracyScore": self.accuracy_score,
            "ErrorType": str(self.error_type),
            "Offset": self.offset,
            "Duration": self.duration,
            "Phonemes": [p.to_dict() for p in self.phonemes],
        }


@dataclass(frozen=True)
class Assessment:
    language: str
    reference_text: str
    accuracy_score: float
    fluency_score: float
    completeness_score: float
    pron_score: float
    offset: int
    duration: int
    words: tuple[WordAssessment, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "Language": self.language,
            "ReferenceText": self.reference_text,
            "AccuracyScore": self.accuracy_score,
            "FluencyScore": self.fluency_score,
            "CompletenessScore": self.completeness_score,
            "PronScore": self.pron_score,
            "Offset": self.offset,
            "Duration": self.duration,
            "PhonemeAlphabet": "arpabet",
            "Engine": ENGINE,
            "Words": [w.to_dict() for w in self.words],
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


@dataclass
class Analysis:
    """What the searches found, before any calibration (the benchmark re-scores these)."""

    language: str
    text: str
    words: list[ReferenceWord]
    keys: list[str]
    pronunciations: dict[int, list[str]]
    detection: Detection
    aligned: list[AlignedWord]
    loop: np.ndarray
    replaced: frozenset[int]
    omitted: frozenset[int]
    insertions: list[Segment]
    baseline: list[AlignedWord] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Recogniser:
    """One language's decoder and searches; one per process, one thread at a time."""

    def __init__(self, model: LanguageModel, tuning: Tuning | None = None, **options: Any) -> None:
        self.model = model
        self.tuning = tuning or Tuning()
        self.decoder = make_decoder(model, **options)
        add_phone_loop(self.decoder)
        self.decoder.activate_search("loop")
        self.phones = model_phones(model)
        self.lexicon = Lexicon(self.decoder, model, self.phones)
        self.lock = threading.Lock()

    def analyse(
        self, samples: np.ndarray, text: str, *, calibration: Calibration, baseline: bool = False
    ) -> Analysis:
        """Run the searches over (unpadded) 16 kHz samples read from ``text``."""
        words = split_reference(text)
        if not audio_io.has_speech(samples):
            raise audio_io.NoSpeech(
                "No speech was heard: the recording is silent or holds only noise."
            )
        raw = audio_io.pad(samples).tobytes()
        cpu: dict[str, float] = {}
        with self.lock:
            clock = time.process_time()
            keys = [self.lexicon.key_for(word) for word in words]
            pronunciations = {
                w.index: str(self.decoder.lookup_word(k)).split()
                for w, k in zip(words, keys, strict=True)
            }
            found = detect(self.decoder, raw, keys, self.tuning)
            loop, heard = run_phone_loop(self.decoder, raw)
            replaced, omitted, insertions = _classify_gaps(found, heard, len(keys), calibration)
            spoken = [(i, k) for i, k in enumerate(keys) if i not in omitted]
            aligned = align(self.decoder, raw, spoken) if spoken else []
            cpu["engine"] = time.process_time() - clock
            reference = None
            if baseline:
                clock = time.process_time()
                reference = align(self.decoder, raw, list(enumerate(keys)))
                cpu["baseline"] = time.process_time() - clock
        return Analysis(
            language=self.model.code,
            text=text,
            words=words,
            keys=keys,
            pronunciations=pronunciations,
            detection=found,
            aligned=aligned,
            loop=loop,
            replaced=replaced,
            omitted=omitted,
            insertions=insertions,
            baseline=reference,
            extra={"cpu": cpu, "seconds": samples.size / audio_io.SAMPLE_RATE},
        )


def _classify_gaps(
    found: Detection, heard: list[Segment], n: int, calibration: Calibration
) -> tuple[frozenset[int], frozenset[int], list[Segment]]:
    """Skipped words with speech in their place were replaced; without it, omitted.

    Speech between two words that were both read is an inserted word. "Speech" is what
    the phone loop heard there other than silence, counted from the end of the word
    before to the start of the word after.
    """
    replaced: set[int] = set()
    omitted: set[int] = set()
    insertions: list[Segment] = []
    bounds = [-1, *sorted(found.read), n]
    for before, after in itertools.pairwise(bounds):
        start = found.word_spans[before].end if before >= 0 else 0
        end = found.word_spans[after].start if after < n else 1 << 30
        speech = [
            p
            for p in heard
            if p.name != SILENCE and not p.name.startswith("+") and start <= p.start < end
        ]
        frames = sum(min(p.end, end) - p.start for p in speech)
        skipped = range(before + 1, after)
        if skipped:
            (replaced if frames >= calibration.replaced_frames else omitted).update(skipped)
        elif frames >= calibration.insertion_frames:
            first, last = speech[0].start, min(speech[-1].end, end)
            insertions.append(Segment(" ".join(p.name for p in speech), first, last - first))
    return frozenset(replaced), frozenset(omitted), insertions


def _sigmoid_score(value: float, center: float, scale: float) -> float:
    z = (value - center) / scale
    return 100.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def _ticks(frame: int) -> int:
    return max(frame - PAD_FRAMES, 0) * TICKS_PER_FRAME


def score(analysis: Analysis, calibration: Calibration) -> Assessment:
    """Scores and error types from an analysis (pure: no decoding here)."""
    c = calibration
    aligned = {w.index: w for w in analysis.aligned}
    entries: list[tuple[int, WordAssessment]] = []
    word_scores: list[tuple[float, int]] = []
    for ref in analysis.words:
        word = aligned.get(ref.index)
        if word is None:
            phones = tuple(
                PhonemeAssessment(p.lower(), 0.0, None, None)
                for p in analysis.pronunciations[ref.index]
            )
            at = _omission_position(analysis, ref.index)
            entries.append(
                (
                    at,
                    WordAssessment(
                        ref.text, 0.0, ErrorType.OMISSION, None, None, phones, ref.index
                    ),
                )
            )
            continue
        phones = tuple(
            PhonemeAssessment(
                p.name.lower(),
                round(_sigmoid_score(g, c.gop_center, c.gop_scale), 1),
                _ticks(p.start),
                p.frames * TICKS_PER_FRAME,
                gop=g,
                likelihood=likelihood(p),
            )
            for p in word.phones
            for g in (gop(p, analysis.loop),)
        )
        accuracy = round(_word_accuracy(phones, word.phones, c), 1)
        wrong = ref.index in analysis.replaced or accuracy < c.word_threshold
        if wrong:
            # The detection search heard something else in the word's place: its score says
            # so too, under the line, so that a word is never both "mispronounced" and "fair".
            accuracy = min(accuracy, c.word_threshold - 1)
        error = ErrorType.MISPRONUNCIATION if wrong else ErrorType.NONE
        entries.append(
            (
                word.start,
                WordAssessment(
                    ref.text,
                    accuracy,
                    error,
                    _ticks(word.start),
                    word.frames * TICKS_PER_FRAME,
                    phones,
                    ref.index,
                ),
            )
        )
        word_scores.append((accuracy, len(phones)))
    for inserted in analysis.insertions:
        phones = tuple(PhonemeAssessment(p.lower(), 0.0, None, None) for p in inserted.name.split())
        entries.append(
            (
                inserted.start,
                WordAssessment(
                    "",
                    0.0,
                    ErrorType.INSERTION,
                    _ticks(inserted.start),
                    inserted.frames * TICKS_PER_FRAME,
                    phones,
                ),
            )
        )
    entries.sort(key=lambda item: item[0])
    n_words = len(analysis.words)
    read = n_words - len(analysis.omitted)
    accuracy = (
        sum(s * n for s, n in word_scores) / max(sum(n for _, n in word_scores), 1)
        if word_scores
        else 0.0
    )
    completeness = 100.0 * read / n_words
    fluency = _fluency(analysis.aligned, c)
    pron = 0.6 * accuracy + 0.2 * fluency + 0.2 * completeness
    if analysis.aligned:
        first, last = analysis.aligned[0], analysis.aligned[-1]
        offset, duration = (
            _ticks(first.start),
            (last.start + last.frames - first.start) * TICKS_PER_FRAME,
        )
    else:
        offset, duration = 0, 0
    return Assessment(
        language=analysis.language,
        reference_text=analysis.text,
        accuracy_score=round(accuracy, 1),
        fluency_score=round(fluency, 1),
        completeness_score=round(completeness, 1),
        pron_score=round(pron, 1),
        offset=offset,
        duration=duration,
        words=tuple(w for _, w in entries),
    )


def _word_accuracy(
    phones: tuple[PhonemeAssessment, ...], segments: tuple[Segment, ...], c: Calibration
) -> float:
    """Mostly the worst phone, partly the mean weighted by duration; at most what the
    word's mean GOP gives.

    Phones shorter than ``min_frames`` (a stop's burst, a reduced vowel) are left out of the
    worst: their GOP rests on too few frames to condemn a word alone.
    """
    if not phones:
        return 0.0
    scores = np.array([p.accuracy_score for p in phones])
    frames = np.array([max(s.frames, 1) for s in segments], dtype=float)
    long_enough = scores[frames >= c.min_frames]
    worst = float(long_enough.min() if long_enough.size else scores.min())
    mixed = c.min_weight * worst + (1 - c.min_weight) * float(np.average(scores, weights=frames))
    # A word said as another is squeezed into short, badly matching phones: its mean GOP
    # over all its frames is low even when no long phone is.
    mean_gop = float(np.average([p.gop or 0.0 for p in phones], weights=frames))
    return min(mixed, _sigmoid_score(mean_gop, c.word_center, c.gop_scale))


def _omission_position(analysis: Analysis, index: int) -> int:
    """Where an omitted word would have been: the end of the last word read before it."""
    before = [w for w in analysis.aligned if w.index < index]
    return before[-1].start + before[-1].frames if before else 0


def _fluency(words: list[AlignedWord], c: Calibration) -> float:
    """100 for reading without breaks; each long pause inside the reading costs its share.

    The share of the reading's span spent in breaks longer than ``pause_frames`` is taken
    off, doubled (a reading that is one third pauses scores about 33).
    """
    if not words:
        return 0.0
    span = words[-1].start + words[-1].frames - words[0].start
    breaks = sum(
        gap
        for prev, nxt in itertools.pairwise(words)
        for gap in (nxt.start - (prev.start + prev.frames),)
        if gap > c.pause_frames
    )
    return max(0.0, 100.0 * (1.0 - 2.0 * breaks / max(span, 1)))


_recognisers: dict[str, Recogniser] = {}
_recognisers_lock = threading.Lock()


def recogniser_for(language: str | LanguageModel) -> Recogniser:
    """This process's recogniser for ``language`` (made on first use; models load once).

    Per process, not shared state: each holds only a decoder loaded from the model files.
    """
    model = language if isinstance(language, LanguageModel) else resolve(language)
    with _recognisers_lock:
        recogniser = _recognisers.get(model.code)
        if recogniser is None or recogniser.model != model:
            recogniser = _recognisers[model.code] = Recogniser(model)
    return recogniser


def assess(
    source: bytes | str | os.PathLike[str],
    text: str,
    language: str | LanguageModel = "en",
    *,
    limits: audio_io.Limits | None = None,
    calibration: Calibration | None = None,
) -> Assessment:
    """Assess a recording (bytes or a path) of ``text`` read aloud in ``language``.

    Raises an ``AudioError`` (empty, unreadable, too large, too long, no speech), a
    ``TextError``, ``UnknownLanguage`` or ``NoPronunciation``; each has a ``code``.
    """
    limits = limits or audio_io.Limits()
    data = audio_io.read_input(source, limits)
    samples = audio_io.decode(data, limits)
    recogniser = recogniser_for(language)
    calibration = calibration or Calibration()
    return score(recogniser.analyse(samples, text, calibration=calibration), calibration)
