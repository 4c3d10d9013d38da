"""Which languages can be assessed, and where each one's models are.

English ships with the ``pocketsphinx`` wheel (its US English acoustic model and CMUdict).
An operator adds or replaces a language by pointing it at a folder, with the setting (or
environment variable) ``LYCEUM_SPEECH_MODELS``: a mapping ``{"fr": "/srv/models/fr"}`` in
settings, or ``fr=/srv/models/fr,de=/srv/models/de`` in the environment. A folder holds::

    acoustic/        a CMU Sphinx acoustic model (mdef, means, variances, ...,
                     feat.params), e.g. one of the CMU Sphinx models for that language
    dictionary.dict  its pronunciation dictionary (CMU Sphinx format: WORD PH PH ...)
    espeak.json      optional: {"voice": "fr", "phones": {"<espeak phoneme>": "<model
                     phone(s)>", ...}}: pronunciations of words missing from the dictionary
                     are then made from espeak-ng's phonemes for that voice

Nothing is ever downloaded: a language is available when its folder is there.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SETTING = "LYCEUM_SPEECH_MODELS"


class UnknownLanguage(LookupError):
    """No model for this language is installed or configured."""

    code = "unknown_language"


class ModelMissing(LookupError):
    """A configured model folder is missing a file the engine needs."""

    code = "model_missing"


@dataclass(frozen=True)
class LanguageModel:
    code: str
    acoustic: Path
    dictionary: Path
    espeak_voice: str | None = None
    # espeak-ng phoneme mnemonic -> model phones (space-separated; "" drops it)
    espeak_phones: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    shipped: bool = False


def _english() -> LanguageModel:
    from pocketsphinx import get_model_path

    from lyceum.speech.engine.lexicon import ESPEAK_TO_ARPABET

    root = Path(get_model_path()) / "en-us"
    return LanguageModel(
        code="en",
        acoustic=root / "en-us",
        dictionary=root / "cmudict-en-us.dict",
        espeak_voice="en-us",
        espeak_phones=dict(ESPEAK_TO_ARPABET),
        shipped=True,
    )


def configured_folders() -> dict[str, str]:
    """The operator's ``LYCEUM_SPEECH_MODELS``: Django setting first, then environment."""
    value: Any = None
    try:
        from django.conf import settings

        if settings.configured:
            value = getattr(settings, SETTING, None)
    except ImportError:  # the engine is usable without Django
        value = None
    if value is None:
        value = os.environ.get(SETTING, "")
    if isinstance(value, str):
        pairs = (item.split("=", 1) for item in value.split(",") if "=" in item)
        return {code.strip().lower(): folder.strip() for code, folder in pairs}
    return {str(code).lower(): str(folder) for code, folder in dict(value).items()}


def load_folder(code: str, folder: str | os.PathLike[str]) -> LanguageModel:
    root = Path(folder)
    acoustic, dictionary = root / "acoustic", root / "dictionary.dict"
    for needed in (acoustic / "mdef", acoustic / "means", dictionary):
        if not needed.exists():
            raise ModelMissing(f"The model for {code!r} in {root} has no {needed.name}.")
    voice, phones = None, {}
    espeak = root / "espeak.json"
    if espeak.exists():
        spec = json.loads(espeak.read_text(encoding="utf-8"))
        voice, phones = spec.get("voice"), dict(spec.get("phones", {}))
    return LanguageModel(code, acoustic, dictionary, voice, phones)


def resolve(language: str) -> LanguageModel:
    """The model for ``language`` (``en``, ``en-US``, ``fr``...): exact tag, then its base."""
    tag = (language or "en").strip().lower().replace("_", "-")
    folders = configured_folders()
    for candidate in (tag, tag.split("-")[0]):
        if candidate in folders:
            return load_folder(candidate, folders[candidate])
        if candidate == "en":
            return _english()
    raise UnknownLanguage(f"No speech model for {language!r}. Available: {', '.join(available())}.")


def available() -> list[str]:
    """Language codes that can be assessed here: English plus the configured ones."""
    return sorted({"en", *configured_folders()})
