"""The views follow the service's settings: the same assessment date, a SMART link that works."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask

from cds.config import Config, ConfigError
from cds.demo import DEMO_AS_OF
from cds.views import register_views, settings_from_config
from cds.web.app import create_app

LATER = datetime(2031, 5, 1, 9, 0, tzinfo=UTC)


def test_views_assess_on_the_fixed_date_the_hook_uses() -> None:
    config = Config(auth=False, as_of=date(2026, 11, 1), clock=lambda: LATER)
    assert settings_from_config(config, {}).today() == date(2026, 11, 1) == config.today()


def test_without_a_fixed_date_views_take_today_from_the_clock() -> None:
    config = Config(auth=False, clock=lambda: LATER)
    assert settings_from_config(config, {}).today() == date(2031, 5, 1) == config.today()


def test_views_refuse_a_naive_clock_as_the_hook_does() -> None:
    config = Config(auth=False, clock=lambda: LATER.replace(tzinfo=None))
    for today in (config.today, settings_from_config(config, {}).today):
        with pytest.raises(ConfigError, match="aware datetime"):
            today()


def test_the_demo_is_assessed_as_of_its_cohort_date_without_the_as_of_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = create_app(Config(auth=False, demo=True)).extensions["ln_cds"]["config"]
    assert config.today() == DEMO_AS_OF == settings_from_config(config, {}).today()
    assert "LNCDS_AS_OF" not in caplog.text


def test_the_demo_keeps_an_injected_clock_or_date(caplog: pytest.LogCaptureFixture) -> None:
    clocked = Config(auth=False, demo=True, clock=lambda: LATER)
    assert create_app(clocked).extensions["ln_cds"]["config"].today() == date(2031, 5, 1)
    dated = Config(auth=False, demo=True, as_of=date(2027, 1, 1))
    assert create_app(dated).extensions["ln_cds"]["config"].today() == date(2027, 1, 1)
    assert "assessed as of 2027-01-01 (LNCDS_AS_OF)" in caplog.text


def test_a_smart_link_to_our_own_launch_without_a_smart_client_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LNCDS_SMART_CLIENT_ID", raising=False)
    config = Config(
        auth=False,
        public_url="https://cds.example.org",
        smart_launch_url="https://cds.example.org/smart/launch",
    )
    with pytest.raises(ConfigError, match="LNCDS_SMART_CLIENT_ID"):
        register_views(Flask(__name__), config)


def test_a_smart_link_to_our_own_launch_with_a_smart_client_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LNCDS_SMART_CLIENT_ID", "ln-cds")
    config = Config(
        auth=False,
        public_url="https://cds.example.org",
        smart_launch_url="https://cds.example.org/smart/launch",
    )
    app = create_app(config)
    assert any(rule.rule == "/smart/launch" for rule in app.url_map.iter_rules())


def test_a_smart_link_to_another_apps_launch_needs_no_client_of_ours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LNCDS_SMART_CLIENT_ID", raising=False)
    config = Config(
        auth=False,
        public_url="https://cds.example.org",
        smart_launch_url="https://trends.example.org/smart/launch",
    )
    app = create_app(config)
    assert not any(rule.rule == "/smart/launch" for rule in app.url_map.iter_rules())
