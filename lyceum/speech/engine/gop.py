"""Goodness of pronunciation: the aligned phone against a free phone loop.

For each phone the forced alignment gives the acoustic log-likelihood of the expected phone
over its frames. A phone loop with a uniform phone model (no phone language model) decodes
the same audio freely; its best path's score over the same frames is the likelihood of
whatever was said best. Their difference per frame, the GOP, is near zero for a phone said
as expected and strongly negative for a phone replaced by another.

The loop's path does not cut the audio where the alignment does, so each loop segment's
score is spread evenly over its frames and summed over the aligned phone's frames.
"""

from __future__ import annotations

import numpy as np
from pocketsphinx import Decoder

from lyceum.speech.engine.align import IDLE_SEARCH, Segment


def add_phone_loop(decoder: Decoder) -> None:
    decoder.add_allphone_file(IDLE_SEARCH, None)  # None: every phone equally likely


def run_phone_loop(decoder: Decoder, raw: bytes) -> tuple[np.ndarray, list[Segment]]:
    """The phone loop's acoustic score of each frame (in the decoder's log units), and the
    phones it heard (silence included, as ``SIL``)."""
    decoder.activate_search(IDLE_SEARCH)
    decoder.start_utt()
    decoder.process_raw(raw, full_utt=True)
    decoder.end_utt()
    scores = np.zeros(decoder.n_frames(), dtype=np.float64)
    logmath = decoder.logmath
    phones = []
    for seg in decoder.seg() or []:
        frames = seg.end_frame - seg.start_frame + 1
        # The binding hands back exp(score); its log recovers the score.
        total = logmath.log(seg.ascore) if seg.ascore > 0 else logmath.get_zero()
        scores[seg.start_frame : seg.end_frame + 1] = total / frames
        phones.append(Segment(seg.word, seg.start_frame, frames, int(total)))
    return scores, phones


def gop(phone: Segment, loop: np.ndarray) -> float:
    """Per-frame log-likelihood ratio of the aligned phone against the free loop."""
    frames = max(phone.frames, 1)
    return float((phone.score - loop[phone.start : phone.end].sum()) / frames)


def likelihood(phone: Segment) -> float:
    """The baseline: the aligned phone's per-frame log-likelihood alone."""
    return phone.score / max(phone.frames, 1)
