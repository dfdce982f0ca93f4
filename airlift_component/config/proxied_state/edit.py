"""Flipping ``proxied`` flags in proxied-state files without disturbing anything else.

This is what `airlift proxy on|off` does. The file is read with
:mod:`~airlift_component.config.proxied_state.file` (so an edit accepts exactly the
files `airlift validate` accepts) and then changed the way a person would: only
the characters of each flipped value are rewritten. Comments, key order,
quoting, indentation, blank lines, flow style (``{id: x, proxied: false}``),
CRLF line endings, a byte-order mark and a missing final newline all survive
byte for byte.

Spelling of the new value follows the old one's capitalisation: ``false`` →
``true``, ``False`` → ``True``, ``FALSE`` → ``TRUE``. YAML 1.1 words such as
``yes``/``no``/``on``/``off`` are *not* kept: YAML 1.2 readers (ruamel.yaml,
most editors, Go and JavaScript tools) read them as strings, so a flip writes
the unambiguous ``true``/``false`` in the same capitalisation instead.

The text work is :mod:`~airlift_component.config.yaml.bool_edit`'s. A flip
needs no second read: it changes only the letters of scalars the reader resolved
as booleans, unshared (no alias, no merge key), into the other boolean word in
the same quoting and tag, so it costs one read of the file, however big. A value
that is a boolean but not written as one plain word (``!!bool "f\\x61lse"``) is
refused with its line and the one-line fix; no file in the corpus or the tests is
spelled that way, and a second YAML library's round-trip, which may re-indent the
whole file, is not worth carrying for it.

:func:`set_proxied` adds the file lock and the atomic write around
:func:`plan_edit`, which is a pure function of the file's bytes.
"""

from __future__ import annotations

import codecs
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airlift_component.config.atomic_write import atomic_write_bytes, create_exclusive, locked
from airlift_component.config.ids import DAG_ID_PATTERN, TASK_ID_PATTERN
from airlift_component.config.problems import Problem, one_line
from airlift_component.config.proxied_state.file import SUFFIXES, WHAT, check_document
from airlift_component.config.proxied_state.mapped_assets import MappedAssets
from airlift_component.config.proxied_state.model import ProxiedStateFile
from airlift_component.config.proxied_state.whole_dag_switch import (
    BEGIN,
    SwitchError,
    find_kept_block,
    restore_tasks,
    to_whole_dag,
)
from airlift_component.config.short_list import short_list
from airlift_component.config.yaml.bool_edit import (
    SharedValueError,
    UnusualSpellingError,
    set_bools,
)
from airlift_component.config.yaml.read import (
    MAX_FILE_BYTES,
    YamlDocument,
    YamlLoadError,
    parse_yaml_text,
    read_bytes,
)
from airlift_component.errors import ProxyStateEditError, UsageError

#: Most task ids a refusal lists before it says "and N more".
_LISTED_TASKS = 30


@dataclass(frozen=True)
class EditRequest:
    """What to change: ``tasks`` (task level) or the whole DAG (``tasks=None``)."""

    dag_id: str
    value: bool
    tasks: tuple[str, ...] | None = None
    all_tasks: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(DAG_ID_PATTERN, self.dag_id):
            raise UsageError(
                f"{self.dag_id!r} is not a DAG id (letters, digits, '_', '.' and '-' only)"
            )
        for task in self.tasks or ():
            if not re.fullmatch(TASK_ID_PATTERN, task):
                raise UsageError(
                    f"{task!r} is not a task id (letters, digits, '_', '.' and '-' only; "
                    "a task in a TaskGroup is written group.task)"
                )

    @property
    def dag_level(self) -> bool:
        return self.tasks is None and not self.all_tasks


@dataclass(frozen=True)
class Change:
    """One flag and its value before and after (equal when nothing had to change)."""

    target: str  # a task id, or "" for the DAG-level flag
    before: bool
    after: bool
    line: int

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def describe(self) -> str:
        what = f"task {self.target!r}" if self.target else "DAG-level flag"
        if not self.changed:
            return f"{what} is already proxied: {str(self.after).lower()} (unchanged)"
        return f"{what}: proxied {str(self.before).lower()} -> {str(self.after).lower()}"


