"""convcli: a command-line calculator for convolution arithmetic.

The Python API mirrors the command line and never imports Typer or Rich:

>>> from convcli import conv2d
>>> conv2d([[1, 2, 0], [0, 1, 3], [2, 2, 1]], [[1, 0], [0, 1]]).tolist()
[[2, 5], [2, 2]]

The names are loaded lazily so that ``convcli --help`` and ``convcli shape``
never pay for importing numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from convcli.core import (
        conv1d,
        conv2d,
        conv3d,
        conv_transpose1d,
        conv_transpose2d,
        conv_transpose3d,
    )
    from convcli.errors import ConvError
    from convcli.pooling import pool1d, pool2d, pool3d
    from convcli.shape import output_size

_LAZY = {
    "conv1d": "convcli.core",
    "conv2d": "convcli.core",
    "conv3d": "convcli.core",
    "conv_transpose1d": "convcli.core",
    "conv_transpose2d": "convcli.core",
    "conv_transpose3d": "convcli.core",
    "pool1d": "convcli.pooling",
    "pool2d": "convcli.pooling",
    "pool3d": "convcli.pooling",
    "ConvError": "convcli.errors",
    "output_size": "convcli.shape",
}

__all__ = [
    "ConvError",
    "__version__",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "output_size",
    "pool1d",
    "pool2d",
    "pool3d",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'convcli' has no attribute {name!r}"
        raise AttributeError(msg)
    import importlib

    return getattr(importlib.import_module(module), name)
