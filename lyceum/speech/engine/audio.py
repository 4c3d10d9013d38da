"""Audio in: decoding, resampling to 16 kHz mono, caps on size and duration, padding.

Everything that goes wrong with a recording ends here as an :class:`AudioError` subclass
that says what is wrong, never as a crash deeper in the engine.
"""

from __future__ import annotations

import io
import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

SAMPLE_RATE = 16_000
FRAME_RATE = 100  # the acoustic model's frames per second
DEFAULT_MAX_SECONDS = 60.0
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
PAD_SECONDS = 0.3
PAD_SAMPLES = int(PAD_SECONDS * SAMPLE_RATE)
# Low noise rather than digital silence: the acoustic model has seen no zero frames, and a
# recording cut right after its last word otherwise leaves the aligner no room to end in.
PAD_NOISE_RMS = 4.0
MIN_SPEECH_SECONDS = 0.2  # voiced: a short word read quickly has 0.25 s
PERIODICITY = 0.5
MIN_SPECTRAL_CHANGE_DB = 1.3  # tones, hums, buzzes: under 0.9; speech: 1.8 and more
WINDOW, HOP = 640, 320  # 40 ms windows every 20 ms, for the speech checks


class AudioError(ValueError):
    """The recording cannot be assessed; ``code`` is stable, the message says why."""

    code = "audio_error"


class AudioEmpty(AudioError):
    code = "audio_empty"


class AudioUnreadable(AudioError):
    """Not audio in a known format, or cut short (truncated) so that nothing decodes."""

    code = "audio_unreadable"


class AudioTooLarge(AudioError):
    code = "audio_too_large"


class AudioTooLong(AudioError):
    code = "audio_too_long"


class NoSpeech(AudioError):
    """Silence or noise: nothing in the recording sounds like speech."""

    code = "no_speech"


@dataclass(frozen=True)
class Limits:
    max_seconds: float = DEFAULT_MAX_SECONDS
    max_bytes: int = DEFAULT_MAX_BYTES


