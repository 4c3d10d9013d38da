"""Forms of the practice pages: what to read (and the recording), and a class's sentences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.utils.functional import lazy
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from lyceum.speech.practice import (
    BUILT_IN_SENTENCES,
    OWN_TEXT_MAX,
    SENTENCE_MAX,
    ClassSentences,
    PracticeError,
    available_languages,
    check_text,
)

OWN = "own"
AUDIO_ACCEPT = "audio/*,.webm,.ogg,.oga,.opus,.wav,.mp3,.m4a,.flac"


def _percent(message: str, values: dict[str, Any]) -> str:
    return str(message) % values


_lazy_percent = lazy(_percent, str)


def format_lazy_percent(message: Any, **values: Any) -> Any:
    """A translatable message with its ``%(name)s`` values, translated when shown (in the
    language of the request), not when the form class is defined."""
    return _lazy_percent(message, values)


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in available_languages()]


@dataclass(frozen=True)
class Option:
    value: str
    text: str
    language: str

    @property
    def language_label(self) -> str:
        return language_name(self.language)


@dataclass(frozen=True)
class OptionGroup:
    title: str
    options: list[Option]


class PracticeForm(forms.Form):
    """Which sentence is read: one set for a class of the learner's, a built-in one, or their
    own; and, without the in-page recorder, the recording as a file."""

    sentence = forms.ChoiceField(
        label=_("Sentence to read"),
        error_messages={"required": _("Choose a sentence to read, or type your own.")},
    )
    own_text = forms.CharField(
        label=_("Your own sentence"),
        max_length=OWN_TEXT_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "true"}),
        help_text=format_lazy_percent(_("At most %(n)s characters."), n=OWN_TEXT_MAX),
    )
    language = forms.ChoiceField(label=_("Language of your sentence"), required=False)
    audio = forms.FileField(
        label=_("Recording file"),
        required=False,
        allow_empty_file=True,  # the engine's own message for an empty recording is clearer
        widget=forms.FileInput(attrs={"accept": AUDIO_ACCEPT}),
    )

    def __init__(self, *args: Any, classes: list[ClassSentences], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = [
            OptionGroup(
                str(group.klass),
                [Option(f"c{s.pk}", s.text, s.language) for s in group.sentences],
            )
            for group in classes
        ]
        self.groups.append(
            OptionGroup(
                str(_("Everyday English")),
                [Option(f"b{i}", text, "en") for i, text in enumerate(BUILT_IN_SENTENCES)],
            )
        )
        self.by_value = {o.value: o for g in self.groups for o in g.options}
        self._class_sentences = {f"c{s.pk}": s for group in classes for s in group.sentences}
        cast(forms.ChoiceField, self.fields["sentence"]).choices = [
            *((v, o.text) for v, o in self.by_value.items()),
            (OWN, OWN),
        ]
        languages = language_choices()
        cast(forms.ChoiceField, self.fields["language"]).choices = languages
        self.fields["language"].initial = "en"
        self.several_languages = len(languages) > 1

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        value = data.get("sentence")
        data["class_sentence"] = None
        if value == OWN:
            if "own_text" in self.errors:  # too long: said already
                return data
            if not data.get("own_text", "").strip():
                self.add_error("own_text", _("Type the sentence you will read."))
                return data
            try:
                data["text"] = check_text(data["own_text"])
            except PracticeError as error:
                self.add_error("own_text", error.message)
            data["reading_language"] = data.get("language") or "en"
        elif value:
            option = self.by_value[value]
            data["text"], data["reading_language"] = option.text, option.language
            data["class_sentence"] = self._class_sentences.get(value)
        return data

    @property
    def chosen(self) -> str:
        value = self["sentence"].value()
        return str(value) if value else ""


class SentenceForm(forms.Form):
    text = forms.CharField(
        label=_("Sentence"),
        max_length=SENTENCE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=format_lazy_percent(
            _("One sentence for the class to read aloud, up to %(n)s characters."), n=SENTENCE_MAX
        ),
    )
    language = forms.ChoiceField(label=_("Language"), initial="en")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["language"]).choices = language_choices()

    def clean_text(self) -> str:
        try:
            return check_text(self.cleaned_data["text"])
        except PracticeError as error:
            raise forms.ValidationError(error.message) from error
