"""The server-side store behind the SMART session cookie."""

from __future__ import annotations

from cds.views.session_store import SessionStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ids_are_long_random_and_distinct() -> None:
    store = SessionStore()
    ids = {store.create({}) for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) >= 40 for i in ids)


def test_entries_expire_after_their_time_to_live() -> None:
    clock = FakeClock()
    store = SessionStore(ttl_seconds=60, clock=clock)
    sid = store.create({"patient": "p1"})
    clock.now += 59.9
    assert store.get(sid) == {"patient": "p1"}
    clock.now += 0.1
    assert store.get(sid) is None
    assert len(store) == 0


def test_update_keeps_the_original_expiry_and_fails_once_expired() -> None:
    clock = FakeClock()
    store = SessionStore(ttl_seconds=60, clock=clock)
    sid = store.create({"step": 1})
    clock.now += 30
    assert store.update(sid, {"step": 2})
    clock.now += 30
    assert store.get(sid) is None
    assert not store.update(sid, {"step": 3})


def test_returned_data_is_a_copy() -> None:
    store = SessionStore()
    sid = store.create({"a": 1})
    data = store.get(sid)
    assert data is not None
    data["a"] = 2
    assert store.get(sid) == {"a": 1}


def test_unknown_or_missing_ids_give_nothing() -> None:
    store = SessionStore()
    assert store.get(None) is None
    assert store.get("") is None
    assert store.get("not-an-id") is None
    store.delete(None)
    store.delete("not-an-id")


def test_the_store_is_bounded_dropping_the_entry_closest_to_expiry() -> None:
    clock = FakeClock()
    store = SessionStore(ttl_seconds=60, max_entries=2, clock=clock)
    first = store.create({"n": 1})
    clock.now += 1
    second = store.create({"n": 2})
    third = store.create({"n": 3})
    assert store.get(first) is None
    assert store.get(second) == {"n": 2}
    assert store.get(third) == {"n": 3}


def test_an_entry_can_be_given_a_shorter_life_but_never_a_longer_one() -> None:
    clock = FakeClock()
    store = SessionStore(ttl_seconds=60, clock=clock)
    short = store.create({"token": "expires soon"}, ttl_seconds=10)
    long = store.create({"token": "expires late"}, ttl_seconds=3600)
    clock.now += 10
    assert store.get(short) is None
    assert store.get(long) is not None
    clock.now += 50
    assert store.get(long) is None
    assert store.lifetime(None) == 60
    assert store.lifetime(-5) == 0
