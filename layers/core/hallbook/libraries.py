"""The platform's libraries every function loads before any code of ours - pydantic and
pydantic-settings, pynamodb (and so botocore), Powertools' logger and metrics - and then `gc.freeze()`.

What they allocate lives as long as the process. In the permanent generation the garbage collector
never walks it again: the collections that the rest of the cold start (our settings, models and
routes) and each request trigger scan only what came after. Without it, one full collection over the
platform's ~50,000 objects fell inside our import, a quarter to a third of a function's own import
time. Each function imports this module before anything else of ours (the API functions through
hallbook.web.app, after Powertools' REST resolver, which only they load)."""

from __future__ import annotations

import gc

import aws_lambda_powertools  # noqa: F401
import pydantic  # noqa: F401
import pydantic_settings  # noqa: F401
import pynamodb.models  # noqa: F401
import pynamodb.transactions  # noqa: F401

gc.freeze()
