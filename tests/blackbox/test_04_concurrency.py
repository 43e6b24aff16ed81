"""Scenarios 7 and 8: 100 citizens racing for one slot, each on its own connection; 256 TCP
connections opened at once."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import uuid

import pytest
from blackbox_support import PROBLEM_JSON, Api, availability, past_the_caches, register_many

pytestmark = [pytest.mark.R7]

RACE_OFFICE = "gz-huadu-centre"
RACE_SERVICE = "ID_RENEW"
RACERS = 100
CONNECTIONS = 256


def test_100_citizens_race_for_one_slot(api: Api) -> None:
    """R7: never beyond capacity under any concurrency; every loser gets 409 SLOT_FULL."""
    citizens = register_many(api, RACERS, workers=16)
    assert len({c.id_number for c in citizens}) == RACERS
    day = max(availability(api, RACE_OFFICE, RACE_SERVICE))
    slot = availability(api, RACE_OFFICE, RACE_SERVICE, day, day)[day]["09:00"]
    capacity = slot["capacity"]
    assert slot["remaining"] == capacity, slot
    assert capacity < RACERS

    barrier = threading.Barrier(RACERS)
    results: list[tuple[int, str, bytes] | BaseException] = [None] * RACERS  # type: ignore[list-item]
    body = json.dumps(
        {
            "office_id": RACE_OFFICE,
            "service_code": RACE_SERVICE,
            "date": day,
            "start": "09:00",
            "notice_acknowledged": True,
        }
    )

    def race(i: int) -> None:
        connection = http.client.HTTPConnection(api.host, api.port, timeout=120)
        try:
            connection.connect()  # every racer holds its own socket before the start
            barrier.wait(timeout=60)
            connection.request(
                "POST",
                "/v1/bookings",
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {citizens[i].token}",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
            )
            response = connection.getresponse()
            results[i] = (response.status, response.getheader("Content-Type", ""), response.read())
        except BaseException as e:  # noqa: BLE001 - reported below
            results[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    failures = [r for r in results if not isinstance(r, tuple)]
    assert not failures, failures[:5]

    won = [json.loads(b) for s, _, b in results if s == 201]
    lost = [(s, ct, json.loads(b)) for s, ct, b in results if s != 201]
    assert len(won) == capacity, (len(won), [x for x in lost if x[2].get("code") != "SLOT_FULL"][:5])
    assert len({b["booking_id"] for b in won}) == capacity and len({b["reference"] for b in won}) == capacity
    assert len(lost) == RACERS - capacity
    for status, content_type, problem in lost:
        assert status == 409 and content_type.split(";")[0] == PROBLEM_JSON, (status, content_type, problem)
        assert problem["code"] == "SLOT_FULL" and problem["status"] == 409, problem

    past_the_caches(api)  # the read before the race may still be cached
    after = availability(api, RACE_OFFICE, RACE_SERVICE, day, day)[day]["09:00"]
    assert after["remaining"] == 0 and after["capacity"] == capacity, after
    # every winner sees exactly its own booking
    winners = {b["booking_id"] for b in won}
    mine = [b for c in citizens for b in api.get("/v1/bookings", token=c.token).json()["bookings"]]
    assert {b["booking_id"] for b in mine} == winners and len(mine) == capacity


def test_256_connections_at_once(api: Api) -> None:
    """The listen backlog takes a burst of connections: no resets, every request answered 200."""
    barrier = threading.Barrier(CONNECTIONS)
    request = (
        f"GET /v1/services HTTP/1.1\r\nHost: {api.host}:{api.port}\r\nAccept: application/json\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    results: list[tuple[int, bytes] | BaseException] = [None] * CONNECTIONS  # type: ignore[list-item]

    def one(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            with socket.create_connection((api.host, api.port), timeout=120) as sock:
                sock.sendall(request)
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            raw = b"".join(chunks)
            head, _, body = raw.partition(b"\r\n\r\n")
            results[i] = (int(head.split(b" ", 2)[1]), body)
        except BaseException as e:  # noqa: BLE001 - reported below
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    errors = [r for r in results if not isinstance(r, tuple)]
    assert not errors, f"{len(errors)} of {CONNECTIONS} failed: {errors[:5]}"
    statuses = [r[0] for r in results]  # type: ignore[index]
    assert statuses.count(200) == CONNECTIONS, sorted(set(statuses))
    assert all(json.loads(r[1]) for r in results)  # type: ignore[index]
