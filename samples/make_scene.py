"""Writes samples/scene.png: a synthetic 64×64 grey scene (sky, sun, house, road) for the
image examples. Run from the repository root: python samples/make_scene.py

Drawn from arithmetic only, so it is the same on every machine; tests/test_images.py
checks that the committed file is what this script draws.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def scene() -> np.ndarray:
    """The scene's pixels, uint8 [64][64]."""
    y, x = np.mgrid[0:64, 0:64]
    image = 150 + y  # a sky that darkens towards the horizon
    image = np.where((x - 48) ** 2 + (y - 14) ** 2 <= 49, 250, image)  # the sun
    image = np.where((y >= 44), 70, image)  # the ground
    image = np.where((y >= 52) & (y < 56), 200, image)  # a road
    image = np.where((x >= 10) & (x < 30) & (y >= 28) & (y < 44), 110, image)  # a house
    roof = (y >= 16) & (y < 28) & (np.abs(x - 20) <= (y - 16) + 1)
    image = np.where(roof, 40, image)
    image = np.where((x >= 17) & (x < 23) & (y >= 34) & (y < 44), 20, image)  # its door
    return image.astype(np.uint8)


def main() -> None:
    from PIL import Image

    target = Path(__file__).with_name("scene.png")
    Image.fromarray(scene(), "L").save(target, optimize=True)


if __name__ == "__main__":
    main()
