"""The speech API (P39, P40): ``/api/speech/v1/``.

``POST /assessments`` takes a multipart form with exactly ``audio`` (a file), ``text`` and
``language``. Anything else is refused: nothing about the speaker can be sent. The recording
is read into memory (never to a temporary file), decoded there, and forgotten, unless its
client opted in to keeping recordings for review. Short recordings are assessed during the
request (200); longer ones get a job (202) polled at ``GET /assessments/{id}``.

Credentials: an API key in ``X-Api-Key`` or ``Authorization: Bearer lyk_…``, or an OAuth2
access token from ``/o/token/`` (client credentials) in ``Authorization: Bearer``.

Every error is JSON, ``{"error": {"code": "...", "message": "..."}}``, with a stable code.
"""

from __future__ import annotations

import copy
import io
import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Field, Path, Router, Schema, Status
from ninja.security import APIKeyHeader, HttpBearer
from pydantic import ConfigDict

from lyceum.speech import schema as assessment_schema
from lyceum.speech import selectors, services
from lyceum.speech.clients import (
    MAX_OPEN_JOBS,
    Caller,
    authenticate_header,
    authenticate_key,
    not_authenticated,
    rate_headers,
    rate_limit_take,
    require_scope,
)
from lyceum.speech.engine.languages import available
from lyceum.speech.engine.pool import INPUT_ERRORS
from lyceum.speech.errors import ERRORS, ApiError
from lyceum.speech.models import AssessmentJob

logger = logging.getLogger(__name__)

FIELDS = ("audio", "text", "language")
FORM_OVERHEAD = 64 * 1024  # boundaries, headers and the two text fields
MAX_USAGE_DAYS = 90


# Credentials


class ApiKeyAuth(APIKeyHeader):
    """An API key, ``lyk_<prefix>_<secret>``, in the ``X-Api-Key`` header."""

    param_name = "X-Api-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        if not key:
            return None  # perhaps an Authorization header: the next method decides
        return authenticate_key(request, key)


class BearerAuth(HttpBearer):
    """``Authorization: Bearer`` with an OAuth2 access token or an API key."""

    openapi_bearerFormat = "OAuth2 access token (client credentials) or API key"

    def __call__(self, request: HttpRequest) -> Caller:
        header = request.headers.get("Authorization", "")
        if not header:
            raise not_authenticated()
        return authenticate_header(request, header)

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        return authenticate_header(request, f"Bearer {token}")


AUTH = [ApiKeyAuth(), BearerAuth()]

router = Router(tags=["Speech assessment"], auth=AUTH)


# Schemas: the assessment JSON (the engine's, with Azure's field names) and the envelopes


class ErrorDetail(Schema):
    code: str = Field(description="Stable: programs branch on it.", examples=["no_speech"])
    message: str = Field(description="What is wrong and what to do, in the request's language.")


class ErrorOut(Schema):
    error: ErrorDetail


def _documented_by_engine(name: str) -> Callable[[dict[str, Any]], None]:
    """The OpenAPI schema of an assessment object is the engine's own
    (``lyceum.speech.schema``), so the document and the engine cannot drift apart: the
    schemathesis test validates real answers against it."""

    def replace(schema: dict[str, Any]) -> None:
        documented = copy.deepcopy(assessment_schema.components()[name])
        # Lists of nested objects keep the references pydantic made, which it resolves.
        for field, spec in documented["properties"].items():
            if "$ref" in spec.get("items", {}):
                spec["items"] = schema["properties"][field]["items"]
        schema.clear()
        schema.update(documented)

    return replace


class PhonemeAssessment(Schema):
    model_config = ConfigDict(
        extra="allow", json_schema_extra=_documented_by_engine("PhonemeAssessment")
    )

    Phoneme: str
    AccuracyScore: float
    Offset: int | None
    Duration: int | None


