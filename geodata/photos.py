"""Case photos made safe to keep and show: a real JPEG or PNG, shrunk, re-encoded without EXIF."""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8_000_000  # a photo as uploaded
MAX_PIXELS = 50_000_000  # beyond this a file is a decompression bomb, not a photo
LONG_SIDE = 1600  # pixels of the longer side kept
QUALITY = 82
FORMATS = ("JPEG", "PNG")
CONTENT_TYPE = "image/jpeg"  # what is kept and served


# Why a photo is refused: PhotoError.kind, each said in both languages by the pages.
KINDS = ("empty", "too_big", "too_many_pixels", "not_photo", "unreadable")


class PhotoError(ValueError):
    """A file that is not a photo gridboard keeps; the message says why, plainly, and `kind`
    names the reason for a translated text: empty, too_big, too_many_pixels, not_photo,
    unreadable."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Photo:
    """A photo as kept: JPEG bytes without metadata, its size, and where it was taken (from its
    EXIF GPS block, kept only in these fields)."""

    content: bytes
    width: int
    height: int
    lon: float | None = None
    lat: float | None = None
    content_type: str = CONTENT_TYPE


def clean_photo(raw: bytes) -> Photo:
    """`raw` checked and made safe: PhotoError when it is empty, too big, or not a JPEG or PNG
    image (whatever its name says)."""
    if not raw:
        raise PhotoError("the photo file is empty", "empty")
    if len(raw) > MAX_BYTES:
        mb = f"the photo is {len(raw) / 1e6:.1f} MB; at most {MAX_BYTES // 1e6:.0f} MB"
        raise PhotoError(mb, "too_big")
    image = _open(raw)
    lon, lat = _location(image)
    image = ImageOps.exif_transpose(image)
    image.thumbnail((LONG_SIDE, LONG_SIDE))
    if image.mode != "RGB":
        image = _flatten(image)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, optimize=True)  # no exif=: nothing carried over
    return Photo(out.getvalue(), image.width, image.height, lon, lat)


def _open(raw: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError("the photo has too many pixels", "too_many_pixels")
            image.load()
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("the file is not a JPEG or PNG photo", "not_photo") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoError(f"the photo cannot be read ({str(exc)[:80]})", "unreadable") from None
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white (a PNG with transparency, a palette or a grey image)."""
    rgba = image.convert("RGBA")
    white = Image.new("RGB", rgba.size, (255, 255, 255))
    white.paste(rgba, mask=rgba.getchannel("A"))
    return white


def _location(image: Image.Image) -> tuple[float | None, float | None]:
    """(lon, lat) from the EXIF GPS block, when it holds a sensible one."""
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef))
        lon = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not all(map(math.isfinite, (lon, lat))):
        return None, None
    return lon, lat


def _degrees(dms, ref: str | None) -> float:
    d, m, s = (float(x) for x in dms)
    value = d + m / 60 + s / 3600
    return -value if str(ref or "").upper() in ("S", "W") else value
