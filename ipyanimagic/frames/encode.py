"""Encode an RGBA frame for the page.

PNG is lossless and what a paused player shows; JPEG is 5-10x cheaper to make and send
for busy frames, so a playing player asks for it (see docs/ARCHITECTURE.md). Pillow is
already a matplotlib dependency. With the optional ``simplejpeg`` (``pip install
ipyanimagic[fast]``) JPEG takes RGBA directly, without Pillow's RGB copy: about 1.7x
faster here.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

__all__ = ["FORMATS", "JPEG_ENCODERS", "MIME", "encode"]

MIME = {"png": "image/png", "jpeg": "image/jpeg"}
FORMATS = tuple(MIME)

try:
    import simplejpeg
except ImportError:  # the optional extra is not installed
    simplejpeg = None

#: The JPEG encoders available here, preferred first.
JPEG_ENCODERS = (("simplejpeg",) if simplejpeg is not None else ()) + ("pillow",)


def encode(
    rgba: np.ndarray, fmt: str, quality: int = 85, *, jpeg_encoder: str | None = None
) -> bytes:
    """Encode an (h, w, 4) uint8 array as ``fmt`` ("png" or "jpeg")."""
    if fmt == "jpeg" and (jpeg_encoder or JPEG_ENCODERS[0]) == "simplejpeg":
        if simplejpeg is None:
            raise ValueError("simplejpeg is not installed (pip install ipyanimagic[fast])")
        # 4:2:0 like Pillow's default at this quality; the alpha channel is ignored.
        jpeg: bytes = simplejpeg.encode_jpeg(
            np.ascontiguousarray(rgba),
            quality=int(quality),
            colorspace="RGBA",
            colorsubsampling="420",
        )
        return jpeg
    height, width = rgba.shape[:2]
    image = Image.frombuffer(
        "RGBA", (width, height), np.ascontiguousarray(rgba), "raw", "RGBA", 0, 1
    )
    out = io.BytesIO()
    if fmt == "png":
        # Level 1: most of the size win of PNG for a fraction of the time of the default.
        image.save(out, format="PNG", compress_level=1)
    elif fmt == "jpeg":
        # JPEG has no alpha; a figure with a transparent face shows black there.
        image.convert("RGB").save(out, format="JPEG", quality=int(quality))
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return out.getvalue()