@dataclass
class EditPlan:
    """The outcome of :func:`plan_edit`: the new bytes and what changed."""

    path: str
    old: bytes
    new: bytes
    changes: list[Change] = field(default_factory=list)
    #: "span" (minimal bytes), "whole-dag" (task list kept in a
    #: comment block), "restore" (kept task list back), "create" or "none"
    method: str = "none"
    note: str = ""  # what else happened, for the user

    @property
    def changed(self) -> bool:
        return self.new != self.old


def _fail(path: str, message: str, *remedies: str) -> ProxyStateEditError:
    text = f"{one_line(path)}: {message}"
    for remedy in remedies:
        text += f"\n  {remedy}"
    return ProxyStateEditError(text + "\n  (the file was not changed)")


def _broken(path: str, problems: Sequence[Problem]) -> ProxyStateEditError:
    listed = "\n".join(f"  {p.format()}" for p in problems)
    shown = one_line(path)
    return ProxyStateEditError(
        f"{shown}: cannot edit a broken proxied-state file; fix these problems first "
        f"(check with: airlift validate {shown}):\n{listed}\n  (the file was not changed)"
    )


def _decode(raw: bytes, path: str) -> tuple[str, bool]:
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        return raw[len(codecs.BOM_UTF8) if bom else 0 :].decode("utf-8"), bom
    except UnicodeDecodeError:
        raise _broken(
            path, [Problem(path, 1, 1, "file is not valid UTF-8", hint="save it as UTF-8")]
        ) from None


def _targets(
    model: ProxiedStateFile, request: EditRequest, path: str, *, kept: bool = False
) -> list[tuple[str, tuple[Any, ...]]]:
    """(target, location of its ``proxied`` value) for every flag the request names."""
    dag = request.dag_id
    verb = "on" if request.value else "off"
    if request.dag_level:
        if model.tasks is not None:  # only "off" gets here: "on" switches to whole-DAG
            ids = " ".join(task.id for task in model.tasks) or "TASK"
            raise _fail(
                path,
                "this file proxies task by task ('tasks:'), so the DAG is not proxied as a "
                "whole and has no DAG-level flag to turn off;",
                f"to roll back every listed task: airlift proxy {verb} {dag} --all",
                f"to roll back some tasks: airlift proxy {verb} {dag} {ids}",
            )
        return [("", ("proxied",))]
    if model.tasks is None:
        task_by_task = (
            f"to go back to the task list kept in the file: airlift proxy off {dag} --dag, "
            "then run this again."
            if kept
            else "to proxy task by task, replace 'proxied:' with a 'tasks:' list "
            "('- id: TASK' / '  proxied: false' per task)."
        )
        raise _fail(
            path,
            f"this file proxies the whole DAG ('proxied: {str(model.proxied).lower()}'), "
            "so it has no tasks to flip;",
            f"to flip the DAG-level flag: airlift proxy {verb} {dag} --dag",
            task_by_task,
        )
    index = {task.id: i for i, task in enumerate(model.tasks)}
    names = list(index) if request.all_tasks else list(dict.fromkeys(request.tasks or ()))
    unknown = [name for name in names if name not in index]
    if unknown:
        listed = short_list(list(index), _LISTED_TASKS) or "(none)"
        remedies = [f"the file lists: {listed}"]
        for name in unknown:
            close = difflib.get_close_matches(name, list(index), n=1)
            if close:
                remedies.append(f"did you mean {close[0]!r} instead of {name!r}?")
        remedies.append(
            "to add a task, append '- id: TASK' / '  proxied: false' under 'tasks:' and run again"
        )
        missing = ", ".join(repr(name) for name in unknown)
        raise _fail(path, f"DAG {dag!r} does not list task(s) {missing};", *remedies)
    return [(name, ("tasks", index[name], "proxied")) for name in names]


def _check(text: str, path: str) -> tuple[ProxiedStateFile, YamlDocument]:
    try:
        doc = parse_yaml_text(text, path, what=WHAT)
    except YamlLoadError as exc:
        raise _broken(path, [exc.problem]) from None
    model, problems = check_document(doc)
    if model is None:
        raise _broken(path, problems)
    return model, doc


