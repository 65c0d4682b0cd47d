"""Encode an RGBA frame for the page.

PNG is lossless and what a paused player shows, and what an animation that remembers
keeps of every frame it draws; JPEG is 5-10x cheaper to send for busy frames, so a
playing player asks for it (see docs/ARCHITECTURE.md). Pillow is already a matplotlib
dependency. With the optional ``simplejpeg`` (``pip install ipyanimagic[fast]``) JPEG
takes RGBA directly, without Pillow's RGB copy: about 1.7x faster here.

PNG is written here, not by Pillow: Pillow chooses a row filter per row, which took most
of its time (21.7 ms for a 1280x960 figure, 19.4 ms even uncompressed); rows without a
filter, deflated at level 1, take 7.2 ms and came out smaller on figures (61 kB against
67 kB), whose flat colours deflate well as they are. zlib releases the GIL while it
works, so the main thread draws meanwhile.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageChops, ImageStat

__all__ = ["FORMATS", "JPEG_ENCODERS", "MIME", "encode", "png", "preview_png"]

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
    if fmt == "png":
        return png(rgba)
    height, width = rgba.shape[:2]
    image = Image.frombuffer(
        "RGBA", (width, height), np.ascontiguousarray(rgba), "raw", "RGBA", 0, 1
    )
    out = io.BytesIO()
    if fmt == "jpeg":
        # JPEG has no alpha; a figure with a transparent face shows black there.
        image.convert("RGB").save(out, format="JPEG", quality=int(quality))
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return out.getvalue()


_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(rgba: np.ndarray, level: int = 1) -> bytes:
    """A PNG of an (h, w, 4) uint8 array: 8-bit RGBA, no row filter, deflate ``level``."""
    height, width = rgba.shape[:2]
    rows = np.empty((height, 1 + width * 4), np.uint8)
    rows[:, 0] = 0  # filter type 0 (None) before every row
    rows[:, 1:] = np.asarray(rgba, np.uint8).reshape(height, width * 4)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.data, level))
        + _chunk(b"IEND", b"")
    )


#: A preview is used when it is at most this share of the exact PNG's bytes ...
PREVIEW_SHARE = 0.6
#: ... and its pixels differ from the exact ones by at most this much on average (levels
#: of 255, over every channel): a figure of lines and text (0.9 for the seed line), not a
#: smooth colormap (1.3) or noise (4.9), which keep the exact PNG.
PREVIEW_MEAN_ERROR = 1.0
#: Deflate level of a preview (see preview_png).
PREVIEW_DEFLATE_LEVEL = 8


def preview_png(png_bytes: bytes) -> bytes | None:
    """The same picture in 256 colours, when that is much smaller and looks the same;
    else None.

    Why: every displayed player carries a picture of its first frame twice (the widget's
    poster, shown without a round trip, and the output's PNG for places without a
    kernel); over a slow link ten players' pictures were most of what the notebook sent
    before their first frames (benchmarks/remote.py). A figure of lines and text has few
    colours: 256 of them show it as it is to the eye in a quarter of the bytes. The page
    then asks for the exact frame (at rest every frame is lossless).

    It runs on the main thread at every display, between the first draw and the display
    message, so it is made for speed (measured on the 2013 line figure, 640x480): deflate
    at level 8 instead of Pillow's ``optimize`` (3.1 ms against 7.8, 6.35 KB against
    6.2; level 6 took 1.3 ms but 7.3 KB, and the picture travels twice, in the widget
    and in the output), and the error measured by Pillow in C instead of numpy (0.7 ms
    against ~5): 10 ms in all, where it took 16.
    """
    fast_octree = getattr(getattr(Image, "Quantize", None), "FASTOCTREE", None)
    if fast_octree is None:  # Pillow < 9.1: no preview, the exact PNG
        return None
    with Image.open(io.BytesIO(png_bytes)) as image:
        exact = image.convert("RGBA")
    quantized = exact.quantize(256, method=fast_octree)
    out = io.BytesIO()
    quantized.save(out, format="PNG", compress_level=PREVIEW_DEFLATE_LEVEL)
    small = out.getvalue()
    if len(small) > PREVIEW_SHARE * len(png_bytes):
        return None
    difference = ImageChops.difference(quantized.convert("RGBA"), exact)
    mean_error = sum(ImageStat.Stat(difference).mean) / len(difference.getbands())
    return small if mean_error <= PREVIEW_MEAN_ERROR else None
