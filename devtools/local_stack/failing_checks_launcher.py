"""A run launcher that fails the first launch of each airlift checks' run (for the e2e).

It stands for a launch that fails under load (a full cluster, a lost agent): the
first run the airlift sensor requests for a recorded batch's checks (tagged
``airlift/checks_for_run_id``, without ``airlift/checks_launch``) raises in
``launch_run``, so Dagster marks it failed before it started, as it does for any
launcher error; every other run, the sensor's retries included, is launched as
Dagster's default launcher does. Configured in ``dagster.yaml``::

    run_launcher:
      module: devtools.local_stack.failing_checks_launcher
      class: FailFirstChecksLaunch
"""

from __future__ import annotations

from dagster._core.launcher.base import LaunchRunContext
from dagster._core.launcher.default_run_launcher import DefaultRunLauncher

#: The tags of the airlift sensor's checks' runs (component/check_requests.py).
CHECKS_RUN_TAG = "airlift/checks_for_run_id"
CHECKS_LAUNCH_TAG = "airlift/checks_launch"
#: The error the first launch raises (the e2e looks for it in the run's events).
INJECTED_FAILURE = "injected by the e2e test: the first launch of a checks' run fails"


class FailFirstChecksLaunch(DefaultRunLauncher):
    """Dagster's default launcher, except for the first launch of a checks' run."""

    def launch_run(self, context: LaunchRunContext) -> None:
        tags = context.dagster_run.tags
        if CHECKS_RUN_TAG in tags and CHECKS_LAUNCH_TAG not in tags:
            raise RuntimeError(INJECTED_FAILURE)
        super().launch_run(context)
