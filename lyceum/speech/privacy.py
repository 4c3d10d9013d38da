"""What the speech tutor holds about people (P01): learners' practice results; the API keeps
nothing of the people whose recordings it scores (P39)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import (
    AccessToken,
    Application,
    DeviceGrant,
    Grant,
    IDToken,
    RefreshToken,
)

from lyceum.privacy.register import (
    Category,
    Entry,
    Erasure,
    ErasureAction,
    LegalBasis,
    Retention,
    register,
)
from lyceum.speech.models import (
    ApiClient,
    ApiKey,
    ApiUsage,
    AssessmentJob,
    PracticeAttempt,
    PracticeSentence,
    ReviewRecording,
)

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
            period=None,
            description=_(
                "as long as the class; when the author's account is deleted, the sentence "
                "stays without their name"
            ),
        ),
        erasure=Erasure(action=ErasureAction.ANONYMISE, replacements={"created_by": None}),
    )
)


# The speech API (P39, P40): its clients are organisations' programs; the people whose
# recordings they send are never known to the platform.

register.declare_not_personal(
    [ApiClient],
    _("an organisation's program that calls the speech API: a name, limits and settings"),
)
register.declare_not_personal(
    [ApiUsage],
    _("counts of a client's API requests and minutes of audio per day; no speaker, no person"),
)
register.declare(
    Entry(
        model=ApiKey,
        subject="created_by",
        fields={"created_by": Category.IDENTITY, "created_at": Category.ACCOUNT},
        not_personal={"label": _("the client's name for the key, such as “production”")},
        purpose=_("Which client administrator made an API key, shown to the other administrators."),
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=None,
            description=_(
                "as long as the organisation keeps the key; its maker's name goes when their "
                "account is deleted"
            ),
        ),
        erasure=Erasure(action=ErasureAction.ANONYMISE, replacements={"created_by": None}),
    )
)
register.declare(
    Entry(
        model=AssessmentJob,
        subject=None,
        linked_by=_(
            "nothing leads from a job to a person: the API takes only a recording, its text and "
            "its language, and the recording itself is not in the job"
        ),
        fields={"text": Category.CONTENT, "result": Category.LEARNING},
        purpose=_(
            "Assessing a long recording sent to the speech API, and keeping the scores until "
            "the client's program fetches them."
        ),
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=timedelta(0),
            anchor_field="expires_at",
            description=_("one hour after the assessment finished"),
        ),
    )
)
register.declare(
    Entry(
        model=ReviewRecording,
        subject=None,
        linked_by=_(
            "nothing leads from a recording to a person: the API takes no name, account or "
            "other field, and the file's metadata is not kept (only its sound, re-encoded)"
        ),
        fields={
            "audio": Category.CONTENT,
            "text": Category.CONTENT,
            "result": Category.LEARNING,
        },
        purpose=_(
            "Only when an API client opts in: keeping recordings sent to the speech API, with "
            "their scores, for that client's review of the assessments' quality."
        ),
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=timedelta(0),
            anchor_field="delete_after",
            description=_(
                "not kept by default; when the client opts in, the number of days it declared "
                "(at most 30)"
            ),
        ),
    )
)
register.declare_not_personal(
    [Application, AccessToken, RefreshToken, Grant, IDToken, DeviceGrant],
    _(
        "OAuth2 credentials and tokens of API clients. Only the client-credentials grant is "
        "accepted (lyceum.speech.clients.ClientCredentialsValidator), so no token, grant or "
        "application is ever issued to or names a person"
    ),
)
