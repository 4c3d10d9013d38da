"""The practice pages: choose a sentence, record it (or upload a recording), see the result
word by word and sound by sound, follow one's progress; a class's sentences for its
instructors. Thin: the writes and reads are in ``practice.py``."""

from __future__ import annotations

import io
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from lyceum.accounts.http import AuthenticatedRequest
from lyceum.learning.selectors import class_for_instructor
from lyceum.speech import practice, practice_results
from lyceum.speech.models import PracticeAttempt
from lyceum.speech.practice import PracticeError
from lyceum.speech.practice_forms import PracticeForm, SentenceForm, language_name

FRAGMENT_HEADER = "fetch"  # X-Requested-With of the page's recorder: answer with a fragment
RATE = (40, 600)  # readings per user per 10 minutes: each costs seconds of CPU


class RecordingInMemory(FileUploadHandler):
    """Keeps an uploaded recording in memory, never in a temporary file (the recording is
    scored and forgotten), and stops taking it past the size cap."""

    too_large = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > practice.MAX_BYTES:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer,
            self.field_name,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )


def _within_rate(user_id: int) -> bool:
    """A fixed window in the shared cache, so every web process counts the same readings."""
    limit, seconds = RATE
    key = f"practice:readings:{user_id}:{int(time.time() // seconds)}"
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, seconds)
        count = 1
    return count <= limit


def _again(attempt: PracticeAttempt) -> str:
    """The practice page's choice for reading the same sentence again, if it is offered."""
    if attempt.sentence_id:
        return f"c{attempt.sentence_id}"
    if attempt.text in practice.BUILT_IN_SENTENCES:
        return f"b{practice.BUILT_IN_SENTENCES.index(attempt.text)}"
    return ""


def _result_context(attempt: PracticeAttempt) -> dict[str, Any]:
    return {
        "attempt": attempt,
        "again": _again(attempt),
        "words": practice_results.words_of(attempt.result),
        "sounds": practice_results.sounds_to_work_on(attempt.result),
        "good": practice.GOOD,
        "fair": practice.FAIR,
    }


def _practice_page(
    request: AuthenticatedRequest, form: PracticeForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    latest = practice.attempts_of(request.user).first()
    context = {
        "form": form,
        "error": error,
        "latest": latest,
        "max_seconds": int(practice.MAX_SECONDS),
        "max_mb": practice.MAX_BYTES // (1024 * 1024),
    }
    return render(request, "speech/practice/home.html", context, status=status)


def _form(request: AuthenticatedRequest, data: Any = None, files: Any = None) -> PracticeForm:
    classes = practice.class_sentences_for(request.user)
    initial = {"sentence": request.GET.get("sentence", "")}
    return PracticeForm(data, files, classes=classes, initial=initial)


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    return _practice_page(request, _form(request))


@csrf_exempt  # checked below, once the recording's upload handler is in place
@login_required
@require_POST
def attempt_record(request: AuthenticatedRequest) -> HttpResponse:
    handler = RecordingInMemory(request)
    request.upload_handlers = [handler]
    return _attempt_record(request, handler)


@csrf_protect
def _attempt_record(request: AuthenticatedRequest, handler: RecordingInMemory) -> HttpResponse:
    """Score a reading. The page's recorder (fetch) gets the result or the error as a
    fragment; a plain form post is redirected to the result, or shown the page again."""
    fragment = request.headers.get("X-Requested-With") == FRAGMENT_HEADER
    form = _form(request, request.POST, request.FILES)
    upload = request.FILES.get("audio")
    status, message = 400, ""
    if handler.too_large:
        message = practice.error_message("audio_too_large")
    elif not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
    elif upload is None:
        message = practice.error_message("no_audio")
    elif not _within_rate(request.user.pk):
        status, message = 429, practice.error_message("too_many")
    else:
        try:
            attempt = practice.practice_attempt_record(
                user=request.user,
                audio=upload.read(),
                text=form.cleaned_data["text"],
                language=form.cleaned_data["reading_language"],
                sentence=form.cleaned_data["class_sentence"],
            )
        except PracticeError as error:
            status = 403 if error.code in ("restricted", "not_member") else 400
            message = error.message
        else:
            if fragment:
                return render(request, "speech/practice/result.html", _result_context(attempt))
            return redirect("practice:attempt", pk=attempt.pk)
    if fragment:
        return render(request, "speech/practice/error.html", {"message": message}, status=status)
    # The form's own errors are shown by the form; the others above it.
    shown = "" if form.errors else message
    return _practice_page(request, form, error=shown, status=status)


@login_required
def attempt_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = practice.attempt_of(request.user, pk)
    return render(request, "speech/practice/attempt.html", _result_context(attempt))


@login_required
@require_POST
def attempt_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = practice.attempt_of(request.user, pk)
    practice.practice_attempt_delete(user=request.user, attempt=attempt)
    messages.success(request, _("The result is deleted."))
    return redirect("practice:progress")


@login_required
def progress(request: AuthenticatedRequest) -> HttpResponse:
    overall, sentences = practice_results.progress_of(request.user)
    page = Paginator(practice.attempts_of(request.user), 25).get_page(request.GET.get("page"))
    context = {
        "overall": overall,
        "sentences": [(s, language_name(s.language)) for s in sentences],
        "several_languages": len({s.language for s in sentences}) > 1,
        "page": page,
    }
    return render(request, "speech/practice/progress.html", context)


@login_required
def sentences(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    form = SentenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            practice.practice_sentence_add(
                actor=request.user,
                klass=klass,
                text=form.cleaned_data["text"],
                language=form.cleaned_data["language"],
            )
        except PracticeError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The sentence is set for the class."))
            return redirect("practice:sentences", pk=klass.pk)
    context = {
        "klass": klass,
        "form": form,
        "sentences": [(s, language_name(s.language)) for s in klass.practice_sentences.all()],
        "several_languages": len(practice.available_languages()) > 1,
    }
    return render(request, "speech/practice/sentences.html", context)


@login_required
@require_POST
def sentence_remove(request: AuthenticatedRequest, pk: int, sentence_pk: int) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    sentence = get_object_or_404(klass.practice_sentences, pk=sentence_pk)
    practice.practice_sentence_remove(actor=request.user, sentence=sentence)
    messages.success(request, _("The sentence is removed."))
    return redirect("practice:sentences", pk=klass.pk)
