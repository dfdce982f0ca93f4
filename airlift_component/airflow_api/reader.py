"""Reading typed values out of Airflow's JSON answers, one record or every page.

A malformed answer (a missing list, a record without its id, a date that is
not a date) becomes an :class:`~airlift_component.errors.AirflowApiError` that
names the instance, method and path and suggests checking the API version.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from airlift_component.airflow_api import diagnostics
from airlift_component.airflow_api.endpoints import PAGE_SIZE
from airlift_component.airflow_api.pagination import collect_pages
from airlift_component.airflow_api.transport import RestSession, TimeBudget
from airlift_component.errors import AirflowApiError

T = TypeVar("T")
Parser = Callable[[Any], T]


class JsonReader:
    """Sends requests through a :class:`RestSession` and parses what comes back.

    ``explain_not_found``, when given, may replace the error of a request answered
    404 by one that says better why (the client checks for an API version that moved);
    ``budget``, when given, bounds every request sent (see :class:`TimeBudget`).
    """

    def __init__(
        self,
        session: RestSession,
        explain_not_found: Callable[[AirflowApiError], AirflowApiError] | None = None,
        budget: TimeBudget | None = None,
    ) -> None:
        self.session = session
        self.explain_not_found = explain_not_found
        self.budget = budget

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON of one request."""
        try:
            return self.session.get_json(method, path, budget=self.budget, **kwargs)
        except AirflowApiError as exc:
            if exc.status != 404 or self.explain_not_found is None:
                raise
            better = self.explain_not_found(exc)
            if better is exc:
                raise
            raise better from None

    def parse_one(self, method: str, path: str, body: Any, parser: Parser[T]) -> T:
        """``parser(body)``, with shape problems reported against ``method path``."""
        try:
            return parser(body)
        except (ValueError, TypeError, AttributeError) as exc:
            raise diagnostics.shape_error(self.session.instance, method, path, str(exc)) from None

    def one(self, method: str, path: str, parser: Parser[T], **kwargs: Any) -> T:
        """One object, e.g. ``GET /dags/{dag_id}``."""
        return self.parse_one(method, path, self.call(method, path, **kwargs), parser)

    def page(
        self, method: str, path: str, field: str, parser: Parser[T], **kwargs: Any
    ) -> tuple[list[T], int | None]:
        """The records under ``field`` of one answer and its ``total_entries``."""
        body = self.call(method, path, **kwargs)
        if not isinstance(body, dict) or not isinstance(body.get(field), list):
            raise diagnostics.shape_error(self.session.instance, method, path, f"no '{field}' list")
        records = [self.parse_one(method, path, record, parser) for record in body[field]]
        total = body.get("total_entries")
        return records, total if isinstance(total, int) else None

    def all_pages(
        self,
        method: str,
        path: str,
        field: str,
        parser: Parser[T],
        *,
        request: Callable[[int, int], Mapping[str, Any]],
        key: Callable[[T], Hashable],
        page_size: int = PAGE_SIZE,
    ) -> list[T]:
        """Every record of a paged collection; ``request(offset, limit)`` gives the
        keyword arguments (``params=`` or ``json=``) of each page's request."""

        def fetch(offset: int, limit: int) -> tuple[list[T], int | None]:
            return self.page(method, path, field, parser, **request(offset, limit))

        return collect_pages(fetch, page_size=page_size, key=key)
