"""Lambda functions run in-process: each invocation gets a fresh LambdaContext like Lambda's."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local.environment import ACCOUNT_ID, PARTITION, REGION
from local.handlers import load_handler
from local.template import Function


@dataclass
class LambdaContext:
    """The attributes and method of Lambda's context object that handlers and Powertools use."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    function_version: str = "$LATEST"
    _deadline: float = field(default=0.0, repr=False)  # time.monotonic() when the timeout hits

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Functions:
    """The template's functions by logical id, invoked the way Lambda invokes them (synchronously)."""

    def __init__(self, functions: Mapping[str, Function]):
        self._functions = dict(functions)
        # Lambda hands an execution environment one event at a time, and Powertools keeps the event
        # being resolved on its router class: handlers run one at a time here, whichever thread
        # (gateway, pump, scheduler) calls them.
        self._one_at_a_time = threading.RLock()

    def context(self, logical_id: str) -> LambdaContext:
        function = self._functions[logical_id]
        return LambdaContext(
            function_name=logical_id,
            memory_limit_in_mb=function.memory_size,
            invoked_function_arn=f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT_ID}:function:{logical_id}",
            aws_request_id=str(uuid.uuid4()),
            log_group_name=f"/aws/lambda/{logical_id}",
            log_stream_name=f"local/[$LATEST]{uuid.uuid4().hex}",
            _deadline=time.monotonic() + function.timeout,
        )

    def invoke(self, logical_id: str, event: Any) -> Any:
        """The handler's return value; its exceptions propagate (the caller decides what Lambda's
        event source would do with a failed invocation)."""
        function = self._functions[logical_id]
        handler = load_handler(function.code_uri, function.handler)
        with self._one_at_a_time:
            return handler(event, self.context(logical_id))
