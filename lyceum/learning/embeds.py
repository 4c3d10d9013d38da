"""Videos from other sites in lesson materials, shown only with consent (P06).

A material whose link is a YouTube or Vimeo video is played in the page, from the provider's
privacy-enhanced player, but only for people who allowed content from other sites
(marketing): until then the page loads nothing from the provider and says why, with a link
to watch the video on its site and a button to allow such content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^[0-9]{6,12}$")
_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com"}


@dataclass(frozen=True)
class VideoEmbed:
    provider: str
    player_url: str

    @property
    def origin(self) -> str:
        parts = urlsplit(self.player_url)
        return f"{parts.scheme}://{parts.netloc}"


def video_embed(url: str) -> VideoEmbed | None:
    """The player of a YouTube or Vimeo video link; None for any other link."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    video = ""
    if host == "youtu.be" and segments:
        video = segments[0]
    elif host in _YOUTUBE_HOSTS or host == "www.youtube-nocookie.com":
        if segments == ["watch"]:
            video = parse_qs(parts.query).get("v", [""])[0]
        elif len(segments) == 2 and segments[0] in ("embed", "shorts", "live"):
            video = segments[1]
    if video and _YOUTUBE_ID.match(video):
        return VideoEmbed("YouTube", f"https://www.youtube-nocookie.com/embed/{video}")
    if host in ("vimeo.com", "www.vimeo.com", "player.vimeo.com"):
        candidate = segments[-1] if segments else ""
        if _VIMEO_ID.match(candidate):
            return VideoEmbed("Vimeo", f"https://player.vimeo.com/video/{candidate}?dnt=1")
    return None