def read_input(source: bytes | str | os.PathLike[str], limits: Limits) -> bytes:
    """The recording's bytes, refusing what is over the size cap before reading it all."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as error:
            raise AudioUnreadable(f"Cannot read {path}: {error.strerror}.") from error
        if size > limits.max_bytes:
            raise AudioTooLarge(_too_large(size, limits))
        data = path.read_bytes()
    if not data:
        raise AudioEmpty("The recording is empty (0 bytes).")
    if len(data) > limits.max_bytes:
        raise AudioTooLarge(_too_large(len(data), limits))
    return data


def _too_large(size: int, limits: Limits) -> str:
    return f"The recording is {size:,} bytes; at most {limits.max_bytes:,} are accepted."


def decode(data: bytes, limits: Limits) -> np.ndarray:
    """16-bit samples at 16 kHz, mono, from WAV, FLAC, OGG/Opus, WebM/Opus, MP3 and the like.

    Decoding stops as soon as the duration cap is passed, so a long file costs no more than
    the cap.
    """
    max_samples = int(limits.max_seconds * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise AudioUnreadable("The file holds no audio stream.")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += chunk.size
                if total > max_samples:
                    raise AudioTooLong(
                        f"The recording is longer than {limits.max_seconds:g} seconds, "
                        "the most that is assessed at once."
                    )
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except AudioError:
        raise
    except (av.error.FFmpegError, ValueError, EOFError, OSError) as error:
        raise AudioUnreadable(f"The recording cannot be decoded ({error}).") from error
    samples = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, np.int16)
    if samples.size == 0:
        raise AudioUnreadable("The recording decodes to no sound at all (cut short?).")
    if samples.size > max_samples:
        raise AudioTooLong(
            f"The recording is longer than {limits.max_seconds:g} seconds, "
            "the most that is assessed at once."
        )
    return samples


def pad(samples: np.ndarray) -> np.ndarray:
    """``PAD_SECONDS`` of low, reproducible noise at each end."""
    rng = np.random.default_rng(len(samples))
    noise = rng.normal(0.0, PAD_NOISE_RMS, 2 * PAD_SAMPLES).round().astype(np.int16)
    return np.concatenate([noise[:PAD_SAMPLES], samples, noise[PAD_SAMPLES:]])


def _windows(samples: np.ndarray) -> np.ndarray:
    """40 ms windows every 20 ms, each without its mean."""
    frame, hop = WINDOW, HOP
    x = samples.astype(np.float64)
    count = 1 + (x.size - frame) // hop
    windows = np.lib.stride_tricks.sliding_window_view(x, frame)[::hop][:count]
    return windows - windows.mean(axis=1, keepdims=True)


def voiced_seconds(samples: np.ndarray) -> float:
    """How long the recording is voiced: loud enough and periodic at a speaking pitch.

    Silence is quiet and noise (hiss, static, wind) is aperiodic, so neither counts, where
    an energy or WebRTC-style voice detector takes steady loud noise for speech.
    """
    if samples.size < WINDOW:
        return 0.0
    windows = _windows(samples)
    rms = np.sqrt((windows**2).mean(axis=1))
    spectrum = np.fft.rfft(windows * np.hanning(WINDOW), n=2 * WINDOW, axis=1)
    autocorr = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :WINDOW]
    lags = slice(SAMPLE_RATE // 400, SAMPLE_RATE // 60)  # pitch between 60 and 400 Hz
    # A voice's autocorrelation falls, then rises again to a peak at its pitch period; that
    # of low-passed noise (rumble, brown noise) only falls. So the height of the peak above
    # the lowest point before it is measured, not the peak alone.
    lowest = np.minimum.accumulate(autocorr, axis=1)
    rise = (autocorr[:, lags] - lowest[:, lags]).max(axis=1)
    periodicity = rise / np.maximum(autocorr[:, 0], 1e-9)
    voiced = (periodicity > PERIODICITY) & (rms > 20.0)
    # Noise is periodic by chance in a frame here and there; a vowel lasts several frames.
    runs = voiced[:-2] & voiced[1:-1] & voiced[2:]
    return float(runs.sum() * HOP / SAMPLE_RATE)


def spectral_change(samples: np.ndarray) -> float:
    """How much the sound's spectral shape changes over the recording, in dB.

    The shape of each loud window (its energy in 16 bands from 100 Hz to 6 kHz, loudness
    taken out) is compared with the recording's median shape; the median distance is
    returned. A voice moves from sound to sound (even a held vowel wavers, 2 dB and more);
    a tone, a hum or a buzz, periodic and loud as it is, stays within 1 dB.
    """
    if samples.size < WINDOW:
        return 0.0
    windows = _windows(samples)
    loud = np.sqrt((windows**2).mean(axis=1)) > 20.0
    if loud.sum() < 3:
        return 0.0
    power = np.abs(np.fft.rfft(windows[loud] * np.hanning(WINDOW), n=2 * WINDOW, axis=1)) ** 2
    freqs = np.fft.rfftfreq(2 * WINDOW, 1 / SAMPLE_RATE)
    edges = np.geomspace(100, 6000, 17)
    in_band = [(freqs >= lo) & (freqs < hi) for lo, hi in itertools.pairwise(edges)]
    bands = np.stack([power[:, band].sum(axis=1) for band in in_band], axis=1)
    shape = 10 * np.log10(bands + 1e-3)
    shape -= shape.mean(axis=1, keepdims=True)
    distance = np.sqrt(((shape - np.median(shape, axis=0)) ** 2).mean(axis=1))
    return float(np.median(distance))


def has_speech(samples: np.ndarray) -> bool:
    """Voiced long enough, and not a steady tone (see the two measures)."""
    return (
        voiced_seconds(samples) >= MIN_SPEECH_SECONDS
        and spectral_change(samples) >= MIN_SPECTRAL_CHANGE_DB
    )
