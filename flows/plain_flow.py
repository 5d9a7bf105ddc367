"""`plain_flow`: Prefect's `@flow` for flows whose parameters are plain JSON values (strings,
numbers, lists and dicts of them). Prefect records a run's parameters through FastAPI's
`jsonable_encoder`, and importing FastAPI costs every command ~0.1-0.4 s; plain values are
recorded as they are instead. Any other value still goes through Prefect's own serialisation."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Flow
from prefect.client.schemas.objects import State
from prefect.futures import PrefectFuture

P = ParamSpec("P")
R = TypeVar("R")
_SCALARS = (str, int, float, bool, type(None))


def is_plain(value: Any, depth: int = 0) -> bool:
    """A JSON value as it is: str/int/float/bool/None, lists and tuples, dicts with str keys."""
    if depth > 20:
        return False
    if isinstance(value, _SCALARS):
        return not isinstance(value, float) or math.isfinite(value)  # NaN and infinities are not JSON
    if isinstance(value, (list, tuple)):
        return all(is_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v, depth + 1) for k, v in value.items())
    return False


class PlainFlow(Flow[P, R]):
    def serialize_parameters(self, parameters: dict[str, Any | PrefectFuture[Any] | State]) -> dict[str, Any]:
        if all(is_plain(v) for v in parameters.values()):
            return {k: json.loads(json.dumps(v)) for k, v in parameters.items()}  # a copy, tuples as lists
        return super().serialize_parameters(parameters)


def plain_flow(**options: Any) -> Callable[[Callable[P, R]], Flow[P, R]]:
    """`@plain_flow(name=..., ...)`: the options of `prefect.flow`."""

    def wrap(fn: Callable[P, R]) -> Flow[P, R]:
        return PlainFlow(fn=fn, **options)

    return wrap
