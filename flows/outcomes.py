"""Run states that mean something: how a flow or task of ours ends Failed with its reason (and
still hands back what it did), and how one flow starts another so that the started one is a
subflow with its own task runs and logs.

A step of the nightly job runs in a child process (flows/steps.py); the flows it starts there are
created as subflows of the step's task run (`NEWS_ETL_PARENT_TASK_RUN`), so the UI shows them
under the step, each with its own task runs and log lines. Calling a flow from inside a task in
the same process would file the subflow's log lines under the calling task instead.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.states import Failed

ENV_PARENT_TASK_RUN = "NEWS_ETL_PARENT_TASK_RUN"


def failed(message: str, data: Any = None, *, name: str = "Failed") -> State[Any]:
    """A Failed state with a reason for people and, as its data, what the run did anyway."""
    return Failed(message=message, data=data, name=name)


def run_flow_state(flow: Flow[..., Any], parameters: dict[str, Any]) -> State[Any]:
    """Run `flow` to its final state (a Failed state is returned, not raised). In a step process
    (NEWS_ETL_PARENT_TASK_RUN set, no flow run around) the run is created as a subflow of that
    task run."""
    parent = os.environ.get(ENV_PARENT_TASK_RUN)
    if parent and FlowRunContext.get() is None:
        from prefect.client.orchestration import get_client  # noqa: PLC0415  # only step processes need it
        from prefect.flow_engine import run_flow  # noqa: PLC0415  # only step processes need it

        with get_client(sync_client=True) as client:
            flow_run = client.create_flow_run(flow, parameters=parameters, parent_task_run_id=UUID(parent))
        state = run_flow(flow, flow_run=flow_run, parameters=parameters, return_type="state")
    else:
        state = flow(**parameters, return_state=True)
    if not isinstance(state, State):
        raise TypeError(f"flow {flow.name} gave {type(state).__name__}, not a state")
    return state


def value_of(state: State[Any]) -> Any:
    """What a run returned, also when it ended Failed with data (our failures); a run that failed
    with an exception raises it again."""
    data = state.result(raise_on_failure=False)
    if isinstance(data, BaseException):
        raise data
    return data


class _OneLinePerFailure(logging.Filter):
    """A task that returns a Failed state is logged twice by Prefect ("Task run failed with
    state: ..." with `exc_info=True` and no exception, printed as a stray 'NoneType: None', then
    "Finished in state Failed(...)"): keep the second line only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is None:
            return not str(record.msg).startswith("Task run failed with state")
        return True


for _name in ("prefect.task_runs", "prefect.flow_runs"):
    logging.getLogger(_name).addFilter(_OneLinePerFailure())
