"""The whole system on one machine, without the HTTP server: embedded AWS, the template's resources,
the handlers' environment, the adjustable clock, the event pump, the scheduler and the gateway.
`python -m local`, the tests' fixtures and the benchmark all build on it."""
from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from hallbook.clock import AdjustableClock, get_clock, set_clock
from hallbook.notify.sms import SmsFailed, SmsSender, get_sender, set_sender
from moto.sns.models import sns_backends

from local import state
from local.aws import ACCOUNT_ID, EmbeddedAws, start_embedded_aws
from local.gateway import Gateway
from local.pump import Pump
from local.runtime import Functions
from local.scheduler import Run, Scheduler
from local.template import (
    REGION,
    REPO_ROOT,
    TEMPLATE_PATH,
    Resources,
    api_routes,
    create_resources,
    event_sources,
    function_environment,
    functions,
    read_sam_template,
    schedules,
    translate,
)

log = logging.getLogger(__name__)

DEMO_DATA = REPO_ROOT / "data" / "demo.json"

# What every process of local mode needs before any handler or hallbook module is imported.
BASE_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon on this machine
}


def set_base_environment() -> None:
    """Dummy credentials and the region, nothing that could point clients at a real account, and
    no HTTP proxy between clients and the embedded AWS."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        os.environ.pop(name, None)
    os.environ.update(BASE_ENVIRONMENT)
    no_proxy = {h for h in os.environ.get("NO_PROXY", os.environ.get("no_proxy", "")).split(",") if h}
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(sorted(no_proxy | {"127.0.0.1", "localhost"}))


class LocalSystem:
    cfn: dict[str, Any]  # the template translated to CloudFormation
    functions: Functions
    aws: EmbeddedAws
    resources: Resources
    environment: dict[str, str]  # the functions' variables, as exported to os.environ
    pump: Pump
    scheduler: Scheduler
    gateway: Gateway

    def __init__(self, template: str | Path = TEMPLATE_PATH, *, aws_port: int = 0, frozen_clock: bool = False):
        self._template = template
        self._aws_port = aws_port
        self.clock = AdjustableClock(frozen=frozen_clock)
        self._start_instant: datetime | None = None

    def start(self, now: datetime | None = None) -> None:
        """Embedded AWS up, resources created, environment exported (AWS_ENDPOINT_URL sends boto3 and
        pynamodb to the embedded AWS) and the clock installed at `now` (default: the real time)."""
        set_base_environment()
        raw = read_sam_template(self._template)
        self.cfn = translate(raw)
        self.functions = Functions(functions(raw))
        self.aws = start_embedded_aws(self._aws_port)
        os.environ["AWS_ENDPOINT_URL"] = self.aws.url
        self._session = boto3.Session(region_name=REGION)
        self.resources = create_resources(self.cfn, self._session, endpoint_url=self.aws.url)
        self.environment = function_environment(self.cfn, self.resources)
        os.environ.update(self.environment)
        _reset_hallbook_settings()

        self._start_instant = now or get_clock().now()
        self.clock.set(self._start_instant)
        set_clock(self.clock)
        if not isinstance(get_sender(), SwitchableSmsSender):
            set_sender(SwitchableSmsSender(get_sender()))
        self.pump = Pump(event_sources(raw), self.functions, self.resources, self._session, self.aws.url)
        self.scheduler = Scheduler(schedules(raw), self.functions, self.clock, after_run=self.pump.drain)
        self.gateway = Gateway(api_routes(raw), self.functions, controls=self)

    def seed(self) -> list[str]:
        """Load the demo catalogue and halls, seed the local logins (admin, operator, staff@<office_id>)
        and the demo citizens with their residence permits, and release the slots of the booking window
        (if hallbook.services.seed and .release exist; a warning otherwise). The demo office ids."""
        try:
            from hallbook.services.release import release_window
            from hallbook.services.seed import load_demo_data, seed_local_accounts, seed_local_permits
        except ModuleNotFoundError as e:
            if e.name not in ("hallbook.services.seed", "hallbook.services.release"):
                raise
            log.warning("not seeding demo data: %s does not exist", e.name)
            return []
        data = load_demo_data(str(DEMO_DATA))
        office_ids = [office["office_id"] for office in data.get("offices", [])]
        seed_local_accounts(office_ids)
        seed_local_permits(office_ids)
        release_window()
        self.pump.drain()
        return office_ids

    def reset(self, now: datetime | None = None, *, seed: bool = False) -> None:
        """Empty every service (moto's reset), recreate the template's resources, set the clock to
        `now` (default: the instant start() was given) and clear the local switches."""
        self.aws.reset()
        self.resources = create_resources(
            self.cfn, self._session, endpoint_url=self.aws.url, secret_values=self.resources.secrets
        )
        if function_environment(self.cfn, self.resources) != self.environment:
            # handlers read it when imported: names, queue URLs and the secret's ARN must be stable
            raise RuntimeError("the functions' environment changed when the resources were recreated")
        _forget_cached_catalog()
        self.pump.reset(self.resources)
        self.clock.set(now or self._start_instant)  # type: ignore[arg-type]
        self.scheduler.reset()
        state.SMS_PROVIDER_FAILING.set(False)
        if seed:
            self.seed()

    def stop(self) -> None:
        self.scheduler.stop()
        self.pump.stop()
        self.aws.stop()

    # ------------------------------------------------------------ gateway.LocalControls

    def sms_messages(self, phone: str | None = None) -> list[dict[str, str]]:
        """The SMS sent through SNS, newest first; `phone` with or without +86."""
        with self.aws.lock:
            sent = list(sns_backends[ACCOUNT_ID][REGION].sms_messages.values())
        wanted = _national(phone) if phone else None
        return [
            {"phone": number, "message": message}
            for number, message in reversed(sent)
            if wanted is None or _national(number) == wanted
        ]

    def move_clock(self, instant: datetime) -> list[Run]:
        return self.scheduler.move_to(instant)


class SwitchableSmsSender:
    """The deployed SMS sender, failing while POST /local/sms-provider {"failing": true} is on."""

    def __init__(self, sender: SmsSender):
        self._sender = sender

    def send(self, phone_e164: str, text: str) -> str:
        if state.SMS_PROVIDER_FAILING:
            raise SmsFailed("local mode: the SMS provider is switched to failing")
        return self._sender.send(phone_e164, text)


def _national(phone: str) -> str:
    """13812345678 from +86 138 1234 5678, 8613812345678 or 13812345678."""
    digits = "".join(c for c in phone if c.isdigit())
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def _forget_cached_catalog() -> None:
    """The catalogue that hallbook caches per process is gone with the reset."""
    from hallbook.store.catalog import invalidate_cache

    invalidate_cache()


def _reset_hallbook_settings() -> None:
    """hallbook.config caches the environment it first read."""
    from hallbook.config import reset_settings

    reset_settings()
