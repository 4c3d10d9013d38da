"""Forced alignment and the search for omitted and inserted words (pocketsphinx).

Every search runs with the same very wide beams and with all senones scored in every frame,
so that the scores of different searches over the same audio are comparable (the
goodness-of-pronunciation score subtracts one from another).

Two grammars are used (silence and noise fillers may come between any two words):

- **detection**: each reference word in turn, each of which may be skipped at a small
  cost. A skipped word was omitted, or replaced by something else if the phone loop heard
  speech where it would have been (``assess`` decides, from the loop's segments).
- **alignment**: the words that were said, in order, none skippable: phone and state
  segments with their acoustic scores.

A detection grammar with garbage phones between words was tried first: the garbage takes
words of voices that the acoustic model matches poorly (5-10% of correct words lost on the
development set whatever its cost), and it is six times the cost of this grammar. The
phone loop, run anyway for the scores, gives the same evidence of other speech.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pocketsphinx import Decoder

from lyceum.speech.engine.languages import LanguageModel
from lyceum.speech.engine.lexicon import (
    NoPronunciation,
    ReferenceWord,
    espeak_phonemes,
    map_phonemes,
)

BEAM = 1e-300
SILENCE = "SIL"
FILLERS = {"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]", "(NULL)", ""}
FAILED = (
    "The recording cannot be matched with the reference text: check that the text is what "
    "was read aloud, in this language."
)
# The search left active between utterances (a search cannot be removed while active).
IDLE_SEARCH = "loop"


class AlignmentFailed(RuntimeError):
    """The aligner found no path through the whole text: the recording is not a reading of
    it (another language's sounds spelled in this one, a tone...)."""

    code = "alignment_failed"


@dataclass(frozen=True)
class Tuning:
    """Grammar probability of skipping a word (chosen on the benchmark's dev set: from
    1e-3 to 1e-12, omissions are all found; lower loses fewer correct words)."""

    skip: float = 1e-9


@dataclass(frozen=True)
class Segment:
    name: str
    start: int  # frame
    frames: int
    score: int = 0  # acoustic log-likelihood, in the decoder's log units

    @property
    def end(self) -> int:
        return self.start + self.frames


@dataclass(frozen=True)
class AlignedWord:
    index: int
    key: str
    start: int
    frames: int
    phones: tuple[Segment, ...]


@dataclass(frozen=True)
class Detection:
    read: frozenset[int]  # indices of the reference words found in the recording
    word_spans: dict[int, Segment]


def make_decoder(model: LanguageModel, **options: Any) -> Decoder:
    """A decoder for ``model``; ``options`` override its configuration (the benchmark)."""
    settings: dict[str, Any] = {
        "hmm": str(model.acoustic),
        "dict": str(model.dictionary),
        "lm": None,
        "beam": BEAM,
        "wbeam": BEAM,
        "pbeam": BEAM,
        "lpbeam": BEAM,
        "lponlybeam": BEAM,
        "maxhmmpf": -1,
        "bestpath": False,
        "compallsen": True,
        "loglevel": "FATAL",
    }
    return Decoder(**{**settings, **options})


def model_phones(model: LanguageModel) -> list[str]:
    """The phones the dictionary uses (the acoustic model's, less silence and noise)."""
    phones: set[str] = set()
    with open(model.dictionary, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            phones.update(line.split("#")[0].split()[1:])
    return sorted(phones - {SILENCE})


class Lexicon:
    """The decoder's dictionary, grown with espeak-ng pronunciations of unknown words."""

    def __init__(self, decoder: Decoder, model: LanguageModel, phones: list[str]) -> None:
        self.decoder, self.model, self.phones = decoder, model, set(phones)

    def key_for(self, word: ReferenceWord) -> str:
        key = word.key
        if self.decoder.lookup_word(key) is not None:
            return key
        parts = [p for p in key.replace("'", "-").split("-") if p]
        if "-" in key and parts and all(self.decoder.lookup_word(p) for p in parts):
            pron = " ".join(str(self.decoder.lookup_word(p)) for p in parts)
        else:
            pron = self._espeak(word.text)
        if not pron:
            raise NoPronunciation(f"No pronunciation can be found for {word.text!r}.")
        self.decoder.add_word(key, pron, True)
        return key

    def _espeak(self, text: str) -> str:
        if not self.model.espeak_voice:
            raise NoPronunciation(
                f"{text!r} is not in the {self.model.code} dictionary "
                "and the language has no espeak-ng voice configured."
            )
        phonemes = espeak_phonemes(text, self.model.espeak_voice)
        return map_phonemes(phonemes, self.model.espeak_phones, self.phones)


def _decode(decoder: Decoder, raw: bytes) -> None:
    decoder.start_utt()
    decoder.process_raw(raw, full_utt=True)
    decoder.end_utt()


def detect(decoder: Decoder, raw: bytes, keys: list[str], tuning: Tuning) -> Detection:
    """Which reference words were read, and where."""
    n = len(keys)
    transitions: list[tuple[int, int, float] | tuple[int, int, float, str]] = []
    for i, key in enumerate(keys):
        transitions.append((i, i + 1, 1.0, key))
        transitions.append((i, i + 1, tuning.skip))
    fsg = decoder.create_fsg("detect", 0, n, transitions)
    decoder.add_fsg("detect", fsg)
    decoder.activate_search("detect")
    try:
        _decode(decoder, raw)
        segments = list(decoder.seg() or [])
    finally:
        decoder.activate_search(IDLE_SEARCH)
        decoder.remove_search("detect")
    read: set[int] = set()
    spans: dict[int, Segment] = {}
    position = 0  # the next reference word the path can take
    for seg in segments:
        word = _base(seg.word)
        if word in FILLERS:
            continue
        while position < n and keys[position] != word:
            position += 1
        if position < n:
            read.add(position)
            spans[position] = Segment(word, seg.start_frame, seg.end_frame - seg.start_frame + 1)
            position += 1
    return Detection(frozenset(read), spans)


def _base(word: str) -> str:
    """``the(2)`` -> ``the``: alternative pronunciations are the same word."""
    return word.split("(", 1)[0] if word.endswith(")") else word


def align(decoder: Decoder, raw: bytes, indexed_keys: list[tuple[int, str]]) -> list[AlignedWord]:
    """Phone segments and scores of the given words, read in this order."""
    n = len(indexed_keys)
    transitions = [(i, i + 1, 1.0, key) for i, (_, key) in enumerate(indexed_keys)]
    fsg = decoder.create_fsg("align", 0, n, transitions)
    decoder.add_fsg("align", fsg)
    decoder.activate_search("align")
    try:
        _decode(decoder, raw)
        hyp = decoder.hyp()
        segments = list(decoder.seg() or []) if hyp is not None else []
        found = [_base(s.word) for s in segments if _base(s.word) not in FILLERS]
        if hyp is None or found != [key for _, key in indexed_keys]:
            raise AlignmentFailed(FAILED)
        decoder.set_alignment()
        _decode(decoder, raw)
        alignment = decoder.get_alignment()
    finally:
        decoder.activate_search(IDLE_SEARCH)
        decoder.remove_search("align")
    if alignment is None:
        raise AlignmentFailed(FAILED)
    words: list[AlignedWord] = []
    pending = iter(indexed_keys)
    for entry in alignment:
        if _base(entry.name) in FILLERS:
            continue
        index, key = next(pending)
        phones = tuple(Segment(p.name, p.start, p.duration, p.score) for p in entry)
        words.append(AlignedWord(index, key, entry.start, entry.duration, phones))
    return words
