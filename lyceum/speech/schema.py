"""The assessment JSON, as OpenAPI 3.1 component schemas with an example.

Field names and casing follow Azure's pronunciation assessment (PascalCase:
``AccuracyScore``, ``FluencyScore``, ``CompletenessScore``, ``PronScore``, ``Words``,
``ErrorType``...; ``Offset`` and ``Duration`` in 100-nanosecond ticks from the start of
the recording), so that clients written for it find their way. Phonemes are lowercase
ARPAbet for English (``PhonemeAlphabet``). The API serves these under
``components.schemas``; ``lyceum speech assess`` prints the same JSON.
"""

from __future__ import annotations

from typing import Any

SCORE = {"type": "number", "minimum": 0, "maximum": 100}
TICKS = {
    "type": ["integer", "null"],
    "minimum": 0,
    "description": "100-nanosecond ticks (10,000,000 a second); null where nothing was heard.",
}

PHONEME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "PhonemeAssessment",
    "required": ["Phoneme", "AccuracyScore", "Offset", "Duration"],
    "additionalProperties": False,
    "properties": {
        "Phoneme": {"type": "string", "description": "Expected phone (lowercase ARPAbet)."},
        "AccuracyScore": {
            **SCORE,
            "description": "How close the phone is to its expected sound: goodness of "
            "pronunciation against a free phone recogniser, scaled to 0-100.",
        },
        "Offset": TICKS,
        "Duration": TICKS,
    },
}

WORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "WordAssessment",
    "required": ["Word", "AccuracyScore", "ErrorType", "Offset", "Duration", "Phonemes"],
    "additionalProperties": False,
    "properties": {
        "Word": {
            "type": "string",
            "description": "The word as written in the reference text; empty for an "
            "insertion (speech that is not in the text).",
        },
        "AccuracyScore": {
            **SCORE,
            "description": "The word's pronunciation: mostly its worst phone, partly the "
            "mean of its phones. 0 for an omission or insertion.",
        },
        "ErrorType": {
            "type": "string",
            "enum": ["None", "Mispronunciation", "Omission", "Insertion"],
            "description": "Mispronunciation: the word was said but scores under 60, or "
            "something else was said in its place. Omission: not said. Insertion: speech "
            "between words that is not in the text.",
        },
        "Offset": TICKS,
        "Duration": TICKS,
        "Phonemes": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/PhonemeAssessment"},
            "description": "The expected phones (heard phones for an insertion); "
            "scores 0 and null times when the word was not said.",
        },
    },
}

ASSESSMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "PronunciationAssessment",
    "required": [
        "Language",
        "ReferenceText",
        "AccuracyScore",
        "FluencyScore",
        "CompletenessScore",
        "PronScore",
        "Offset",
        "Duration",
        "PhonemeAlphabet",
        "Engine",
        "Words",
    ],
    "additionalProperties": False,
    "properties": {
        "Language": {"type": "string", "description": "The language assessed, e.g. en."},
        "ReferenceText": {"type": "string", "description": "The text that was to be read."},
        "AccuracyScore": {
            **SCORE,
            "description": "Mean of the words' accuracy over the words said, weighted by "
            "their number of phones.",
        },
        "FluencyScore": {
            **SCORE,
            "description": "100 without breaks; each silence over 0.3 s between words "
            "takes off twice its share of the reading's span.",
        },
        "CompletenessScore": {
            **SCORE,
            "description": "Share of the reference words that were said (not omitted).",
        },
        "PronScore": {
            **SCORE,
            "description": "0.6 x accuracy + 0.2 x fluency + 0.2 x completeness.",
        },
        "Offset": {**TICKS, "type": "integer", "description": "Start of the first word."},
        "Duration": {**TICKS, "type": "integer", "description": "First word to last."},
        "PhonemeAlphabet": {"type": "string", "enum": ["arpabet"]},
        "Engine": {"type": "string", "description": "Engine and scoring version."},
        "Words": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/WordAssessment"},
            "description": "The reference words in order, with insertions where they were heard.",
        },
    },
}


def _phone(name: str, score: float, offset: int | None, duration: int | None) -> dict[str, Any]:
    return {"Phoneme": name, "AccuracyScore": score, "Offset": offset, "Duration": duration}


EXAMPLE: dict[str, Any] = {
    "Language": "en",
    "ReferenceText": "The ship sailed at dawn.",
    "AccuracyScore": 71.4,
    "FluencyScore": 100.0,
    "CompletenessScore": 80.0,
    "PronScore": 78.8,
    "Offset": 4_100_000,
    "Duration": 14_500_000,
    "PhonemeAlphabet": "arpabet",
    "Engine": "lyceum-pocketsphinx/1",
    "Words": [
        {
            "Word": "The",
            "AccuracyScore": 97.2,
            "ErrorType": "None",
            "Offset": 4_100_000,
            "Duration": 1_200_000,
            "Phonemes": [
                _phone("dh", 96.0, 4_100_000, 800_000),
                _phone("ah", 98.5, 4_900_000, 400_000),
            ],
        },
        {
            "Word": "ship",
            "AccuracyScore": 31.0,
            "ErrorType": "Mispronunciation",
            "Offset": 5_300_000,
            "Duration": 3_100_000,
            "Phonemes": [
                {
                    "Phoneme": "sh",
                    "AccuracyScore": 93.1,
                    "Offset": 5_300_000,
                    "Duration": 1_300_000,
                },
                _phone("ih", 4.2, 6_600_000, 1_200_000),
                _phone("p", 88.0, 7_800_000, 600_000),
            ],
        },
        {
            "Word": "sailed",
            "AccuracyScore": 0.0,
            "ErrorType": "Omission",
            "Offset": None,
            "Duration": None,
            "Phonemes": [
                _phone("s", 0.0, None, None),
                _phone("ey", 0.0, None, None),
                _phone("l", 0.0, None, None),
                _phone("d", 0.0, None, None),
            ],
        },
        {
            "Word": "at",
            "AccuracyScore": 90.3,
            "ErrorType": "None",
            "Offset": 9_900_000,
            "Duration": 1_500_000,
            "Phonemes": [
                _phone("ae", 92.0, 9_900_000, 900_000),
                _phone("t", 88.6, 10_800_000, 600_000),
            ],
        },
        {
            "Word": "dawn",
            "AccuracyScore": 94.8,
            "ErrorType": "None",
            "Offset": 12_600_000,
            "Duration": 6_000_000,
            "Phonemes": [
                _phone("d", 93.0, 12_600_000, 900_000),
                {
                    "Phoneme": "ao",
                    "AccuracyScore": 96.1,
                    "Offset": 13_500_000,
                    "Duration": 3_000_000,
                },
                {
                    "Phoneme": "n",
                    "AccuracyScore": 95.2,
                    "Offset": 16_500_000,
                    "Duration": 2_100_000,
                },
            ],
        },
    ],
}


def components() -> dict[str, Any]:
    """``components.schemas`` entries for an OpenAPI document."""
    return {
        "PronunciationAssessment": {**ASSESSMENT_SCHEMA, "examples": [EXAMPLE]},
        "WordAssessment": WORD_SCHEMA,
        "PhonemeAssessment": PHONEME_SCHEMA,
    }
