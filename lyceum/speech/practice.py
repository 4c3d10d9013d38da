"""Pronunciation practice: learners' readings scored by the engine, the sentences instructors
set for their classes, and the reads the practice pages need (what a result and a learner's
progress look like on the page is ``practice_results``).

A learner's results are their personal data (the register's ``PracticeAttempt`` entry:
export, erasure, retention); the recording itself is scored in memory and never kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lyceum.accounts.models import User
from lyceum.learning.models import Class
from lyceum.learning.selectors import can_teach, class_ids_of, is_member
from lyceum.privacy.audit import audit_record
from lyceum.privacy.limits import allows
from lyceum.privacy.register import Purpose
from lyceum.speech.models import PracticeAttempt, PracticeSentence

if TYPE_CHECKING:
    from lyceum.speech.engine.assess import Assessment

MAX_SECONDS = 30.0  # a sentence, not a speech: also what the page's recorder stops at
MAX_BYTES = 10 * 1024 * 1024  # half a minute of uncompressed 44.1 kHz stereo WAV fits
OWN_TEXT_MAX = 150
SENTENCE_MAX = 300  # PracticeSentence.text
GOOD, FAIR = 80, 60  # word and sound score bands; the engine calls a word under 60 wrong

# Offered to everyone, with or without a class: common English sounds in everyday sentences.
BUILT_IN_SENTENCES: tuple[str, ...] = (
    "The quick brown fox jumps over the lazy dog.",
    "Could you tell me the way to the station, please?",
    "I would like a cup of tea and a slice of cake.",
    "She thinks the weather will be better this weekend.",
    "Thank you very much for your help with the project.",
)


class PracticeError(Exception):
    """A reading or sentence that cannot be taken; ``message`` is for the person who asked."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# Every code the engine raises (``AudioError`` subclasses, ``TextError``, ``NoPronunciation``,
# ``UnknownLanguage``, ``ModelMissing``), and this module's own, as advice to the learner.
_MESSAGES: dict[str, Any] = {
    "audio_empty": gettext_lazy(
        "The recording is empty. Press Record, read the sentence aloud, then press Stop."
    ),
    "audio_unreadable": gettext_lazy(
        "The recording cannot be read. Record again, or upload a sound file "
        "(WebM, Ogg, WAV, MP3, M4A or FLAC)."
    ),
    "audio_too_large": gettext_lazy(
        "The recording is too large: at most %(mb)s MB. Record just the sentence."
    ),
    "audio_too_long": gettext_lazy(
        "The recording is too long: at most %(seconds)s seconds. Record just the sentence."
    ),
    "no_speech": gettext_lazy(
        "No speech was heard. Check that your microphone is on and not muted, "
        "then read the sentence aloud."
    ),
    "audio_error": gettext_lazy("The recording cannot be assessed. Record again."),
    "text_invalid": gettext_lazy(
        "The sentence has no words to read. Choose a sentence or type one."
    ),
    "no_pronunciation": gettext_lazy(
        "A word of the sentence is in no dictionary, so it cannot be assessed. "
        "Choose another sentence or change that word."
    ),
    "alignment_failed": gettext_lazy(
        "Your reading cannot be matched with the sentence. Read exactly the sentence shown, "
        "in its language, then try again."
    ),
    "unknown_language": gettext_lazy("Pronunciation in this language cannot be assessed here."),
    "model_missing": gettext_lazy(
        "Pronunciation in this language cannot be assessed at the moment. "
        "Tell the school; try an English sentence meanwhile."
    ),
    "no_audio": gettext_lazy("Record yourself reading the sentence, or choose a recording file."),
    "restricted": gettext_lazy(
        "You asked for the use of your data to be restricted, so practice results are not "
        "recorded. Lift the restriction in your account to practise again."
    ),
    "too_many": gettext_lazy(
        "You have practised a lot in a few minutes. Take a short break and try again."
    ),
    "not_member": gettext_lazy("This sentence is for the members of its class only."),
    "not_instructor": gettext_lazy("Only the class's instructors set its practice sentences."),
    "not_yours": gettext_lazy("This result is not yours."),
}


