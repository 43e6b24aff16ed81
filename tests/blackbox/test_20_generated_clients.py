"""Apps are built from generated clients (issue 26): two generators nobody here wrote, fed local mode's
GET /v1/openapi.json, give clients that work without a hand edit. openapi-typescript + openapi-fetch:
the flow in tests/clients/ts/flow.ts type-checks under `tsc --strict` and runs in node; openapi-python-
client: the package imports and tests/clients/python_flow.py runs with it. Each flow registers,
verifies, logs in, reads availability, books, cancels and applies for a residence-permit renewal.

The generators are installed on first use: npm packages (tests/clients/ts/package-lock.json) into
build/clients/ts, openapi-python-client from requirements-dev.txt."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from blackbox_support import SENT, Api, new_adult_id, new_name, new_phone

REPO = Path(__file__).resolve().parents[2]
CLIENTS = REPO / "tests" / "clients"
BUILD = REPO / "build" / "clients"


def _run(command: list[str], cwd: Path, env: dict | None = None, timeout: int = 300) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (
        f"{' '.join(command)} -> {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def document(server: Api) -> Path:
    reply = server.get("/v1/openapi.json")
    assert reply.status == 200, reply
    BUILD.mkdir(parents=True, exist_ok=True)
    path = BUILD / "openapi.json"
    path.write_text(json.dumps(reply.json(), ensure_ascii=False), encoding="utf-8")
    return path


def _citizen(api: Api) -> dict[str, str]:
    person = {"NAME": new_name(), "ID_NUMBER": new_adult_id(), "PHONE": new_phone()}
    # the numbers a generated client sends are the suite's too: none may reach the server's log whole
    SENT.record("/v1/accounts", json.dumps({"id_number": person["ID_NUMBER"], "phone": person["PHONE"]}).encode())
    permit = "GC" + hashlib.sha256(person["ID_NUMBER"].encode()).hexdigest()[:10].upper()
    return {**person, "PERMIT": permit, "TODAY": api.now().date().isoformat(), "BASE": f"http://{api.host}:{api.port}"}


def _npm_install(target: Path) -> None:
    """npm ci into build/clients/ts, again only when the lock file changed."""
    lock = (CLIENTS / "ts" / "package-lock.json").read_bytes()
    stamp = target / ".lock-sha256"
    digest = hashlib.sha256(lock).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and (target / "node_modules").is_dir():
        return
    for name in ("package.json", "package-lock.json"):
        shutil.copy(CLIENTS / "ts" / name, target / name)
    _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], target, timeout=600)
    stamp.write_text(digest)


@pytest.mark.skipif(shutil.which("npm") is None, reason="needs node and npm")
def test_a_typescript_client_generated_from_the_document_runs_the_citizen_flow(api: Api, document: Path) -> None:
    target = BUILD / "ts"
    target.mkdir(parents=True, exist_ok=True)
    _npm_install(target)
    for name in ("flow.ts", "tsconfig.json"):
        shutil.copy(CLIENTS / "ts" / name, target / name)
    bin_ = target / "node_modules" / ".bin"
    _run([str(bin_ / "openapi-typescript"), str(document), "-o", "schema.d.ts"], target)
    _run([str(bin_ / "tsc"), "-p", "tsconfig.json"], target)  # --strict: tsconfig.json
    out = _run(["node", "dist/flow.js"], target, env={**os.environ, **_citizen(api)})
    result = json.loads(out.strip().splitlines()[-1])
    assert result["booking"] and result["application"]


def test_a_python_client_generated_from_the_document_runs_the_citizen_flow(api: Api, document: Path) -> None:
    # run by this interpreter (-m), not through the console script, whose first line names the
    # interpreter of whichever checkout installed it; its post-generation hooks find ruff on PATH
    bin_dir = Path(sys.executable).parent
    target = BUILD / "py"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    _run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(document),
            "--config",
            str(CLIENTS / "python-config.yaml"),
            "--output-path",
            str(target),
            "--overwrite",
        ],
        BUILD,
        env=env,
    )
    env = {**os.environ, "PYTHONPATH": str(target), **_citizen(api)}
    out = _run([sys.executable, str(CLIENTS / "python_flow.py")], BUILD, env=env)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["booking"] and result["application"]
