"""Words of the reference text and their pronunciations.

Pronunciations come from the language's dictionary (CMUdict for English); a word missing
from it gets one made from espeak-ng's phonemes, mapped to the model's phones (ARPAbet
for English). espeak-ng is Debian's package, run as a program: nothing is downloaded.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

# espeak-ng's phoneme mnemonics (``espeak-ng -x``) for en-us, as ARPAbet.
ESPEAK_TO_ARPABET: dict[str, str] = {
    "A:": "AA", "A": "AA", "aa": "AE", "a": "AE", "a#": "AH", "V": "AH", "0": "AA",
    "O:": "AO", "O": "AO", "3:": "ER", "3": "ER", "@": "AH", "@2": "AH", "@5": "AH",
    "@L": "AH L", "I": "IH", "I#": "IH", "I2": "IH", "i:": "IY", "i": "IY", "i@": "IY AH",
    "i@3": "IH R", "e@": "EH R", "E": "EH", "eI": "EY", "aI": "AY", "aI3": "AY ER",
    "aI@": "AY ER", "aU": "AW", "aU@": "AW ER", "oU": "OW", "OI": "OY", "U": "UH",
    "u:": "UW", "U@": "UH R", "A@": "AA R", "o@": "AO R", "O@": "AO R", "@r": "ER",
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "g": "G", "f": "F", "v": "V",
    "s": "S", "z": "Z", "h": "HH", "m": "M", "n": "N", "l": "L", "w": "W", "j": "Y",
    "r": "R", "r-": "R", "T": "TH", "D": "DH", "S": "SH", "Z": "ZH", "tS": "CH",
    "dZ": "JH", "N": "NG", "x": "K", "t#": "T", "d#": "D", "?": "T", "n-": "AH N",
    "l-": "AH L", "m-": "AH M",
}  # fmt: skip

_EDGE_PUNCTUATION = re.compile(r"^[^\w']+|[^\w']+$", re.UNICODE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_STRESS = re.compile(r"[',%=]")


class TextError(ValueError):
    """The reference text has no word that can be assessed."""

    code = "text_invalid"


class NoPronunciation(LookupError):
    """A word is neither in the dictionary nor pronounceable by espeak-ng."""

    code = "no_pronunciation"


@dataclass(frozen=True)
class ReferenceWord:
    index: int
    text: str  # as written in the reference, without surrounding punctuation
    key: str  # the dictionary entry it is aligned as


def split_reference(text: str, *, max_words: int = 200) -> list[ReferenceWord]:
    """The words of a reference text, in order, without punctuation around them."""
    words: list[ReferenceWord] = []
    for token in (text or "").translate(_APOSTROPHES).split():
        for part in token.split("--"):
            shown = _EDGE_PUNCTUATION.sub("", part).strip("'")
            if shown:
                words.append(ReferenceWord(len(words), shown, shown.lower()))
    if not words:
        raise TextError("The reference text has no words.")
    if len(words) > max_words:
        raise TextError(f"The reference text has {len(words)} words; at most {max_words}.")
    return words


def espeak_phonemes(word: str, voice: str) -> list[str]:
    """espeak-ng's phoneme mnemonics for ``word`` (stress marks removed)."""
    program = shutil.which("espeak-ng")
    if program is None:
        raise NoPronunciation(f"{word!r} is not in the dictionary and espeak-ng is not installed.")
    result = subprocess.run(  # noqa: S603 - a fixed program; the word is one argument
        [program, "-q", "-x", "--sep=_", "-v", voice, "--", word],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if result.returncode != 0:
        raise NoPronunciation(f"espeak-ng cannot pronounce {word!r}.")
    return [
        phoneme
        for chunk in result.stdout.split()
        for phoneme in (_STRESS.sub("", p) for p in chunk.split("_"))
        if phoneme
    ]


def map_phonemes(phonemes: list[str], table: dict[str, str], model_phones: set[str]) -> str:
    """Model phones for espeak-ng phonemes; unknown symbols are tried without modifiers."""
    out: list[str] = []
    for phoneme in phonemes:
        mapped = table.get(phoneme)
        if mapped is None:
            mapped = table.get(phoneme.rstrip("#:-0123456789"), "")
        out.extend(p for p in mapped.split() if p in model_phones)
    return " ".join(out)
