"""The sensor's decisions, without Dagster: what Airflow ran that is not recorded yet.

Everything the exactly-once promise of ``airlift_<instance>_sensor`` rests on
(see docs/exactly-once.md) lives here, one job per module; the Dagster sensor
(:mod:`airlift_component.component.sensor`) only hands it a client, a cursor
and a time budget, and turns what it decides into materializations.

==================  ==================================================================
``tick``            one tick: the runs, the unknown DAGs to warn about, the asset events
``run_pass``        one pass over the runs Airflow changed: window, listing, settling, mark
``run_listing``     which listed runs are new to the cursor, within the tick's budgets
``run_ledger``      what one changed run has that was not recorded: tries, a completion
``decommissioned``  which runs of a decommissioned DAG stand for Dagster's intervals
``event_pass``      one pass over Airflow's asset events, each recorded once by its id
``cursor``          the cursor: high-water mark, remembered and forgotten runs, DAG ids
``run_memory``      what the cursor keeps of one run, in full or in 20 bytes
``event_memory``    what the cursor keeps of the asset events
``cursor_codec``    the cursor's stored JSON, compressed when long, checked when read
``record_order``    the order a tick records in: end time, then the task graph
``check_batches``   the run key of the asset checks of what a tick recorded of one run
==================  ==================================================================

The listings themselves (one overlap-paged stream for runs and events) are in
:mod:`airlift_component.airflow_api.changed_runs` and
:mod:`airlift_component.airflow_api.asset_events`. Imports no Dagster and no
Airflow.
"""