def _switch(
    text: str, doc: YamlDocument, model: ProxiedStateFile, request: EditRequest, path: str
) -> tuple[str, EditPlan] | None:
    """``on --dag`` on a task-level file, or ``off --dag`` on a file with a kept task
    list: the new text and the plan; ``None`` for a plain flip of the DAG-level flag."""
    dag = request.dag_id
    try:
        if model.tasks is not None and request.value:
            new_text = to_whole_dag(text, doc.root, True)
            result, new_doc = _check(new_text, path)
            if result.proxied is not True or find_kept_block(new_text) is None:
                raise SwitchError("the result did not read back as intended")
            line = new_doc.position(("proxied",))[0]
            note = (
                f"the task list ({len(model.tasks)} tasks, flags and comments) is kept in a "
                f"comment block; `airlift proxy off {dag} --dag` restores it"
            )
            return new_text, _plan(path, [Change("", False, True, line)], "whole-dag", note)
        if model.tasks is None and not request.value:
            block = find_kept_block(text)
            if block is None:
                return None
            new_text = restore_tasks(text, doc.root, block)
            result, _ = _check(new_text, path)
            if result.tasks is None:
                raise SwitchError("the kept lines do not hold a 'tasks:' list")
            proxied = [task.id for task in result.tasks if task.proxied]
            note = (
                f"restored the task list ({len(result.tasks)} tasks; proxied: "
                f"{', '.join(proxied) or 'none'})"
            )
            change = Change("", bool(model.proxied), False, doc.position(("proxied",))[0])
            return new_text, _plan(path, [change], "restore", note)
    except SwitchError as exc:
        raise _fail(
            path,
            f"cannot switch between task level and whole DAG: {exc};",
            "edit the file by hand (see docs/proxied-state.md, 'Decommissioning').",
        ) from None
    except ProxyStateEditError as exc:  # the switched text would be broken
        raise _fail(
            path,
            "cannot switch between task level and whole DAG: the result would not be a "
            f"valid file ({one_line(str(exc).splitlines()[-2].strip())});",
            "edit the file by hand (see docs/proxied-state.md, 'Decommissioning').",
        ) from None
    return None


def _plan(path: str, changes: list[Change], method: str, note: str) -> EditPlan:
    return EditPlan(path, b"", b"", changes, method=method, note=note)


def _flags(model: ProxiedStateFile) -> dict[str, bool]:
    if model.tasks is None:
        return {"": bool(model.proxied)}
    return {task.id: task.proxied for task in model.tasks}


def _require_assets(
    mapped: MappedAssets | None, request: EditRequest, path: str, turned_on: Sequence[str]
) -> None:
    """Refuse to proxy what has no assets in airlift.yaml: Dagster would run nothing."""
    if mapped is None or not request.value:
        return
    dag = request.dag_id
    where = f"in {mapped.config} (instance {mapped.instance!r})"
    force = "or pass --force to proxy anyway (validate will report it until assets are mapped)"
    if request.dag_level:
        if not mapped.dag_has_assets(dag):
            raise _fail(
                path,
                f"DAG {dag!r} has no assets mapped {where}, so proxying it would run "
                "nothing in Dagster;",
                f"map its assets first (under '- dag: {dag}': 'assets: [KEY]' or per task),",
                force + ".",
            )
        return
    missing = mapped.tasks_without_assets(dag, turned_on)
    if missing:
        listed = short_list(missing, _LISTED_TASKS, quoted=True)
        raise _fail(
            path,
            f"task(s) {listed} of DAG {dag!r} have no assets mapped {where}, so proxying "
            "them would run nothing in Dagster;",
            f"map their assets first (under '- dag: {dag}': '- task: {missing[0]}' with "
            "'assets: [KEY]'),",
            force + ".",
        )


