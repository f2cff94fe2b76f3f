"""Image checks and cleaning: the type from the bytes, the dimensions before decoding, then a re-encode that keeps
only the pixels (no EXIF, GPS, XMP, ICC or comments survive), turned upright by the EXIF orientation first."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from groupbuy.errors import DomainError, Invalid

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
TOO_SMALL = "The image is too small."
TOO_LARGE = "The image has too many pixels."
UNREADABLE = "The file is not a readable image."


class UnsupportedImage(DomainError):
    """Bytes that are not a JPEG, PNG or WebP image, whatever the client called them."""

    status, code = 415, "upload_not_an_image"


class UploadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The content type the bytes say they are (magic numbers), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_image(data: bytes, *, min_side: int, max_side: int, max_pixels: int) -> CleanImage:
    """The image re-encoded without metadata; refuses other types, odd sizes and decompression bombs."""
    content_type = sniff(data)
    if content_type is None:
        raise UnsupportedImage()
    fmt = FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = image.size  # from the header: nothing decoded yet
            _check_dimensions(width, height, min_side=min_side, max_side=max_side, max_pixels=max_pixels)
            image.seek(0)  # animated: the first frame only
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid("upload_dimensions", errors={"file": [TOO_LARGE]}) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise Invalid("upload_unreadable", errors={"file": [UNREADABLE]}) from None
    upright = ImageOps.exif_transpose(image)
    pixels = _pixels_for(fmt, upright)
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())  # a new image: no info, no metadata
    out = io.BytesIO()
    if fmt == "JPEG":
        bare.save(out, format="JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        bare.save(out, format="PNG", optimize=True)
    else:
        bare.save(out, format="WEBP", quality=85)
    return CleanImage(data=out.getvalue(), content_type=content_type, width=bare.width, height=bare.height)


def _check_dimensions(width: int, height: int, *, min_side: int, max_side: int, max_pixels: int) -> None:
    if width < min_side or height < min_side:
        raise Invalid("upload_dimensions", errors={"file": [TOO_SMALL]})
    if width > max_side or height > max_side or width * height > max_pixels:
        raise Invalid("upload_dimensions", errors={"file": [TOO_LARGE]})


def _pixels_for(fmt: str, image: Image.Image) -> Image.Image:
    if fmt == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    return image.convert("RGBA")
