"""Keeping the Dagster URL's ``user:password@`` out of everything the Airflow side shows.

The one place the Airflow side redacts: every exception it raises into the task
log, every log line of a proxied run, every URL it stores or shows goes through
:func:`redact` (built on :mod:`airlift_component.redact`, which imports neither
Dagster nor Airflow). Two things make that hold for any password:

- :func:`check_userinfo` refuses a URL whose userinfo is not percent-encoded
  before an HTTP client parses it: a password with ``/``, ``#``, ``?``, ``@`` or
  a space would otherwise be read as the host, port or path, and the client's
  error (``Invalid port: 'ab'``) would quote a piece of it;
- :func:`redact` removes every spelling of the known URL's userinfo and password
  (raw, percent-encoded, decoded) wherever it appears in a text, and the
  userinfo of any other URL written in it.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, unquote

from airlift_component.errors import AirliftError
from airlift_component.redact import redact_url, scrub_userinfo, userinfo_is_encoded

__all__ = ["RedactingLog", "UnsafeUrlError", "check_userinfo", "redact", "redact_url"]

#: Shorter spellings are not searched for in free text: they would blank out words.
_MIN_SECRET = 4
_HIDDEN = "***"


class UnsafeUrlError(AirliftError, ValueError):
    """A URL's ``user:password@`` part is not percent-encoded (the message never shows it)."""


def _userinfo(url: str) -> str | None:
    """Everything between ``scheme://`` and the URL's last ``@`` (``None`` without one):
    the most a password may span, whatever characters it holds."""
    _, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return None
    return rest.rsplit("@", 1)[0]


def check_userinfo(url: str, where: str) -> str:
    """``url``, once its ``user:password@`` part (if any) is known to be percent-encoded
    as RFC 3986 asks (:func:`airlift_component.redact.userinfo_is_encoded`); else
    :class:`UnsafeUrlError` naming ``where`` the URL comes from and the URL without
    its userinfo."""
    if userinfo_is_encoded(url):
        return url
    raise UnsafeUrlError(
        f"the Dagster URL {redact_url(url)} ({where}) has a user:password@ part that is not "
        "percent-encoded (not shown here): percent-encode the user and the password, e.g. "
        "'/' as %2F, '@' as %40, '#' as %23, '?' as %3F, '%' as %25 and a space as %20 "
        "(urllib.parse.quote(password, safe='')), or send credentials from "
        "get_dagster_session instead; an '@' in the path is written %40"
    )


def _secrets(url: str | None) -> list[str]:
    info = _userinfo(url) if url else None
    if not info:
        return []
    password = info.partition(":")[2]
    spellings = set()
    for secret in (info, password):
        spellings |= {secret, unquote(secret), quote(secret, safe=""), quote(unquote(secret))}
    return sorted((s for s in spellings if len(s) >= _MIN_SECRET), key=len, reverse=True)


def redact(text: str, url: str | None = None) -> str:
    """``text`` without any URL userinfo: every spelling of ``url``'s userinfo and
    password wherever it appears, and the ``user:password@`` of any URL written in it."""
    for secret in _secrets(url):
        text = text.replace(secret, _HIDDEN)
    return scrub_userinfo(text)


class RedactingLog:
    """A logger that passes each line through :func:`redact` first (for the log of a
    proxied run, which names Dagster's answers and URLs)."""

    def __init__(self, log: Any, url: str | None) -> None:
        self._log = log
        self._url = url

    def _emit(self, level: int, msg: object, args: tuple[Any, ...]) -> None:
        text = str(msg) % args if args else str(msg)
        name = logging.getLevelName(level).lower()
        getattr(self._log, name)("%s", redact(text, self._url))

    def debug(self, msg: object, *args: Any) -> None:
        self._emit(logging.DEBUG, msg, args)

    def info(self, msg: object, *args: Any) -> None:
        self._emit(logging.INFO, msg, args)

    def warning(self, msg: object, *args: Any) -> None:
        self._emit(logging.WARNING, msg, args)

    def error(self, msg: object, *args: Any) -> None:
        self._emit(logging.ERROR, msg, args)
