"""The Dask task runner for the load flow (prefect-dask), for growing past one machine.

    load_flow.with_options(task_runner=task_runner(workers))(..., settings={"runner": "dask", ...})

The flow is the same (flows/load_flow.py: planning, input ledger, one writer, one commit per
batch); only where a slice is transformed changes: an `extract-slice` task on a Dask worker
instead of the local process pool. By default a LocalCluster of `workers` single-threaded worker
processes is started for the run; NEWS_ETL_DASK_ADDRESS=tcp://scheduler:8786 uses an existing
cluster (its workers need this package installed and the input paths readable at the same
location). Slices travel as file references (path, offset, line count); the transformed
documents come back to the flow process, which commits them. Install with the `dask` extra.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from prefect.client.orchestration import get_client

ENV_DASK_ADDRESS = "NEWS_ETL_DASK_ADDRESS"


def task_runner(workers: int) -> Any:
    """A DaskTaskRunner: the cluster named by NEWS_ETL_DASK_ADDRESS, or a local cluster of
    `workers` single-threaded worker processes."""
    from prefect_dask.task_runners import DaskTaskRunner  # noqa: PLC0415  # the optional `dask` extra

    address = os.environ.get(ENV_DASK_ADDRESS)
    if address:
        return DaskTaskRunner(address=address)

    def local_cluster() -> Any:
        from distributed import LocalCluster  # noqa: PLC0415  # the optional `dask` extra

        # the workers report task states to the same Prefect API as the flow: with the CLI's
        # temporary server that URL exists only now, so hand it down before they are spawned
        if not os.environ.get("PREFECT_API_URL"):
            os.environ["PREFECT_API_URL"] = str(get_client(sync_client=True).api_url)
        for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.core", "distributed.http.proxy"):
            logging.getLogger(name).setLevel(logging.ERROR)  # shutdown chatter (heartbeats to a closing scheduler)
        return LocalCluster(  # type: ignore[no-untyped-call]  # distributed has no type hints
            n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        )

    return DaskTaskRunner(cluster_class=local_cluster)