def plan_edit(
    raw: bytes, path: str, request: EditRequest, *, mapped: MappedAssets | None = None
) -> EditPlan:
    """Work out the new content of a proxied-state file; nothing is written.

    With ``mapped`` (what airlift.yaml maps), turning on a task or a whole DAG
    that has no assets is refused. Raises
    :class:`~airlift_component.errors.ProxyStateEditError` with a message naming
    the file and the remedy when the change cannot be made.
    """
    over = len(raw) > MAX_FILE_BYTES
    if over and not _restoring(request):
        raise _too_big(path, len(raw))
    text, bom = _decode(raw, path)
    model, doc = _check(text, path)
    if request.dag_level and (model.tasks is not None or not model.proxied):
        _require_assets(mapped, request, path, [])
    if request.dag_level:
        switched = _switch(text, doc, model, request, path)
        if switched is not None:
            new_text, plan = switched
            plan.old, plan.new = raw, (codecs.BOM_UTF8 if bom else b"") + new_text.encode("utf-8")
            return _within_limit(plan, request)
    if over:  # only restoring a kept task list may start from such a file
        raise _too_big(path, len(raw))
    kept = model.tasks is None and not request.dag_level and BEGIN in text
    targets = _targets(model, request, path, kept=kept)
    before = _flags(model)
    doc_lines = [doc.position(loc)[0] for _, loc in targets]
    changes = [
        Change(target, before[target], request.value, line)
        for (target, _), line in zip(targets, doc_lines, strict=True)
    ]
    locs = [loc for (target, loc) in targets if before[target] != request.value]
    if not request.dag_level:
        _require_assets(mapped, request, path, [c.target for c in changes if c.changed])
    plan = EditPlan(path, raw, raw, changes)
    if not locs:
        return plan
    try:
        new_text = set_bools(text, locs, request.value, doc.root)
    except SharedValueError as exc:
        raise _fail(
            path,
            f"line {exc.line}: this 'proxied' value is {exc.how}, so it cannot be flipped "
            "for this entry alone;",
            "write a plain 'proxied: true/false' in each task's entry and run again.",
        ) from None
    except UnusualSpellingError as exc:
        written = " ".join(exc.written.split())
        shown = written if len(written) <= 40 else written[:37] + "..."
        raise _fail(
            path,
            f"line {exc.line}: this 'proxied' value is written {shown!r}, not as a plain "
            "true/false, so it is not rewritten;",
            f"write 'proxied: {str(not request.value).lower()}' on line {exc.line} and run again.",
        ) from None
    plan.method = "span"
    plan.new = (codecs.BOM_UTF8 if bom else b"") + new_text.encode("utf-8")
    return _within_limit(plan, request)


#: What ``off --dag`` reads: a whole-DAG file keeping its task list is at most twice
#: its task-level original plus the markers. Versions before this check wrote such
#: files past :data:`MAX_FILE_BYTES`; restoring the list is the way back from one.
RESTORE_READ_LIMIT = 2 * MAX_FILE_BYTES + 64 * 1024


def _restoring(request: EditRequest) -> bool:
    return request.dag_level and not request.value


def _too_big(path: str, size: int) -> ProxyStateEditError:
    return _fail(
        path,
        f"the file is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes that every "
        "reader of proxied-state files holds to (Airflow's included);",
        "make it smaller by hand (remove the entries of tasks the DAG no longer has, or long "
        "comments); a file that keeps its task list in an 'airlift:kept-tasks' block is "
        "restored by `airlift proxy off DAG --dag`.",
    )


def _within_limit(plan: EditPlan, request: EditRequest) -> EditPlan:
    """``plan``, unless its new content is bigger than the readers take: every reader
    of proxied-state files (validate, the edits, Airflow) refuses a file over
    :data:`MAX_FILE_BYTES`, so writing it would leave a file nothing reads or undoes."""
    size = len(plan.new)
    if size <= MAX_FILE_BYTES:
        return plan
    if len(plan.old) > MAX_FILE_BYTES:
        raise _too_big(plan.path, len(plan.old))
    what = (
        "proxying the whole DAG keeps the task list in a comment block ('# ' before each "
        "of its lines), which"
        if plan.method == "whole-dag"
        else "this flip"
    )
    remedies = [
        "make room first: remove the entries of tasks the DAG no longer has, or long "
        "comments, and run again;"
    ]
    if plan.method == "whole-dag":
        remedies.append(
            "or replace the 'tasks:' list with 'proxied: true' by hand (the list is then not "
            f"kept, so `airlift proxy off {request.dag_id} --dag` has nothing to restore)."
        )
    raise _fail(
        plan.path,
        f"{what} would make the file {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} "
        "bytes that every reader of proxied-state files holds to (Airflow's included);",
        *remedies,
    )


