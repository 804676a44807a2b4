"""Every user-facing failure is a :class:`ConvError`, whose message a user can act on."""

from __future__ import annotations


class ConvError(Exception):
    """A failure caused by the user's data or parameters (exit status 1 on the command line)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ParseError(ConvError):
    """A matrix or number could not be read; the message names the source and the place."""


class ShapeError(ConvError):
    """Shapes or parameters do not fit together (channels, kernel size, output size)."""


class ParameterError(ConvError):
    """A parameter value (stride, padding, dilation, groups, bias, ...) is not allowed.

    ``option`` names the command-line option it came from, when one did: the command line
    then reports a usage error against that option.
    """

    def __init__(self, message: str, hint: str | None = None, *, option: str | None = None):
        super().__init__(message, hint)
        self.option = option


class LimitError(ConvError):
    """The work or the result would exceed a documented resource limit."""
