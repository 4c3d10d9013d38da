"""Real recordings for the engine's tests: espeak-ng reads, PyAV encodes."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from collections.abc import Callable
from typing import cast

import av
import numpy as np
import pytest
from av.audio.stream import AudioStream


def espeak_wav(text: str, voice: str = "en-us") -> bytes:
    """``text`` read by espeak-ng (Debian's package), as WAV bytes at 22.05 kHz."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("The speech tests need Debian's espeak-ng: apt-get install espeak-ng")
    return subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout


def wav_bytes(samples: np.ndarray, rate: int = 16_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(samples, -32768, 32767).astype(np.int16).tobytes())
    return out.getvalue()


def transcode(wav: bytes, container: str, codec: str, rate: int = 48_000) -> bytes:
    """The WAV re-encoded as a browser or phone would send it (Opus in WebM, MP3...)."""
    out = io.BytesIO()
    with (
        av.open(io.BytesIO(wav), mode="r") as source,
        av.open(out, mode="w", format=container) as target,
    ):
        stream = cast(AudioStream, target.add_stream(codec, rate=rate))
        stream.layout = "stereo"
        resampler = av.AudioResampler(
            format=stream.codec_context.format, layout="stereo", rate=rate
        )
        for frame in source.decode(audio=0):
            for converted in resampler.resample(frame):
                for packet in stream.encode(converted):
                    target.mux(packet)
        for converted in resampler.resample(None):
            for packet in stream.encode(converted):
                target.mux(packet)
        for packet in stream.encode(None):
            target.mux(packet)
    return out.getvalue()


@pytest.fixture(scope="session")
def speak() -> Callable[..., bytes]:
    return espeak_wav
