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


def redact_uri(uri: str) -> str:
    """An Airflow asset URI without the ``user:password@`` of its authority.

    Only a real authority's userinfo goes: the text between ``://`` and the first
    ``/``, ``?`` or ``#``, up to its last ``@`` (how Airflow itself reads an asset
    URI). An ``@`` further on is part of the path or query
    (``gs://lake/users/alice@example.com/orders.csv``) and stays. When the authority
    cannot be a host and port (``user:pa`` before ``/ss@host``: a password holding
    ``/``, ``?`` or ``#``), all up to the last ``@`` goes, as :func:`redact_url` does.
    A password whose first ``/``-separated piece is all digits reads as a port
    (``user:123/abc@host``): Airflow reads it so too, and it is kept; percent-encode
    such a password.
    """
    scheme, sep, rest = uri.partition("://")
    if not sep or "@" not in rest:
        return uri
    end = next((n for n, char in enumerate(rest) if char in "/?#"), len(rest))
    authority = rest[:end]
    if "@" in authority:
        return f"{scheme}://{authority.rpartition('@')[2]}{rest[end:]}"
    if not _host_and_port(authority):
        return redact_url(uri)
    return uri


def _host_and_port(authority: str) -> bool:
    """True when ``authority`` (no ``@``) reads as a host with an optional numeric port."""
    host, colon, port = authority.rpartition(":") if not authority.endswith("]") else ("", "", "")
    if not colon:
        return True
    if host.startswith("[") and not host.endswith("]"):
        return False
    return port.isdigit()


_URL_START = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")
_WHITESPACE = re.compile(r"\s")


def scrub_userinfo(text: str) -> str:
    """``text`` (an error message, a log line, an event's ``extra``) with the
    ``user:password@`` part of every URL in it removed.

    A URL runs from its ``scheme://`` to the next whitespace, and each goes through
    :func:`redact_url`: a password may hold ``/``, ``?``, ``#``, ``@``, quotes or
    anything else but whitespace (which a URL in running text cannot hold). When
    the parse is in doubt all up to the URL's last ``@`` goes, so a URL with an
    ``@`` in its path may be shown shorter than it is; a secret is never shown.
    """
    if "@" not in text:
        return text
    parts: list[str] = []
    done = 0
    for match in _URL_START.finditer(text):
        start = match.start()
        if start < done:
            continue
        space = _WHITESPACE.search(text, match.end())
        end = space.start() if space else len(text)
        parts += [text[done:start], redact_url(text[start:end])]
        done = end
    parts.append(text[done:])
    return "".join(parts)
