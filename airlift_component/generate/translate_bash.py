"""BashOperator → a Dagster asset running the same command through Dagster Pipes.

The command is run by ``bash -c`` as Airflow runs it: rendered with the
Airflow run's template values, ``env`` replacing the environment unless
``append_env``, the ``AIRFLOW_CTX_*`` variables added, in ``cwd`` or else a
fresh temporary folder, standard error merged into standard output. The last
output line is the task's XCom (``do_xcom_push``). An exit code in
``skip_on_exit_code`` (default 99), which makes Airflow skip the task, fails the
Dagster step with a message saying so: Dagster has no skipped state for it.
"""

from __future__ import annotations

from airlift_component.generate.operator_args import literal, operator_kwargs
from airlift_component.generate.refusals import Refusal
from airlift_component.generate.template_check import check_template, is_template
from airlift_component.generate.translation import TaskInput, Translation

OPERATORS = ("BashOperator",)
_KNOWN = frozenset(
    {
        "bash_command",
        "env",
        "append_env",
        "cwd",
        "skip_on_exit_code",
        "output_encoding",
        "do_xcom_push",
    }
)
#: Airflow reads a command ending with one of these as the path of a template file.
_TEMPLATE_EXT = (".sh", ".bash")


def translate(task: TaskInput) -> Translation:
    """The asset code of a BashOperator task; :class:`Refusal` when not faithful."""
    site = task.site
    args = operator_kwargs(site, _KNOWN)
    if "bash_command" not in args:
        raise Refusal("bash_command is missing", site.line)
    command = literal(site, args["bash_command"], "bash_command")
    line = args["bash_command"].lineno
    if not isinstance(command, str):
        raise Refusal("bash_command is not a string", line)
    if command.strip().endswith(_TEMPLATE_EXT):
        raise Refusal(
            "bash_command names a script file (a Jinja template file); not supported", line
        )
    check_template(command, line)
    env = literal(site, args["env"], "env") if "env" in args else None
    if env is not None:
        if not isinstance(env, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in env.items()
        ):
            raise Refusal("argument env= is not a dict of strings", args["env"].lineno)
        for value in env.values():
            if is_template(value):
                check_template(value, args["env"].lineno)
    cwd = literal(site, args["cwd"], "cwd") if "cwd" in args else None
    if cwd is not None and not isinstance(cwd, str):
        raise Refusal("argument cwd= is not a string", args["cwd"].lineno)
    if cwd is not None and is_template(cwd):
        check_template(cwd, args["cwd"].lineno)
    skip = (
        literal(site, args["skip_on_exit_code"], "skip_on_exit_code")
        if "skip_on_exit_code" in args
        else 99
    )
    codes = [] if skip is None else [skip] if isinstance(skip, int) else list(skip)
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
        raise Refusal("argument skip_on_exit_code= is not an int or list of ints", site.line)
    append_env = literal(site, args["append_env"], "append_env") if "append_env" in args else False
    encoding = (
        literal(site, args["output_encoding"], "output_encoding")
        if "output_encoding" in args
        else "utf-8"
    )
    push = literal(site, args["do_xcom_push"], "do_xcom_push") if "do_xcom_push" in args else True

    prelude = [
        f"BASH_COMMAND = {command!r}",
        f"ENV: dict[str, str] | None = {env!r}",
        f"APPEND_ENV = {bool(append_env)!r}",
        f"CWD: str | None = {cwd!r}",
        f"SKIP_ON_EXIT_CODE = {codes!r}",
        f"OUTPUT_ENCODING = {encoding!r}",
    ]
    body = [
        "completed = dg.PipesSubprocessClient().run(",
        "    context=context,",
        '    command=[sys.executable, "-m", "airlift_component.generate.runtime.bash_step"],',
        "    extras={",
        '        "command": run.render(BASH_COMMAND),',
        '        "env": None if ENV is None else run.render_nested(ENV),',
        '        "append_env": APPEND_ENV,',
        '        "cwd": None if CWD is None else run.render(CWD),',
        '        "skip_on_exit_code": SKIP_ON_EXIT_CODE,',
        '        "output_encoding": OUTPUT_ENCODING,',
        '        "airflow_env": run.airflow_env(),',
        "    },",
        ")",
        "outcome = completed.get_custom_messages()[-1]",
        'if outcome.get("skipped") is not None:',
        "    raise dg.Failure(",
        "        f\"exit code {outcome['skipped']} is in skip_on_exit_code: Airflow would \"",
        '        "mark the task skipped; a Dagster run has no skipped state, so it fails"',
        "    )",
    ]
    if push:
        body.append('value = outcome.get("last_line")')
    return Translation(
        "bash",
        imports={"import sys"},
        prelude=prelude,
        body=body,
        hands_back=bool(push),
    )
