"""Build the speech benchmark's recordings with Debian's synthesisers.

Each sentence is read by each voice four ways: correctly, with its word replaced by a
minimal pair, by another word, and without the word. Each reading is then degraded:
white noise at 20 dB and 10 dB SNR (over the active speech), and slowed and sped up
(sox's tempo: the pitch is kept). The synthesisers' own sample rates are kept (16, 22.05
and 32 kHz), so the engine's resampling is exercised too.

Needs the Debian packages espeak-ng, flite, festival, festvox-kallpc16k,
festvox-us-slt-hts and sox. Writes ``bench/results/speech/`` (not committed)::

    .venv/bin/python -m bench.speech.generate [--voices ...] [--conditions ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.speech.sentences import DEV, TEST, Sentence
from lyceum.speech.engine.languages import resolve
from lyceum.speech.engine.lexicon import split_reference

RESULTS = Path(__file__).resolve().parents[1] / "results" / "speech"
VARIANTS = ("correct", "minimal", "other", "omitted")


def _espeak(voice: str) -> Callable[[str, Path], list[str]]:
    return lambda text, out: ["espeak-ng", "-v", voice, "-s", "150", "-w", str(out), text]


def _flite(voice: str) -> Callable[[str, Path], list[str]]:
    return lambda text, out: ["flite", "-voice", voice, "-t", text, "-o", str(out)]


def _festival(voice: str) -> Callable[[str, Path], list[str]]:
    return lambda text, out: ["text2wave", "-eval", f"({voice})", "-o", str(out)]


VOICES: dict[str, Callable[[str, Path], list[str]]] = {
    "espeak-us": _espeak("en-us"),
    "espeak-us-f3": _espeak("en-us+f3"),
    "flite-slt": _flite("slt"),
    "flite-rms": _flite("rms"),
    "flite-awb": _flite("awb"),
    "festival-kal": _festival("voice_kal_diphone"),
    "festival-slt-hts": _festival("voice_cmu_us_slt_arctic_hts"),
}
CONDITIONS = ("clean", "snr20", "snr10", "tempo0.85", "tempo1.2")


@dataclass(frozen=True)
class Reading:
    split: str
    sentence: Sentence
    variant: str

    @property
    def spoken(self) -> str:
        s = self.sentence
        words = s.text.split()
        position = self.target_index
        if self.variant == "correct":
            return s.text
        if self.variant == "omitted":
            return " ".join(words[:position] + words[position + 1 :])
        replacement = s.minimal if self.variant == "minimal" else s.other
        words[position] = words[position].lower().replace(s.word, replacement)
        return " ".join(words)

    @property
    def target_index(self) -> int:
        words = split_reference(self.sentence.text)
        matches = [w.index for w in words if w.key == self.sentence.word]
        if len(matches) != 1:
            raise SystemExit(f"{self.sentence.word!r} is not once in {self.sentence.text!r}")
        return matches[0]


def changed_phone(sentence: Sentence, dictionary: dict[str, list[str]]) -> int:
    """The index of the one phone in which ``minimal`` differs from ``word``."""
    a, b = dictionary[sentence.word], dictionary[sentence.minimal]
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    if len(a) != len(b) or len(diffs) != 1:
        raise SystemExit(f"{sentence.word}/{sentence.minimal} is not a one-phone minimal pair")
    return diffs[0]


def load_dictionary() -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    with open(resolve("en").dictionary, encoding="utf-8") as lines:
        for line in lines:
            word, *phones = line.split()
            entries.setdefault(word, phones)
    return entries


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return samples, rate


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(samples, -32768, 32767).astype(np.int16).tobytes())


def add_noise(samples: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """White noise at ``snr_db`` below the active speech level (frames within 30 dB of
    the loudest)."""
    x = samples.astype(np.float64)
    frames = x[: x.size // 320 * 320].reshape(-1, 320)
    power = (frames**2).mean(axis=1)
    active = power[power > power.max() / 1000.0]
    level = active.mean() if active.size else max(power.mean(), 1.0)
    rng = np.random.default_rng(seed)
    return x + rng.normal(0.0, np.sqrt(level / 10 ** (snr_db / 10)), x.size)


def synthesise(voice: str, text: str, out: Path) -> None:
    command = VOICES[voice](text, out)
    stdin = text if command[0] == "text2wave" else None
    subprocess.run(command, input=stdin, text=True, check=True, capture_output=True)


def degrade(clean: Path, condition: str, out: Path, seed: int) -> None:
    if condition.startswith("snr"):
        samples, rate = read_wav(clean)
        write_wav(out, add_noise(samples, float(condition[3:]), seed), rate)
    elif condition.startswith("tempo"):
        subprocess.run(
            ["sox", str(clean), str(out), "tempo", "-s", condition[5:]],
            check=True,
            capture_output=True,
        )
    else:
        shutil.copyfile(clean, out)


def build(voices: list[str], conditions: list[str], out_dir: Path, workers: int) -> Path:
    dictionary = load_dictionary()
    readings = [
        Reading(split, sentence, variant)
        for split, sentences in (("test", TEST), ("dev", DEV))
        for sentence in sentences
        for variant in VARIANTS
    ]
    jobs = [(r, v, n) for n, r in enumerate(readings) for v in voices]
    out_dir.mkdir(parents=True, exist_ok=True)

    def make(job: tuple[Reading, str, int]) -> list[dict[str, object]]:
        reading, voice, number = job
        sid = f"s{[*TEST, *DEV].index(reading.sentence):02d}"
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            clean = Path(tmp) / "clean.wav"
            synthesise(voice, reading.spoken, clean)
            for condition in conditions:
                folder = out_dir / "audio" / voice / condition
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{sid}-{reading.variant}.wav"
                degrade(clean, condition, path, seed=number)
                rows.append(
                    {
                        "audio": str(path.relative_to(out_dir)),
                        "text": reading.sentence.text,
                        "language": "en",
                        "spoken": reading.spoken,
                        "split": reading.split,
                        "sentence": sid,
                        "voice": voice,
                        "condition": condition,
                        "variant": reading.variant,
                        "target": reading.target_index,
                        "changed_phone": changed_phone(reading.sentence, dictionary),
                    }
                )
        return rows

    with ThreadPoolExecutor(workers) as pool:
        rows = [row for batch in pool.map(make, jobs) for row in batch]
    manifest = out_dir / "manifest.jsonl"
    with manifest.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default=",".join(VOICES), help="comma-separated")
    parser.add_argument("--conditions", default=",".join(CONDITIONS), help="comma-separated")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    voices = [v for v in args.voices.split(",") if v]
    conditions = [c for c in args.conditions.split(",") if c]
    unknown = [v for v in voices if v not in VOICES] + [
        c for c in conditions if c not in CONDITIONS
    ]
    if unknown:
        sys.exit(f"unknown voices or conditions: {', '.join(unknown)}")
    missing = [p for p in ("espeak-ng", "flite", "text2wave", "sox") if not shutil.which(p)]
    if missing:
        sys.exit(
            f"missing programs: {', '.join(missing)} (apt-get install espeak-ng flite "
            "festival festvox-kallpc16k festvox-us-slt-hts sox)"
        )
    manifest = build(voices, conditions, args.out, args.workers)
    print(f"{sum(1 for _ in manifest.open())} recordings; manifest {manifest}")


if __name__ == "__main__":
    main()
