"""Each encoder round-trips a frame: PNG exactly, JPEG closely."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ipyanimagic.frames.encode import JPEG_ENCODERS, encode


@pytest.fixture
def frame():
    """A smooth, photo-like frame (an imshow), where JPEG pays."""
    y, x = np.mgrid[0:96, 0:128]
    rgba = np.empty((96, 128, 4), np.uint8)
    rgba[..., 0] = 127 + 120 * np.sin(x / 9.0)
    rgba[..., 1] = 127 + 120 * np.cos(y / 7.0)
    rgba[..., 2] = (x + y) % 256
    rgba[..., 3] = 255
    return rgba


def decode(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA")).astype(int)


def test_png_is_lossless(frame):
    assert (decode(encode(frame, "png")) == frame).all()


def test_simplejpeg_is_installed_for_the_tests():
    # The optional encoder is in the test extra, so its path below is really exercised.
    assert JPEG_ENCODERS[0] == "simplejpeg"


@pytest.mark.parametrize("encoder", ["pillow", "simplejpeg"])
def test_jpeg_is_close_and_compressed(frame, encoder):
    data = encode(frame, "jpeg", 85, jpeg_encoder=encoder)
    assert data[:2] == b"\xff\xd8"
    assert np.abs(decode(data)[..., :3] - frame[..., :3]).mean() < 4
    assert len(data) < frame.nbytes / 4


def test_an_unknown_format_is_refused(frame):
    with pytest.raises(ValueError, match="gif"):
        encode(frame, "gif")


def test_png_keeps_transparency_and_every_value_exactly():
    rng = np.random.default_rng(7)
    rgba = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)  # odd sizes, any alpha
    assert (decode(encode(rgba, "png")) == rgba).all()
    view = rgba[::2, 1:]  # not contiguous: encoded as it looks
    assert (decode(encode(view, "png")) == view).all()


def test_png_of_a_figure_is_small(frame):
    flat = np.zeros((480, 640, 4), np.uint8)
    flat[..., :3], flat[..., 3] = 255, 255
    flat[100:110, :, :3] = (31, 119, 180)  # a line across a white figure
    assert len(encode(flat, "png")) < 10_000
