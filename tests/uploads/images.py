"""Small images made in memory for upload tests and demo-like fixtures."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825
MAKE = 0x010F


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color: str = "orange", *, gps: bool = False
) -> bytes:
    """An image in ``fmt``; with ``gps`` it carries EXIF with a camera make and a GPS position."""
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[MAKE] = "SpyCam"
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)})
        image.save(out, format=fmt, exif=exif.tobytes())
    else:
        image.save(out, format=fmt)
    return out.getvalue()