def _read(path: Path, limit: int) -> bytes:
    """The file's bytes, bounded like every read (a FIFO or huge file is refused)."""
    try:
        return read_bytes(path, what=WHAT, limit=limit)
    except YamlLoadError as exc:
        raise _broken(str(path), [exc.problem]) from None


def state_file_for(directory: Path, dag_id: str) -> Path | None:
    """The proxied-state file of ``dag_id`` in ``directory`` (``.yaml`` or ``.yml``)."""
    found = [directory / f"{dag_id}{suffix}" for suffix in SUFFIXES]
    existing = [path for path in found if path.is_file()]
    if len(existing) > 1:
        raise ProxyStateEditError(
            f"{directory}: DAG {dag_id!r} has two proxied-state files "
            f"({existing[0].name} and {existing[1].name}); delete one and run again"
        )
    return existing[0] if existing else None


def new_file_text(request: EditRequest) -> str:
    """The content ``--create`` writes for a DAG without a file."""
    value = str(request.value).lower()
    header = f"# Proxied state of DAG {request.dag_id}: which tasks run in Dagster.\n"
    if request.dag_level:
        return header + f"proxied: {value}\n"
    lines = [header, "tasks:\n"]
    for task in dict.fromkeys(request.tasks or ()):
        lines.append(f"  - id: {task}\n    proxied: {value}\n")
    return "".join(lines)


def set_proxied(
    directory: Path,
    request: EditRequest,
    *,
    create: bool = False,
    mapped: MappedAssets | None = None,
) -> EditPlan:
    """Apply ``request`` to the DAG's file in ``directory``, under the file lock.

    The file is read, changed and atomically replaced while holding an exclusive
    lock, so concurrent edits of the same file never lose an update. With
    ``create=True`` a missing file is created listing only the named tasks.
    With ``mapped``, proxying what has no assets mapped is refused before writing.
    """
    path = state_file_for(directory, request.dag_id)
    if path is None:
        tasks = list(request.tasks or ())
        _require_assets(mapped, request, str(directory / f"{request.dag_id}.yaml"), tasks)
        return _create(directory, request, create)
    try:
        with locked(path):
            # Past MAX_FILE_BYTES, plan_edit restores a kept task list or says how.
            plan = plan_edit(_read(path, RESTORE_READ_LIMIT), str(path), request, mapped=mapped)
            if plan.changed:
                atomic_write_bytes(path, plan.new)
    except OSError as exc:
        raise ProxyStateEditError(
            f"{path}: cannot update the file: {exc.strerror or exc}; check the permissions "
            "of the file and its folder, and free disk space (the file was not changed)"
        ) from None
    return plan


def _create(directory: Path, request: EditRequest, create: bool) -> EditPlan:
    path = directory / f"{request.dag_id}.yaml"
    verb = "on" if request.value else "off"
    what = "--dag" if request.dag_level else " ".join(request.tasks or ("TASK",))
    if not create or request.all_tasks:
        raise ProxyStateEditError(
            f"{path}: DAG {request.dag_id!r} has no proxied-state file in {directory};\n"
            f"  create it with: airlift proxy {verb} {request.dag_id} {what} --create\n"
            "  (it lists only the tasks you name; add the others as '- id: TASK' / "
            "'  proxied: false'), or check the DAG id and --dir"
        )
    if not directory.is_dir():
        raise ProxyStateEditError(f"{directory}: proxied-state folder not found; create it first")
    data = new_file_text(request).encode("utf-8")
    try:
        create_exclusive(path, data)
    except FileExistsError:
        raise ProxyStateEditError(
            f"{path}: the file was created by someone else meanwhile; run the command again"
        ) from None
    except OSError as exc:
        raise ProxyStateEditError(
            f"{path}: cannot create the file: {exc.strerror or exc}; check the permissions "
            "of the folder and free disk space (nothing was written)"
        ) from None
    model, _ = _check(data.decode("utf-8"), str(path))
    changes = [Change(t, False, request.value, 0) for t in _flags(model)]
    return EditPlan(str(path), b"", data, changes, method="create")
