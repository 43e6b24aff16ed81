"""What every function logs and measures with - Powertools' Logger and Metrics, and the lazy tracer -
apart from the web layer, so the jobs and the notifier use them without importing the API's resolver,
its CORS and its settings at import (hallbook/web/app.py builds those)."""

from __future__ import annotations

import functools
import logging
import os

from aws_lambda_powertools import Logger, Metrics

from .config import settings
from .logscrub import scrub_handlers

__all__ = ["LazyTracer", "logger", "metrics", "tracer", "warm_for_provisioned_concurrency"]

logger = Logger(log_uncaught_exceptions=True)
scrub_handlers(logging.getLogger(logger.name))  # "hallbook": the modules' loggers are its children
metrics = Metrics()  # the handlers' log_metrics flushes it (Powertools keeps one metric set per process)


class LazyTracer:
    """Tracing without the X-Ray SDK's ~200 ms at import. Lambda's active tracing
    (template: `Tracing: Active`, API Gateway `TracingEnabled`) records every invocation and its
    duration with no SDK in the function. The SDK (Powertools' Tracer: subsegments per AWS call) is
    loaded only where HALLBOOK_XRAY_SDK=1 asks for it, at the first invocation, never at import."""

    def __init__(self):
        self._tracer = None

    @staticmethod
    def wanted() -> bool:
        # POWERTOOLS_TRACE_DISABLED and AWS_LAMBDA_INITIALIZATION_TYPE are the platform's own variables,
        # read where the platform defines them; hallbook's are its settings
        return settings().hallbook_xray_sdk and os.environ.get("POWERTOOLS_TRACE_DISABLED") != "true"

    def provider(self):
        if self._tracer is None:
            from aws_lambda_powertools import Tracer

            self._tracer = Tracer()
        return self._tracer

    def capture_lambda_handler(self, lambda_handler=None, capture_response: bool = False):
        """As Powertools' Tracer.capture_lambda_handler, with or without arguments."""
        if lambda_handler is None:
            return functools.partial(self.capture_lambda_handler, capture_response=capture_response)
        traced = None

        @functools.wraps(lambda_handler)
        def handler(event, context):
            nonlocal traced
            if not self.wanted():
                return lambda_handler(event, context)
            if traced is None:
                traced = self.provider().capture_lambda_handler(lambda_handler, capture_response=capture_response)
            return traced(event, context)

        return handler


tracer = LazyTracer()


def warm_for_provisioned_concurrency() -> None:
    """An environment Lambda initialises ahead of its first request (provisioned concurrency, the noon
    warmth): import now what the first request would otherwise load (hallbook.lazy; the X-Ray SDK
    where it is wanted), so the rush meets fully initialised environments."""
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "provisioned-concurrency":
        return
    from .lazy import warm

    warm()
    if LazyTracer.wanted():
        tracer.provider()
