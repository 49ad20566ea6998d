"""Replay protection: a jti is accepted once while its token lives, per process or shared."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import redis
import time_machine

from cds.auth import (
    AuthError,
    InMemoryReplayCache,
    JwtVerifier,
    RedisReplayCache,
    ReplayCacheUnavailableError,
)
from cds.auth.replay import replay_key
from tests.auth.conftest import SettingsFactory
from tests.auth.tokens import AUD, ISS, NOW, SigningKey, bearer
from tests.infra import free_port


def test_in_memory_cache_forgets_a_key_after_its_ttl() -> None:
    cache = InMemoryReplayCache(sweep_interval=0)
    with time_machine.travel(datetime.fromtimestamp(NOW, tz=UTC), tick=False) as clock:
        assert cache.add_if_absent("k", 60)
        assert not cache.add_if_absent("k", 60)
        clock.shift(59)
        assert not cache.add_if_absent("k", 60)
        clock.shift(2)
        assert cache.add_if_absent("k", 60)


def test_in_memory_cache_sweeps_expired_keys() -> None:
    cache = InMemoryReplayCache(sweep_interval=0)
    with time_machine.travel(datetime.fromtimestamp(NOW, tz=UTC), tick=False) as clock:
        for n in range(100):
            cache.add_if_absent(f"k{n}", 10)
        clock.shift(11)
        cache.add_if_absent("fresh", 10)
        assert len(cache) == 1


def test_in_memory_cache_lets_exactly_one_of_racing_threads_win() -> None:
    cache = InMemoryReplayCache()
    barrier = threading.Barrier(16)
    wins: list[bool] = []
    lock = threading.Lock()

    def race() -> None:
        barrier.wait()
        won = cache.add_if_absent("same-jti", 60)
        with lock:
            wins.append(won)

    threads = [threading.Thread(target=race) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 15 + [True]


def test_replay_keys_are_scoped_by_issuer_and_hashed() -> None:
    a = replay_key("https://a.example.org", "jti-1")
    b = replay_key("https://b.example.org", "jti-1")
    assert a != b
    assert a.startswith("lncds:jti:")
    assert len(a) == len("lncds:jti:") + 64
    assert "jti-1" not in a


@pytest.mark.redis
def test_replay_is_caught_across_two_workers_sharing_redis(
    redis_url: str, make_settings: SettingsFactory, es384_key: SigningKey
) -> None:
    """Two verifiers behind one Redis, in one process: the fast stand-in for two workers.
    The same with two real gunicorn workers is tests/trust/test_replay_workers.py."""
    settings = make_settings(es384_key, redis_url=redis_url)
    worker_a = JwtVerifier(settings)
    worker_b = JwtVerifier(settings)
    assert isinstance(worker_a.replay_cache, RedisReplayCache)
    token = bearer(es384_key.sign({"iat": int(time.time()), "exp": int(time.time()) + 300}))

    assert worker_a.verify(token, AUD).iss == ISS
    with pytest.raises(AuthError, match="replayed"):
        worker_b.verify(token, AUD)
    with pytest.raises(AuthError, match="replayed"):
        worker_a.verify(token, AUD)


@pytest.mark.redis
def test_redis_remembers_the_jti_until_the_token_expires_plus_skew(
    redis_url: str, make_settings: SettingsFactory, es384_key: SigningKey
) -> None:
    now = int(time.time())
    verifier = JwtVerifier(make_settings(es384_key, redis_url=redis_url))
    verifier.verify(bearer(es384_key.sign({"jti": "ttl-probe", "iat": now, "exp": now + 200})), AUD)

    ttl = redis.Redis.from_url(redis_url).ttl(replay_key(ISS, "ttl-probe"))
    assert 200 + 60 - 5 <= ttl <= 200 + 60 + 1


@pytest.mark.redis
def test_redis_cache_lets_exactly_one_of_racing_workers_win(redis_url: str) -> None:
    caches = [RedisReplayCache(redis_url) for _ in range(8)]
    barrier = threading.Barrier(len(caches))
    wins: list[bool] = []
    lock = threading.Lock()

    def race(cache: RedisReplayCache) -> None:
        barrier.wait()
        won = cache.add_if_absent("lncds:jti:race", 60)
        with lock:
            wins.append(won)

    threads = [threading.Thread(target=race, args=(c,)) for c in caches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for cache in caches:
        cache.close()
    assert sorted(wins) == [False] * 7 + [True]


def test_unreachable_redis_fails_closed(
    make_settings: SettingsFactory, es384_key: SigningKey
) -> None:
    dead_url = f"redis://127.0.0.1:{free_port()}/0"
    verifier = JwtVerifier(make_settings(es384_key, redis_url=dead_url))
    now = int(time.time())
    token = bearer(es384_key.sign({"iat": now, "exp": now + 60}))

    with pytest.raises(ReplayCacheUnavailableError):
        verifier.verify(token, AUD)
    with pytest.raises(ReplayCacheUnavailableError):
        verifier.ping()


ReadyCheck = Callable[[], None]


@pytest.mark.redis
def test_ping_succeeds_with_a_live_redis(
    redis_url: str, make_settings: SettingsFactory, es384_key: SigningKey
) -> None:
    verifier = JwtVerifier(make_settings(es384_key, redis_url=redis_url))
    check: ReadyCheck = verifier.ping
    check()
