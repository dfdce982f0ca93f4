"""What validation needs of an ``airlift.yaml`` that passed, remembered by its content.

Most commits during a migration touch only proxied-state files. The verdict cache
(:mod:`.verdict_cache`) cannot answer them: a file it read has changed. The
``airlift.yaml`` has not, and reading it is most of a run: at 1,000 DAGs x 10
tasks, parsing its 1.9 MB, importing pydantic's models and validating them is
about two thirds of the run's CPU. So when an ``airlift.yaml`` passes its own
checks, its :class:`~.airlift_summary.AirliftSummary` (each instance's name and
``proxied_state_dir`` and what it maps) is kept under the digest of its bytes,
and a later run that reads the same bytes takes the summary instead of the file's
parse, checks and model: they would pass again and give the same summary.

The entry also records the source of the code that judged the file (this
package's modules loaded by then, pydantic's and PyYAML's versions, see
:func:`~.inputs.code_files`), and is used only while all of it is unchanged; its
name covers the package's version and place, and the interpreter. A file with a
problem of its own is never remembered. The entries live in the ``summaries``
folder of the verdict cache's folder (same place, same off switches: never inside
the current folder or a folder being validated); see :mod:`.cache_store` for how
they are written and pruned.

Why it exists (``bench/bench_validate.py``'s "edited" rows, 1,000 DAGs x 10 tasks,
CPU medians of 5 fresh processes, 7 Dec 2026, the tree before it at ``2c6e066``
measured by the same script in the same hour): ``validate .`` after a proxied-state
file was edited 0.76 s -> 0.38 s; the 1,000 state files named 1.05 s -> 0.65 s; one
state file 0.64 s -> 0.24 s.
"""

from __future__ import annotations

from pathlib import Path

from airlift_component.config.validation.airlift_summary import AirliftSummary, from_json
from airlift_component.config.validation.cache_store import (
    entry_key,
    read_entry,
    touch,
    write_entry,
)
from airlift_component.config.validation.inputs import code_files, digest, file_digest

#: Bumped when the layout of an entry changes.
FORMAT = 1
#: How many summaries the folder keeps (one per ``airlift.yaml`` content).
MAX_ENTRIES = 16
#: The folder of the summaries, inside the verdict cache's.
FOLDER = "summaries"


def entry_name(data: bytes) -> str:
    """The name of the entry for an ``airlift.yaml`` whose bytes are ``data``."""
    key = entry_key({"format": FORMAT, "content": digest(data)})
    return f"{key}.json"


class SummaryCache:
    """The summaries in one folder (:func:`~.verdict_cache.cache_folder`'s ``summaries``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def recall(self, data: bytes) -> AirliftSummary | None:
        """The summary of an ``airlift.yaml`` of these bytes, if one passed before and
        the code that judged it is unchanged."""
        name = entry_name(data)
        stored = read_entry(self.folder / name)
        try:
            if stored["format"] != FORMAT or stored["name"] != name:
                return None
            code = stored["code"]
            if not code or any(file_digest(path) != seen for path, seen in code.items()):
                return None
            summary = from_json(stored["summary"])
        except (AttributeError, KeyError, TypeError, ValueError):
            return None
        touch(self.folder / name)
        return summary

    def remember(self, data: bytes, summary: AirliftSummary) -> None:
        """Keep the summary of an ``airlift.yaml`` of these bytes that passed its checks."""
        code = {}
        for path in code_files():
            seen = file_digest(path)
            if seen is None:
                return  # the code is being replaced: nothing to vouch for
            code[path] = seen
        name = entry_name(data)
        document = {
            "format": FORMAT,
            "name": name,
            "code": code,
            "summary": summary.as_json(),
        }
        write_entry(self.folder, name, document, MAX_ENTRIES)
