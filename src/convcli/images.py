"""Images as matrices and matrices as images (Pillow, the optional ``convcli[image]``).

Reading: a grey image is a 2-D ``[H][W]`` matrix, a colour one ``[3][H][W]`` (R, G, B;
an alpha channel is dropped, a palette expanded), turned upright by its EXIF orientation
as image viewers show it; images over 4096×4096 pixels are refused from their header.
``--grey`` converts colour to grey with Pillow's ITU-R 601-2 luma,
``L = R·299/1000 + G·587/1000 + B·114/1000``. Pixels are integers (0–255, or 0–65535
for 16-bit images); float TIFFs are float64.

Writing: a 2-D result (or ``[1][H][W]``) is a grey image, ``[3][H][W]`` a colour one.
Values become pixels by ``scale``: ``clip`` (rounded to the nearest integer, halves to
even, then clipped to 0…255, or 0…65535 with 16 bits), ``normalize`` (the smallest value
to 0 and the largest to the top, linearly; a constant result is all 0) or ``abs`` (the
magnitude, then clipped: edges of both signs show). PNG is the only format with 16-bit
grey here; 16 bits in colour are refused (Pillow writes no 48-bit RGB).
"""

from __future__ import annotations

import io
import os
from contextvars import ContextVar
from fractions import Fraction
from typing import Any

import numpy as np

from convcli.errors import ConvError, LimitError, ParseError
from convcli.numbers import Array

MAX_PIXELS = 4096 * 4096  # larger images are refused from their header, before decoding
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif")
SCALES = ("clip", "normalize", "abs")

# ``--grey`` on the command line: the readers are reached through the matrix sources,
# several calls below the command, so the choice travels with the run, not as arguments.
GREY: ContextVar[bool] = ContextVar("convcli_grey", default=False)


def is_image(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in IMAGE_EXTENSIONS


def _pillow(what: str) -> Any:
    from convcli.raster import pillow

    return pillow(what)


def read_image(data: bytes, label: str, *, grey: bool | None = None) -> Array:
    """The pixels of an image file's bytes as an int64 (or float64) array."""
    pil = _pillow(f"{label}: reading an image")
    import warnings

    import PIL.ImageOps

    too_large = f"images of up to {MAX_PIXELS:,} pixels (4096×4096) are read"
    with warnings.catch_warnings():
        # Pillow warns of a very large image as it opens it: refuse it instead
        warnings.simplefilter("error", pil.Image.DecompressionBombWarning)
        try:
            with pil.Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    msg = f"{label}: a {width}×{height} image; {too_large}"
                    raise LimitError(msg)
                image.load()
                upright = PIL.ImageOps.exif_transpose(image)  # as image viewers show it
                return _pixels(pil, upright, GREY.get() if grey is None else grey)
        except (pil.Image.DecompressionBombError, pil.Image.DecompressionBombWarning):
            msg = f"{label}: an image too large to read; {too_large}"
            raise LimitError(msg) from None
        except (OSError, ValueError, SyntaxError) as error:  # Pillow's "not an image"
            msg = f"{label}: not a readable image ({error})"
            raise ParseError(msg) from None


def _pixels(pil: Any, image: Any, grey: bool) -> Array:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.int64)
        return array
    if mode == "F":
        return np.asarray(image, dtype=np.float64)
    if mode in ("1", "L", "LA") or (mode == "P" and grey):
        return np.asarray(image.convert("L"), dtype=np.int64)
    rgb = image.convert("RGB")
    if grey:
        return np.asarray(rgb.convert("L"), dtype=np.int64)
    return np.moveaxis(np.asarray(rgb, dtype=np.int64), -1, 0).copy()


def scaled(matrix: Array, scale: str, bits: int) -> Any:
    """``matrix`` as unsigned pixels of ``bits`` bits (uint8 or uint16)."""
    top = (1 << bits) - 1
    values = np.asarray(matrix)
    if values.dtype == object:  # exact ints and fractions: rounded exactly
        values = np.vectorize(lambda v: round(v), otypes=[object])(values)
        if scale == "normalize":
            low, high = min(values.flat), max(values.flat)
            values = np.vectorize(
                lambda v: 0 if high == low else round(Fraction(v - low) * top / (high - low)),
                otypes=[object],
            )(np.asarray(matrix))
        elif scale == "abs":
            values = np.vectorize(abs, otypes=[object])(values)
        values = np.vectorize(lambda v: min(max(int(v), 0), top), otypes=[np.int64])(values)
    else:
        data = values.astype(np.float64)
        if not np.isfinite(data).all():
            msg = "the result has NaN or infinite values, which no image can hold"
            raise ConvError(msg, hint="write it as .npy, .csv or .json instead")
        if scale == "normalize":
            low, high = float(data.min()), float(data.max())
            data = np.zeros_like(data) if high == low else (data - low) * top / (high - low)
        elif scale == "abs":
            data = np.abs(data)
        values = np.clip(np.rint(data), 0, top)
    return values.astype(np.uint16 if bits == 16 else np.uint8)


def write_image(matrix: Array, path: str, *, scale: str = "clip", bits: int = 8) -> bytes:
    """The bytes of ``matrix`` as an image in the format of ``path``'s extension."""
    pil = _pillow(f"writing {os.path.basename(path)}")
    array = np.asarray(matrix)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 3 and array.shape[0] != 3:
        msg = (
            f"an image holds 1 (grey) or 3 (RGB) channels, and the result has "
            f"{array.shape[0]}; write it as .npy, .csv or .json"
        )
        raise ConvError(msg)
    if array.ndim not in (2, 3):
        msg = f"an image is 2-D (grey) or [3][H][W] (RGB), and the result is {array.ndim}-D"
        raise ConvError(msg)
    extension = os.path.splitext(path)[1].lower()
    if bits == 16 and (extension != ".png" or array.ndim == 3):
        msg = "--bits 16 writes grey PNG only"
        raise ConvError(msg, hint="write a .png of a one-channel result, or use --bits 8")
    pixels = scaled(array, scale, bits)
    if pixels.ndim == 3:
        image = pil.Image.fromarray(np.ascontiguousarray(np.moveaxis(pixels, 0, -1)), "RGB")
    elif bits == 16:
        image = pil.Image.fromarray(pixels.astype(np.uint16))
    else:
        image = pil.Image.fromarray(pixels, "L")
    buffer = io.BytesIO()
    kind = {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}.get(
        extension, extension[1:].upper()
    )
    try:
        image.save(buffer, format=kind)
    except (KeyError, OSError, ValueError) as error:
        msg = f"cannot write {os.path.basename(path)} as an image: {error}"
        raise ConvError(msg) from None
    return buffer.getvalue()
