"""Keeping secrets out of what is shown: URLs without their ``user:password@`` part.

Every URL that is printed, logged, stored in a file or in an asset's metadata,
or put in an exception goes through :func:`redact_url` first.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """``url`` without any ``user:password@`` part.

    When the parser does not find the userinfo where an ``@`` says there is one (a
    password with ``/``, ``?``, ``#`` or a space in it, or text that is no URL), all
    up to the last ``@`` is dropped: a link shown shorter beats a secret shown.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    try:
        parts = urlsplit(url)
        if "@" in parts.netloc and "@" not in rest[len(parts.netloc) :]:
            host = parts.hostname or ""
            if parts.port is not None:
                host = f"{host}:{parts.port}"
            return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    except ValueError:
        pass
    return f"{scheme}://{rest.rsplit('@', 1)[1]}"


_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]*@")


def scrub_userinfo(text: str) -> str:
    """``text`` (an error message, a log line) with the ``user:password@`` part of every
    URL in it removed."""
    return _USERINFO.sub(r"\g<scheme>", text)