class WordAssessment(Schema):
    model_config = ConfigDict(
        extra="allow", json_schema_extra=_documented_by_engine("WordAssessment")
    )

    Word: str
    AccuracyScore: float
    ErrorType: str
    Offset: int | None
    Duration: int | None
    Phonemes: list[PhonemeAssessment]


class PronunciationAssessment(Schema):
    """A pronunciation assessment, with the field names of Azure's; times in 100 ns ticks."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra=_documented_by_engine("PronunciationAssessment")
    )

    Language: str
    ReferenceText: str
    AccuracyScore: float
    FluencyScore: float
    CompletenessScore: float
    PronScore: float
    Offset: int
    Duration: int
    PhonemeAlphabet: str
    Engine: str
    Words: list[WordAssessment]


class AssessmentDoneOut(Schema):
    status: Literal["succeeded"]
    result: PronunciationAssessment


class JobOut(Schema):
    """A long recording's assessment. Poll it every few seconds; the result is deleted an
    hour after the assessment finished."""

    id: uuid.UUID
    status: Literal["queued", "running", "succeeded", "failed"]
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime = Field(description="When this job and its result are deleted.")
    result: PronunciationAssessment | None = Field(description="Once succeeded.")
    error: ErrorDetail | None = Field(description="Once failed.")


class UsageDayOut(Schema):
    day: date
    requests: int = Field(description="Assessment requests, refused ones included.")
    refused: int
    audio_minutes: float = Field(description="Minutes of audio accepted for assessment.")


class UsageOut(Schema):
    client: str
    days: list[UsageDayOut]


def _errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    return dict.fromkeys(statuses, ErrorOut)


_ASSESS_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": list(FIELDS),
                "additionalProperties": False,
                "properties": {
                    "audio": {
                        "type": "string",
                        "format": "binary",
                        "minLength": 1,
                        "description": (
                            "The recording: WAV, FLAC, MP3, OGG or WebM (Opus), M4A; at most "
                            "20 MB and 60 seconds. Decoded in memory; its metadata is never read."
                        ),
                    },
                    "text": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": services.MAX_TEXT_CHARS,
                        "description": "The reference text read aloud (at most 200 words).",
                        "example": "The quick brown fox jumps over the lazy dog.",
                    },
                    "language": {
                        "type": "string",
                        "description": "The language of the text, as a BCP 47 tag (en, en-US…).",
                        "pattern": services.LANGUAGE_TAG.pattern,
                        "maxLength": 16,
                        "example": "en",
                    },
                },
            },
            "encoding": {"audio": {"contentType": "audio/*, application/octet-stream"}},
        }
    },
}

_RATE_HEADERS = {
    "RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Calls a minute."},
    "RateLimit-Remaining": {"schema": {"type": "integer"}},
    "RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Seconds to a new minute."},
}


# Reading the form: in memory only, three fields only


class AudioUploadHandler(FileUploadHandler):
    """Keeps uploaded files in memory, never in a temporary file, up to ``max_bytes`` in all;
    past that the upload stops and the request is refused (413)."""

    def __init__(self, request: HttpRequest, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.total = 0
        self.too_large = False
        self.buffer = io.BytesIO()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.total += len(raw_data)
        if self.total > self.max_bytes:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        # The client's file name and content type are not kept, not even here.
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name="audio",
            content_type="application/octet-stream",
            size=file_size,
            charset=None,
        )


def _names(names: set[str]) -> str:
    shown = sorted(name[:40] for name in names)[:5]
    return ", ".join(shown) + ("…" if len(names) > 5 else "")


def too_large() -> ApiError:
    return ApiError("audio_too_large", mb=services.engine_limits().max_bytes // (1024 * 1024))


def read_form(request: HttpRequest) -> tuple[bytes, str, str]:
    """The audio, text and language of the request, or :class:`ApiError` (P39)."""
    if request.GET:
        raise ApiError("unknown_field", fields=_names(set(request.GET)))
    if request.content_type != "multipart/form-data":
        raise ApiError("unsupported_media_type")
    max_bytes = services.engine_limits().max_bytes
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as error:
        raise ApiError("malformed_body") from error
    if length > max_bytes + FORM_OVERHEAD:
        raise too_large()  # refused before reading a byte of it
    handler = AudioUploadHandler(request, max_bytes)
    request.upload_handlers = [handler]
    try:
        post, files = request.POST, request.FILES
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent, UnicodeDecodeError) as error:
        raise ApiError("malformed_body") from error
    except RequestDataTooBig as error:
        raise too_large() from error
    if handler.too_large:
        raise too_large()
    names = set(post) | set(files)
    if unknown := names - set(FIELDS):
        raise ApiError("unknown_field", fields=_names(unknown))
    if "audio" in post or "text" in files or "language" in files:
        raise ApiError("wrong_field_type")
    if missing := [name for name in FIELDS if name not in names]:
        raise ApiError("missing_field", fields=", ".join(missing))
    for name, values in (
        ("audio", files.getlist("audio")),
        ("text", post.getlist("text")),
        ("language", post.getlist("language")),
    ):
        if len(values) > 1:
            raise ApiError("duplicate_field", field=name)
    upload = files["audio"]
    if not isinstance(upload, UploadedFile):
        raise ApiError("wrong_field_type")
    return upload.read(), post["text"], post["language"]


def engine_error(error: Exception) -> ApiError:
    """The API's answer to one of the engine's errors (each has a stable ``code``)."""
    code = getattr(error, "code", "")
    limits = services.engine_limits()
    if code == "audio_too_large":
        return too_large()
    if code == "audio_too_long":
        return ApiError(code, seconds=f"{limits.max_seconds:g}")
    if code == "unknown_language":
        return ApiError(code, languages=", ".join(available()))
    if code == "model_missing":
        return ApiError("language_unavailable")
    if code == "audio_error":
        return ApiError("audio_unreadable")
    if code in ERRORS and ERRORS[code][0] < 500:
        return ApiError(code)
    return ApiError("internal_error")


def _job_out(job: AssessmentJob) -> dict[str, Any]:
    error = None
    if job.status == AssessmentJob.Status.FAILED:
        failure = engine_error(_Coded(job.error_code or "internal_error"))
        error = {"code": failure.code, "message": failure.message}
    return {
        "id": job.pk,
        "status": job.status,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "expires_at": job.expires_at,
        "result": job.result if job.status == AssessmentJob.Status.SUCCEEDED else None,
        "error": error,
    }


class _Coded(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _set_headers(response: HttpResponse, headers: dict[str, str]) -> None:
    for name, value in headers.items():
        response[name] = value


# Endpoints


@router.post(
    "/assessments",
    operation_id="assessment_create",
    summary="Assess a recording read from a reference text",
    response={
        200: AssessmentDoneOut,
        202: JobOut,
        **_errors(400, 401, 403, 413, 415, 422, 429, 500, 503),
    },
    openapi_extra={
        "requestBody": _ASSESS_BODY,
        "responses": {
            200: {"description": "Assessed during the request.", "headers": _RATE_HEADERS},
            202: {
                "description": "A long recording: poll the job at the Location header.",
                "headers": {
                    "Location": {"schema": {"type": "string"}},
                    "Retry-After": {"schema": {"type": "integer"}},
                    **_RATE_HEADERS,
                },
            },
            429: {
                "description": "Over the client's rate limit.",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            },
        },
    },
)
def assessment_create(request: HttpRequest, response: HttpResponse) -> Status:
    """Send exactly three form fields: `audio` (the file), `text` and `language`.

    Recordings up to 15 seconds (by default) are assessed at once and answered with `200`;
    longer ones, up to 60 seconds, with `202` and a job to poll. Nothing about the speaker is
    stored; the recording is kept only if the client chose to keep recordings for review,
    and then only for the declared number of days.
    """
    caller: Caller = request.auth  # type: ignore[attr-defined]
    client = caller.client
    try:
        require_scope(caller, "assess")
        rate_limit_take(caller, kind="assess")
        data, text, language = read_form(request)
        try:
            clip = services.clip_prepare(data=data, text=text, language=language)
        except INPUT_ERRORS as error:
            raise engine_error(error) from error
        del data  # the original file, with whatever metadata it held, goes here
        _set_headers(response, rate_headers(caller))
        if clip.seconds > services.sync_seconds():
            if (count := selectors.open_jobs_count(client)) >= MAX_OPEN_JOBS:
                raise ApiError("too_many_jobs", headers={"Retry-After": "10"}, count=count)
            job = services.assessment_job_create(
                client=client, text=text, language=language, seconds=clip.seconds
            )
            from lyceum.speech.tasks import run_assessment_job

            wav = clip.wav
            transaction.on_commit(lambda: run_assessment_job(str(job.pk), wav))
            services.usage_record(client=client, seconds=clip.seconds)
            response["Location"] = request.build_absolute_uri(
                f"{request.path.rstrip('/')}/{job.pk}"
            )
            response["Retry-After"] = "2"
            return Status(202, _job_out(job))
        try:
            result = services.clip_assess(client=client, clip=clip, text=text, language=language)
        except INPUT_ERRORS as error:
            raise engine_error(error) from error
        services.usage_record(client=client, seconds=clip.seconds)
        return Status(200, {"status": "succeeded", "result": result})
    except ApiError:
        services.usage_record(client=client, refused=True)
        raise
    except Exception as error:
        logger.exception("Speech assessment failed")
        services.usage_record(client=client, refused=True)
        raise ApiError("internal_error") from error


@router.get(
    "/assessments/{job_id}",
    operation_id="assessment_job_get",
    summary="The assessment of a long recording",
    response={200: JobOut, **_errors(401, 403, 404, 429)},
)
def assessment_job_get(
    request: HttpRequest,
    response: HttpResponse,
    job_id: str = Path(..., description="The job's id, from the 202 answer."),
) -> Status:
    """Only the client that sent the recording can read its job."""
    caller: Caller = request.auth  # type: ignore[attr-defined]
    require_scope(caller, "assess")
    rate_limit_take(caller, kind="read")
    _set_headers(response, rate_headers(caller))
    job = selectors.job_of(client=caller.client, job_id=job_id)
    if job is None:
        raise ApiError("job_not_found")
    if job.status in (AssessmentJob.Status.QUEUED, AssessmentJob.Status.RUNNING):
        response["Retry-After"] = "2"
    return Status(200, _job_out(job))


@router.get(
    "/usage",
    operation_id="usage_get",
    summary="This client's requests and audio minutes per day",
    response={200: UsageOut, **_errors(400, 401, 403, 429)},
    openapi_extra={
        "parameters": [
            {
                "name": "days",
                "in": "query",
                "required": False,
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_USAGE_DAYS,
                    "default": 30,
                },
                "description": "How many days back, today (UTC) included.",
            }
        ]
    },
)
def usage_get(request: HttpRequest, response: HttpResponse) -> Status:
    """Needs the `usage` scope."""
    caller: Caller = request.auth  # type: ignore[attr-defined]
    require_scope(caller, "usage")
    rate_limit_take(caller, kind="read")
    _set_headers(response, rate_headers(caller))
    raw = request.GET.get("days", "30")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_USAGE_DAYS:
        raise ApiError("invalid_parameter", name="days", low=1, high=MAX_USAGE_DAYS)
    days = selectors.usage_days(caller.client, days=int(raw))
    return Status(200, {"client": caller.client.name, "days": [d.__dict__ for d in days]})


def api_error_response(request: HttpRequest, error: ApiError | type[ApiError]) -> HttpResponse:
    """Every error of the speech API, as ``{"error": {"code", "message"}}``."""
    assert isinstance(error, ApiError)
    return error.response()
