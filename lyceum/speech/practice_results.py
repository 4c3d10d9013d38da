"""What a practice result and a learner's progress look like on the practice pages: words
in bands, the sounds to work on (ARPAbet shown as IPA with an example word) and score charts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lyceum.accounts.models import User
from lyceum.speech.models import PracticeAttempt
from lyceum.speech.practice import FAIR, GOOD, attempts_of, rounded_score

PHONES_SHOWN = 5


# Reading a result -------------------------------------------------------------------------


def band(score: float) -> str:
    return "good" if score >= GOOD else "fair" if score >= FAIR else "poor"


BAND_LABELS = {
    "good": gettext_lazy("good"),
    "fair": gettext_lazy("fair"),
    "poor": gettext_lazy("needs work"),
    "omitted": gettext_lazy("skipped"),
    "inserted": gettext_lazy("extra sound"),
}


@dataclass(frozen=True)
class WordResult:
    text: str
    score: int | None  # None for a word skipped or inserted
    band: str  # good, fair, poor, omitted, inserted

    @property
    def label(self) -> str:
        return str(BAND_LABELS[self.band])


def words_of(result: dict[str, Any]) -> list[WordResult]:
    """The words of an assessment in the order heard, with their band and label."""
    words = []
    for word in result.get("Words", []):
        error = word.get("ErrorType", "None")
        if error == "Omission":
            words.append(WordResult(word.get("Word", ""), None, "omitted"))
        elif error == "Insertion":
            words.append(WordResult("", None, "inserted"))
        else:
            score = rounded_score(word.get("AccuracyScore", 0))
            shown = "poor" if error == "Mispronunciation" else band(score)
            words.append(WordResult(word.get("Word", ""), score, shown))
    return words


# ARPAbet (the English model's phones) as IPA, with a common word that has the sound.
ARPABET_SOUNDS: dict[str, tuple[str, str]] = {
    "aa": ("ɑ", "father"), "ae": ("æ", "cat"), "ah": ("ʌ", "cup"), "ao": ("ɔ", "thought"),
    "aw": ("aʊ", "now"), "ay": ("aɪ", "my"), "b": ("b", "boy"), "ch": ("tʃ", "church"),
    "d": ("d", "day"), "dh": ("ð", "this"), "eh": ("ɛ", "bed"), "er": ("ɜr", "bird"),
    "ey": ("eɪ", "say"), "f": ("f", "fish"), "g": ("ɡ", "go"), "hh": ("h", "hat"),
    "ih": ("ɪ", "sit"), "iy": ("i", "see"), "jh": ("dʒ", "judge"), "k": ("k", "key"),
    "l": ("l", "leg"), "m": ("m", "man"), "n": ("n", "no"), "ng": ("ŋ", "sing"),
    "ow": ("oʊ", "boat"), "oy": ("ɔɪ", "toy"), "p": ("p", "pen"), "r": ("r", "red"),
    "s": ("s", "sun"), "sh": ("ʃ", "she"), "t": ("t", "tea"), "th": ("θ", "think"),
    "uh": ("ʊ", "book"), "uw": ("u", "food"), "v": ("v", "van"), "w": ("w", "wet"),
    "y": ("j", "yes"), "z": ("z", "zoo"), "zh": ("ʒ", "vision"),
}  # fmt: skip


@dataclass(frozen=True)
class SoundToWorkOn:
    phone: str  # the model's name for it (ARPAbet for English)
    symbol: str  # IPA where known
    example: str  # an English word with the sound, where known
    score: int  # its mean score over the reading
    words: tuple[str, ...]  # the words of the reading it was heard in


def sounds_to_work_on(result: dict[str, Any], limit: int = PHONES_SHOWN) -> list[SoundToWorkOn]:
    """The sounds that scored lowest (under ``GOOD``) in the words read, worst first.

    Words skipped or inserted are left out: they are shown as such, and their sounds were
    not heard to be scored.
    """
    scores: dict[str, list[float]] = defaultdict(list)
    heard_in: dict[str, list[str]] = defaultdict(list)
    english = str(result.get("Language", "en")).split("-")[0] == "en"
    for word in result.get("Words", []):
        if word.get("ErrorType") in ("Omission", "Insertion"):
            continue
        for phone in word.get("Phonemes", []):
            name = str(phone.get("Phoneme", "")).lower()
            if not name or phone.get("Offset") is None:
                continue
            scores[name].append(float(phone.get("AccuracyScore", 0)))
            if word.get("Word") and word["Word"] not in heard_in[name]:
                heard_in[name].append(word["Word"])
    sounds = []
    for name, values in scores.items():
        mean = rounded_score(sum(values) / len(values))
        if mean >= GOOD:
            continue
        symbol, example = ARPABET_SOUNDS.get(name, (name, "")) if english else (name, "")
        sounds.append(SoundToWorkOn(name, symbol, example, mean, tuple(heard_in[name])))
    sounds.sort(key=lambda s: (s.score, s.phone))
    return sounds[:limit]


# Progress ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    value: int
    attempt: PracticeAttempt


@dataclass
class ScoreChart:
    """Scores 0-100 in reading order, as a line drawn in an SVG by the template."""

    title: str
    attempts: list[PracticeAttempt]  # oldest first
    width: int = 600
    height: int = 200
    margin: tuple[int, int, int, int] = (10, 10, 12, 40)  # top, right, bottom, left

    @property
    def points(self) -> list[ChartPoint]:
        top, right, bottom, left = self.margin
        inner_w, inner_h = self.width - left - right, self.height - top - bottom
        n = len(self.attempts)
        step = inner_w / (n - 1) if n > 1 else 0
        return [
            ChartPoint(
                x=round(left + (i * step if n > 1 else inner_w / 2), 1),
                y=round(top + inner_h * (1 - a.pronunciation / 100), 1),
                value=a.pronunciation,
                attempt=a,
            )
            for i, a in enumerate(self.attempts)
        ]

    @property
    def line(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)

    @property
    def grid(self) -> list[dict[str, float]]:
        """Horizontal lines at 0, 20, ..., 100, with where their labels go."""
        top, right, bottom, left = self.margin
        inner_h = self.height - top - bottom
        return [
            {
                "value": v,
                "y": round(top + inner_h * (1 - v / 100), 1),
                "x1": left,
                "x2": self.width - right,
            }
            for v in range(0, 101, 20)
        ]

    @property
    def first(self) -> int | None:
        return self.attempts[0].pronunciation if self.attempts else None

    @property
    def last(self) -> int | None:
        return self.attempts[-1].pronunciation if self.attempts else None


def sparkline(attempts: list[PracticeAttempt]) -> ScoreChart:
    return ScoreChart(title="", attempts=attempts, width=120, height=32, margin=(3, 3, 3, 3))


@dataclass
class SentenceProgress:
    text: str
    language: str
    attempts: list[PracticeAttempt]  # oldest first

    @property
    def count(self) -> int:
        return len(self.attempts)

    @property
    def first(self) -> int:
        return self.attempts[0].pronunciation

    @property
    def latest(self) -> int:
        return self.attempts[-1].pronunciation

    @property
    def best(self) -> int:
        return max(a.pronunciation for a in self.attempts)

    @property
    def chart(self) -> ScoreChart:
        return sparkline(self.attempts[-20:])


RECENT_IN_CHART = 60
PROGRESS_SCAN = 2000  # the newest readings the per-sentence summary is made from


def progress_of(user: User) -> tuple[ScoreChart, list[SentenceProgress]]:
    """The overall chart (the last readings) and each sentence's progress, latest first."""
    fields = ("pk", "text", "language", "pronunciation", "created_at")
    newest = list(attempts_of(user).only(*fields)[:PROGRESS_SCAN])
    overall = ScoreChart(
        title=_("Pronunciation score of your last readings"),
        attempts=list(reversed(newest[:RECENT_IN_CHART])),
    )
    by_sentence: dict[tuple[str, str], list[PracticeAttempt]] = {}
    for attempt in newest:  # newest first, so sentences come in the order last read
        by_sentence.setdefault((attempt.text, attempt.language), []).append(attempt)
    sentences = [
        SentenceProgress(text, language, list(reversed(attempts)))
        for (text, language), attempts in by_sentence.items()
    ]
    return overall, sentences
