"""Local mode's real-name source: a fake of the provincial identity platform behind the same
interface as the deployed HTTPS verifier (hallbook.services.identity).

It knows the demo citizens, and accepts any other name + ID number pair unless told otherwise:
`POST /local/identity {"id_number", "name", "phone"?, "guardians"?: [id numbers]}` records the real
owner of an ID number (and, optionally, their phone and a minor's guardians), so that registering
that number under another name or phone is refused, as the population database would refuse it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from hallbook.domain.identity import canonical_or_none
from hallbook.services.identity import MATCH, MISMATCH, IdentityCheck

SOURCE = "local-fake"


def _id(raw: str) -> str:
    """R1: the canonical form, so the fake knows a number however it was written."""
    return canonical_or_none("id", raw) or raw.upper()


def _phone(raw: str | None) -> str | None:
    return None if raw is None else canonical_or_none("phone", raw) or raw


@dataclass
class Person:
    id_number: str
    name: str
    phone: str | None = None
    guardians: set[str] = field(default_factory=set)


class FakeVerifier:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._people: dict[str, Person] = {}
        self.calls = 0

    def register(self, id_number: str, name: str, phone: str | None = None, guardians: list[str] | None = None) -> None:
        with self._lock:
            self._people[_id(id_number)] = Person(
                _id(id_number), name, _phone(phone), {_id(g) for g in guardians or ()}
            )

    def add_guardian(self, minor_id_number: str, guardian_id_number: str) -> None:
        """The population register lists `guardian_id_number` as a guardian of the minor."""
        with self._lock:
            person = self._people.setdefault(_id(minor_id_number), Person(_id(minor_id_number), ""))
            person.guardians.add(_id(guardian_id_number))

    def reset(self) -> None:
        with self._lock:
            self._people.clear()

    def check(self, name: str, id_number: str, phone: str | None) -> IdentityCheck:
        with self._lock:
            self.calls += 1
            person = self._people.get(_id(id_number))
        if person is None or not person.name:
            return IdentityCheck(MATCH, SOURCE, None)
        if " ".join(name.split()) != person.name:
            return IdentityCheck(MISMATCH, SOURCE, None)
        return IdentityCheck(MATCH, SOURCE, None if person.phone is None or phone is None else phone == person.phone)

    def is_guardian(self, guardian_id_number: str, minor_id_number: str) -> bool | None:
        with self._lock:
            person = self._people.get(_id(minor_id_number))
        if person is None or not person.guardians:
            return None  # the fake's population register does not know this child's family
        return _id(guardian_id_number) in person.guardians


verifier = FakeVerifier()
