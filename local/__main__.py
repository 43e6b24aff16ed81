"""python -m local [--port 3000] [--now 2026-09-14T09:00+08:00]: the whole system on one machine."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from datetime import datetime
from types import FrameType

from local.gateway import serve
from local.system import LocalSystem


def _instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError("give the offset too, e.g. 2026-09-14T09:00+08:00")
    return instant


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops like Ctrl-C


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--port", type=int, default=3000, help="HTTP port of the API (0: any free port)")
    parser.add_argument("--now", type=_instant, help="start the clock at this instant (default: now)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from hallbook.logscrub import scrub_handlers

    scrub_handlers(logging.getLogger())  # local mode's own lines (a gateway's traceback) too
    for chatty in ("botocore", "pynamodb"):
        logging.getLogger(chatty).setLevel(logging.WARNING)

    system = LocalSystem()
    system.start(args.now)
    try:
        office_ids = system.seed()
        server = serve(system.gateway, args.port)
    except BaseException:
        system.stop()
        raise
    system.pump.start()
    system.scheduler.start()
    signal.signal(signal.SIGTERM, _terminate)

    base = f"http://{system.gateway.host}"
    print(
        f"""
hallbook local mode, clock at {system.clock.now().isoformat()}
  pages        {base}/  {base}/board/<office_id>  {base}/staff/
  API          {base}/v1/services
  API docs     {base}/docs
  SMS sent     {base}/local/sms?phone=
  clock        {base}/local/clock   (POST {{"now": "2026-09-14T12:00+08:00"}} fires the jobs it passes)
  embedded AWS {system.aws.url}
logins: admin / local-admin-pass; staff@<office_id> / local-staff-pass for {", ".join(office_ids) or "each demo office"}
demo citizens with residence permits: 13707980001, 13707980002, 13707980003 / local-citizen-1 (README)
Ctrl-C stops.""",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        server.server_close()
        system.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
