"""Encode an RGBA frame for the page.

PNG is lossless and what a paused player shows; JPEG is 5-10x cheaper to make and send
for busy frames, so a playing player asks for it (see docs/ARCHITECTURE.md). Pillow is
already a matplotlib dependency.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

__all__ = ["FORMATS", "MIME", "encode"]

MIME = {"png": "image/png", "jpeg": "image/jpeg"}
FORMATS = tuple(MIME)


def encode(rgba: np.ndarray, fmt: str, quality: int = 85) -> bytes:
    """Encode an (h, w, 4) uint8 array as ``fmt`` ("png" or "jpeg")."""
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