def error_message(code: str) -> str:
    """What a person is told when a reading fails with ``code`` (any engine error code)."""
    message = _MESSAGES.get(code, _MESSAGES["audio_error"])
    return str(message) % {"mb": MAX_BYTES // (1024 * 1024), "seconds": f"{MAX_SECONDS:g}"}


def _fail(code: str) -> PracticeError:
    return PracticeError(code, error_message(code))


def check_text(text: str) -> str:
    """The sentence with its spacing tidied, if it has words to read (else PracticeError)."""
    from lyceum.speech.engine.lexicon import TextError, split_reference

    tidy = " ".join(text.split())
    try:
        split_reference(tidy)
    except TextError as error:
        raise _fail(error.code) from error
    return tidy


def available_languages() -> list[str]:
    from lyceum.speech.engine.languages import available

    return available()


def _assess(audio: bytes, text: str, language: str) -> Assessment:
    # The engine (numpy, PyAV, pocketsphinx) loads on first use, not with the URLconf.
    from lyceum.speech.engine.audio import Limits
    from lyceum.speech.engine.pool import INPUT_ERRORS, EngineCrashed, assess

    try:
        return assess(
            audio, text, language, limits=Limits(max_seconds=MAX_SECONDS, max_bytes=MAX_BYTES)
        )
    except (*INPUT_ERRORS, EngineCrashed) as error:
        raise _fail(error.code) from error


def rounded_score(value: float) -> int:
    return max(0, min(100, round(value)))


# Writes -----------------------------------------------------------------------------------


def practice_attempt_record(
    *,
    user: User,
    audio: bytes,
    text: str = "",
    language: str = "en",
    sentence: PracticeSentence | None = None,
) -> PracticeAttempt:
    """Score one reading of ``sentence`` (a class's) or of ``text``, and keep the scores.

    The recording is assessed in memory and dropped: only the scores and the assessment are
    kept, for the learner alone, by the register's rules (export, erasure, retention). Not
    audit-logged: it changes nothing anyone else sees, and a log line per reading would be
    one more record of the learner's practice. Refused while the learner's data is
    restricted (P44) and for a class sentence of a class they are not a member of.
    """
    if not allows(user, Purpose.SERVICE):
        raise _fail("restricted")
    if sentence is not None:
        if not is_member(user, sentence.klass):
            raise _fail("not_member")
        text, language = sentence.text, sentence.language
    text = check_text(text)
    if not audio:
        raise _fail("audio_empty")
    # Seconds of CPU: scored before the transaction, so no database lock is held meanwhile.
    assessment = _assess(audio, text, language)
    with transaction.atomic():
        return PracticeAttempt.objects.create(
            user=user,
            sentence=sentence,
            text=text,
            language=assessment.language,
            pronunciation=rounded_score(assessment.pron_score),
            accuracy=rounded_score(assessment.accuracy_score),
            fluency=rounded_score(assessment.fluency_score),
            completeness=rounded_score(assessment.completeness_score),
            result=assessment.to_dict(),
        )


@transaction.atomic
def practice_attempt_delete(*, user: User, attempt: PracticeAttempt) -> None:
    """The learner deletes one of their results (only their own)."""
    if attempt.user_id != user.pk:
        raise _fail("not_yours")
    attempt.delete()


@transaction.atomic
def practice_sentence_add(
    *, actor: User, klass: Class, text: str, language: str = "en"
) -> PracticeSentence:
    """An instructor of the class (or staff) sets a sentence its members see; audit-logged."""
    if not can_teach(actor, klass):
        raise _fail("not_instructor")
    text = check_text(text)
    if len(text) > SENTENCE_MAX:
        raise PracticeError(
            "text_too_long",
            _("A practice sentence has at most %(n)s characters.") % {"n": SENTENCE_MAX},
        )
    if language not in available_languages():
        raise _fail("unknown_language")
    sentence = PracticeSentence.objects.create(
        klass=klass, text=text, language=language, created_by=actor
    )
    audit_record(action="practice.sentence.added", actor=actor, target=sentence)
    return sentence


@transaction.atomic
def practice_sentence_remove(*, actor: User, sentence: PracticeSentence) -> None:
    """An instructor removes a sentence; learners' results of it keep the text they read."""
    if not can_teach(actor, sentence.klass):
        raise _fail("not_instructor")
    audit_record(action="practice.sentence.removed", actor=actor, target=sentence)
    sentence.delete()


# Reads ------------------------------------------------------------------------------------


@dataclass
class ClassSentences:
    klass: Class
    sentences: list[PracticeSentence] = field(default_factory=list)


def class_sentences_for(user: User) -> list[ClassSentences]:
    """The sentences set for the classes this person learns in or teaches, by class."""
    groups: dict[int, ClassSentences] = {}
    rows = (
        PracticeSentence.objects.filter(klass_id__in=class_ids_of(user))
        .select_related("klass__course")
        .order_by("klass__title", "klass_id", "created_at", "pk")
    )
    for sentence in rows:
        groups.setdefault(sentence.klass_id, ClassSentences(sentence.klass)).sentences.append(
            sentence
        )
    return list(groups.values())


def attempts_of(user: User) -> QuerySet[PracticeAttempt]:
    return PracticeAttempt.objects.filter(user=user)


def attempt_of(user: User, pk: int) -> PracticeAttempt:
    """One of this person's own results; anyone else's is a 404, as if it did not exist."""
    attempt = attempts_of(user).filter(pk=pk).first()
    if attempt is None:
        raise Http404
    return attempt
