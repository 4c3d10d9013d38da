"""``lyceum speech assess``: one recording, or a manifest of many in input order."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from lyceum.speech.tests.conftest import espeak_wav

TEXT = "We walked along the river after lunch."


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("speech", *args, stdout=out)
    return out.getvalue()


def test_assess_prints_the_assessment_json(tmp_path):
    audio = tmp_path / "reading.wav"
    audio.write_bytes(espeak_wav(TEXT))
    result = json.loads(run("assess", str(audio), "--text", TEXT, "--language", "en"))
    assert result["Language"] == "en"
    assert result["CompletenessScore"] == 100.0
    assert [w["Word"] for w in result["Words"]][:3] == ["We", "walked", "along"]


def test_assess_says_what_is_wrong_with_a_bad_file(tmp_path):
    audio = tmp_path / "notes.txt"
    audio.write_text("not a recording")
    with pytest.raises(CommandError, match="audio_unreadable"):
        run("assess", str(audio), "--text", TEXT)
    with pytest.raises(CommandError, match="--text"):
        run("assess", str(audio))


def test_a_manifest_is_assessed_on_every_core_in_input_order(tmp_path):
    (tmp_path / "a.wav").write_bytes(espeak_wav(TEXT))
    (tmp_path / "b.wav").write_bytes(espeak_wav("We walked along the after lunch."))
    (tmp_path / "c.wav").write_bytes(b"")
    lines = [
        {"audio": "a.wav", "text": TEXT, "language": "en"},
        {"audio": "c.wav", "text": TEXT},
        {"audio": str(tmp_path / "b.wav"), "text": TEXT, "language": "en"},
        {"audio": "a.wav", "text": TEXT, "language": "xx"},
        {"audio": "a.wav", "text": "xqzzkrpt bbbbbbbbb"},
    ]
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text("\n".join(json.dumps(line) for line in lines) + "\n\nnot json\n")
    out = run("assess", "--manifest", str(manifest), "--workers", "2").splitlines()
    results = [json.loads(line) for line in out]
    assert len(results) == 6
    assert results[0]["audio"].endswith("a.wav") and results[0]["CompletenessScore"] == 100.0
    assert results[1]["error"]["code"] == "audio_empty"
    river = next(w for w in results[2]["Words"] if w["Word"] == "river")
    assert river["ErrorType"] == "Omission"
    assert results[3]["error"]["code"] == "unknown_language"
    assert results[4]["error"]["code"] == "alignment_failed"  # and the next line goes on
    assert results[5]["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_a_wrong_number_of_workers_is_refused_clearly(tmp_path, workers):
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text("")
    with pytest.raises(CommandError, match="whole number"):
        run("assess", "--manifest", str(manifest), "--workers", workers)
