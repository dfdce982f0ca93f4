"""``AirflowInstance(...)`` and its auth backend as an airlift.yaml instance.

Basic auth, a bearer token, MWAA and your own ``AirflowAuthBackend`` subclass
are translated. Secrets are never written: a password or token the module reads
from the environment becomes that ``${VAR}``, any other (a literal, a value
computed at run time) a :class:`~.result.Secret` the renderer names.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from airlift_component.import_python.result import ImportResult, Secret
from airlift_component.import_python.symbols import Scope, api_name
from airlift_component.import_python.values import EnvRef, Unknown, evaluate, keyword

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SECRET_OPTION = re.compile(r"pass|secret|token|key|credential|auth|cookie|session", re.IGNORECASE)


class InstanceReader:
    """Reads ``AirflowInstance`` expressions of one module into instance data."""

    def __init__(self, scope: Scope, result: ImportResult) -> None:
        self.scope = scope
        self.result = result

    def call_of(self, node: ast.expr) -> ast.Call | None:
        """The ``AirflowInstance(...)`` call ``node`` is, or names at module level."""
        for _ in range(10):
            if isinstance(node, ast.Name) and node.id in self.scope.assigns:
                node = self.scope.assigns[node.id]
                continue
            break
        if (
            isinstance(node, ast.Call)
            and api_name(self.scope.dotted(node.func)) == "AirflowInstance"
        ):
            return node
        return None

    def read(self, call: ast.Call) -> tuple[str, dict[str, Any]]:
        """The instance's name and its data (``name``, ``url``, ``auth``)."""
        name = self._name(call)
        backend = keyword(call, "auth_backend", 0)
        url: Any
        if backend is None:
            self.result.note(call.lineno, "AirflowInstance(...) without auth_backend; auth: none")
            url, auth = self._url(None, call.lineno, name), {"type": "none"}
        else:
            url, auth = self._backend(backend, name)
        return name, {"name": name, "url": url, "auth": auth}

    def _name(self, call: ast.Call) -> str:
        node = keyword(call, "name", 1)
        try:
            value = evaluate(node, self.scope) if node is not None else None
        except Unknown as exc:
            self.result.note(
                exc.line or call.lineno,
                f"instance name not translated: {exc.reason}; written as 'airflow'",
            )
            return "airflow"
        if not isinstance(value, str) or not value:
            self.result.note(
                call.lineno, "AirflowInstance(...) without a literal name; written as 'airflow'"
            )
            return "airflow"
        fixed = re.sub(r"[^a-z0-9_]", "_", value.lower())
        fixed = fixed if re.match(r"^[a-z]", fixed) else f"airflow_{fixed}"
        if fixed != value:
            self.result.note(
                call.lineno,
                f"instance name {value!r} is not an airlift instance name ([a-z][a-z0-9_]*); "
                f"written as {fixed!r}: its DAG assets' keys change from {value}/dag/... to "
                f"{fixed}/dag/..., so checks and deps on them must follow",
            )
        return fixed

    def _backend(self, node: ast.expr, name: str) -> tuple[Any, dict[str, Any]]:
        for _ in range(10):
            if not (isinstance(node, ast.Name) and node.id in self.scope.assigns):
                break
            node = self.scope.assigns[node.id]
        line = getattr(node, "lineno", 0)
        if not isinstance(node, ast.Call):
            self.result.note(line, "auth backend not translated: not a constructor call here")
            return self._url(None, line, name), {"type": "none"}
        kind = api_name(self.scope.dotted(node.func))
        if kind == "AirflowBasicAuthBackend":
            user = self._plain(keyword(node, "username", 1), "username", line, name)
            password = self._secret(keyword(node, "password", 2), "password")
            auth = {"type": "basic", "username": user, "password": password}
            return self._url(keyword(node, "webserver_url", 0), line, name), auth
        if kind == "AirflowBearerTokenBackend":
            auth = {"type": "token", "token": self._secret(keyword(node, "token", 1), "token")}
            return self._url(keyword(node, "webserver_url", 0), line, name), auth
        if kind in ("MwaaSessionAuthBackend", "from_profile"):
            return self._mwaa(node, line, name)
        return self._custom(node, line, name)

    def _url(self, node: ast.expr | None, line: int, name: str) -> Any:
        value: Any = None
        if node is not None:
            try:
                value = evaluate(node, self.scope)
            except Unknown as exc:
                self.result.note(
                    line,
                    f"webserver URL not translated: {exc.reason}; "
                    "set the placeholder's variable to the URL, or write it",
                )
        if isinstance(value, EnvRef):
            return f"${{{value.name}}}"
        if isinstance(value, str) and re.match(r"^https?://[^\s/?#@]+(/[^\s?#]*)?$", value):
            return value.rstrip("/")
        if isinstance(value, str):
            self.result.note(
                line,
                "webserver URL is not a plain http(s) URL without user:password@; "
                "set the placeholder's variable to it",
            )
        return Secret("url")

    def _plain(self, node: ast.expr | None, what: str, line: int, name: str) -> Any:
        try:
            value = evaluate(node, self.scope) if node is not None else None
        except Unknown as exc:
            self.result.note(
                line, f"{what} not translated: {exc.reason}; set the placeholder's variable"
            )
            return Secret(what)
        if isinstance(value, EnvRef):
            return f"${{{value.name}}}"
        if isinstance(value, str) and value:
            return value
        return Secret(what)

    def _secret(self, node: ast.expr | None, what: str) -> Secret:
        try:
            value = evaluate(node, self.scope) if node is not None else None
        except Unknown:
            value = None
        return Secret(what, value.name if isinstance(value, EnvRef) else None)

    def _mwaa(self, call: ast.Call, line: int, name: str) -> tuple[Any, dict[str, Any]]:
        auth: dict[str, Any] = {"type": "mwaa"}
        region = profile = None
        if api_name(self.scope.dotted(call.func)) == "from_profile":
            env_node = keyword(call, "env_name", 1)
            region, profile = keyword(call, "region", 0), keyword(call, "profile_name", 2)
        else:
            env_node = keyword(call, "env_name", 1)
            client = keyword(call, "mwaa_client", 0)
            region, profile = self._boto_settings(client)
        for field, node in (
            ("environment_name", env_node),
            ("region", region),
            ("profile", profile),
        ):
            if node is None:
                continue
            value = self._plain(node, field, line, name)
            if isinstance(value, str) or field == "environment_name":
                auth[field] = value
        if "environment_name" not in auth:
            auth["environment_name"] = Secret("environment_name")
        self.result.note(
            line,
            "MWAA: dagster-airlift asks boto3 for the web server's host name; airlift.yaml needs "
            "it as url: set the placeholder's variable to https://<WebServerHostname>",
        )
        return Secret("url"), auth

    def _boto_settings(self, client: ast.expr | None) -> tuple[ast.expr | None, ast.expr | None]:
        """``region_name`` / ``profile_name`` of ``boto3.client(...)`` or ``Session(...).client``."""
        for _ in range(5):
            if not (isinstance(client, ast.Name) and client.id in self.scope.assigns):
                break
            client = self.scope.assigns[client.id]
        if not isinstance(client, ast.Call):
            return None, None
        region = keyword(client, "region_name")
        profile = None
        func = client.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            session = func.value
            region = region or keyword(session, "region_name")
            profile = keyword(session, "profile_name")
        return region, profile

    def _custom(self, call: ast.Call, line: int, name: str) -> tuple[Any, dict[str, Any]]:
        dotted = self.scope.dotted(call.func) or ""
        module, _, cls = dotted.rpartition(".")
        class_def = self.scope.classes.get(cls) if module == self.scope.source.module else None
        if not module or not re.match(r"^[A-Za-z_][\w.]*$", module):
            self.result.note(line, "auth backend not translated: a class this module does not name")
            return Secret("url"), {"type": "none"}
        options: dict[str, Any] = {}
        url_node = keyword(call, "webserver_url")
        for kw in call.keywords:
            if kw.arg is None or kw.arg == "webserver_url":
                continue
            if _SECRET_OPTION.search(kw.arg):
                options[kw.arg] = self._secret(kw.value, kw.arg)
            else:
                options[kw.arg] = self._plain(kw.value, kw.arg, line, name)
        if call.args:
            self.result.note(
                line,
                f"{cls}(...): positional arguments not translated; pass them as keywords in options:",
            )
        if url_node is None and class_def is not None:
            url_node = _returned_by(class_def, "get_webserver_url")
        has_headers = class_def is not None and any(
            isinstance(n, ast.FunctionDef) and n.name == "auth_headers" for n in class_def.body
        )
        if not has_headers:
            self.result.note(
                line,
                f"custom auth {cls}: airlift builds {module}:{cls}(**options) and needs an "
                "auth_headers() method (or an httpx.Auth) instead of dagster-airlift's "
                "get_session(); add one (see docs/auth.md)",
            )
        auth: dict[str, Any] = {"type": "custom", "class": f"{module}:{cls}"}
        if options:
            auth["options"] = options
        return self._url(url_node, line, name), auth


def _returned_by(class_def: ast.ClassDef, method: str) -> ast.expr | None:
    for node in class_def.body:
        if isinstance(node, ast.FunctionDef) and node.name == method:
            returns = [n for n in ast.walk(node) if isinstance(n, ast.Return) and n.value]
            if len(returns) == 1:
                return returns[0].value
    return None
