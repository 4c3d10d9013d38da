"""What the speech tutor holds about people (P01): learners' practice results; the API keeps
nothing of the people whose recordings it scores (P39)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from lyceum.privacy.register import (
    Category,
    Entry,
    Erasure,
    ErasureAction,
    LegalBasis,
    Retention,
    register,
)
from lyceum.speech.models import PracticeAttempt, PracticeSentence

register.declare(
    Entry(
        model=PracticeAttempt,
        subject="user",
        fields={
            "text": Category.LEARNING,
            "language": Category.LEARNING,
            "pronunciation": Category.LEARNING,
            "accuracy": Category.LEARNING,
            "fluency": Category.LEARNING,
            "completeness": Category.LEARNING,
            "result": Category.LEARNING,
            "created_at": Category.LEARNING,
            "sentence": Category.LEARNING,
        },
        purpose=_(
            "Your pronunciation practice: the scores of each reading, so that you can follow "
            "your progress. The recording itself is scored and never kept."
        ),
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=timedelta(days=2 * 365),
            anchor_field="created_at",
            description=_("two years after each reading"),
        ),
    )
)

register.declare(
    Entry(
        model=PracticeSentence,
        subject="created_by",
        fields={"created_by": Category.IDENTITY, "created_at": Category.CONTENT},
        not_personal={"text": _("a sentence for a class to read, not about its author")},
        purpose=_("Who set a practice sentence for a class."),
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=None, description=_("as long as the class, without its author's name after")
        ),
        erasure=Erasure(action=ErasureAction.ANONYMISE, replacements={"created_by": None}),
    )
)
