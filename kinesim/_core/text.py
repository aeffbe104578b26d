"""Text as the wire carries it: UTF-8. A Python str can hold what UTF-8 cannot (lone surrogates,
e.g. ``"\\ud800"``); every str kinesim sends on as bytes goes through :func:`utf8`, so such text is
refused with a clear error instead of escaping as a raw ``UnicodeEncodeError``."""

from __future__ import annotations

from kinesim._errors import KinesimValueError

__all__ = ["not_utf8_reason", "shown", "utf8"]


def not_utf8_reason(text: str) -> str | None:
    """Why ``text`` cannot be encoded as UTF-8, or None if it can."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"it holds a lone surrogate {text[exc.start]!a} at index {exc.start}, "
            "which UTF-8 cannot encode"
        )
    return None


def shown(text: str, width: int = 40) -> str:
    """``text`` printable in any terminal (surrogates escaped) and clipped to ``width``."""
    quoted = ascii(text)
    return quoted if len(quoted) <= width else quoted[: width - 3] + "..."


def utf8(text: str, what: str) -> bytes:
    """``text`` encoded as UTF-8, or :class:`~kinesim.KinesimValueError` naming ``what``."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise KinesimValueError(
            f"{what}={shown(text)} cannot be sent: {not_utf8_reason(text)}. AWS carries text "
            "as UTF-8; pass valid Unicode text (or bytes where the member is a blob)"
        ) from None
