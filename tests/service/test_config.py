"""Configuration: defaults in code, `LNCDS_*` overrides, validated once at start-up."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cds.config import Config, ConfigError


def test_defaults_need_no_environment() -> None:
    config = Config.from_env({})
    assert config.auth is True
    assert config.fhir_allowed_servers == ()
    assert config.fhir_allow_http is False
    assert config.fhir_max_response_bytes == 20_000_000
    assert config.lookback_years == 15
    assert config.profile == "kdigo-2024"
    assert config.demo is False


def test_environment_overrides_are_parsed() -> None:
    config = Config.from_env(
        {
            "LNCDS_AUTH": "off",
            "LNCDS_FHIR_ALLOWED_SERVERS": "https://a.example/fhir, https://b.example/r4",
            "LNCDS_FHIR_TIMEOUT_SECONDS": "1.5",
            "LNCDS_FHIR_MAX_PAGES": "7",
            "LNCDS_DEMO": "1",
            "LNCDS_TIMEZONE": "Europe/Paris",
            "LNCDS_PROFILE": "gu-2014",
            "LNCDS_SMART_LAUNCH_URL": "https://cds.example.org/smart/launch",
            "LNCDS_CORS_ORIGINS": "https://ehr.example.org",
            "UNRELATED": "x",
        }
    )
    assert config.auth is False
    assert config.fhir_allowed_servers == ("https://a.example/fhir", "https://b.example/r4")
    assert config.fhir_timeout_seconds == 1.5
    assert config.fhir_max_pages == 7
    assert config.demo is True
    assert config.timezone == "Europe/Paris"
    assert config.profile == "gu-2014"
    assert config.cors_origins == ("https://ehr.example.org",)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LNCDS_AUTH": "maybe"}, "LNCDS_AUTH"),
        ({"LNCDS_AUTH": "0"}, "LNCDS_AUTH"),
        ({"LNCDS_AUTH": "false"}, "LNCDS_AUTH"),
        ({"LNCDS_FHIR_MAX_PAGES": "many"}, "LNCDS_FHIR_MAX_PAGES"),
        ({"LNCDS_FHIR_BUDGET_SECONDS": "0"}, "LNCDS_FHIR_BUDGET_SECONDS"),
        ({"LNCDS_TIMEZONE": "Mars/Olympus"}, "LNCDS_TIMEZONE"),
        ({"LNCDS_PROFILE": "eular"}, "LNCDS_PROFILE"),
        ({"LNCDS_FHIR_ALLOWED_SERVERS": "ehr.example.org"}, "LNCDS_FHIR_ALLOWED_SERVERS"),
        ({"LNCDS_FHIR_ALLOWED_SERVERS": "http://ehr.example.org/fhir"}, "LNCDS_FHIR_ALLOW_HTTP"),
        (
            {"LNCDS_FHIR_ALLOWED_SERVERS": "https://u:p@ehr.example.org"},
            "LNCDS_FHIR_ALLOWED_SERVERS",
        ),
        ({"LNCDS_CORS_ORIGINS": "*"}, "LNCDS_CORS_ORIGINS"),
        ({"LNCDS_SMART_LAUNCH_URL": "/smart/launch"}, "LNCDS_SMART_LAUNCH_URL"),
        ({"LNCDS_LOG_LEVEL": "chatty"}, "LNCDS_LOG_LEVEL"),
    ],
)
def test_invalid_values_stop_start_up_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Config.from_env(env)


def test_http_fhir_server_allowed_only_with_the_local_testing_flag() -> None:
    config = Config.from_env(
        {"LNCDS_FHIR_ALLOWED_SERVERS": "http://localhost:8080/fhir", "LNCDS_FHIR_ALLOW_HTTP": "1"}
    )
    assert config.fhir_allow_http is True


def test_config_is_frozen() -> None:
    config = Config()
    with pytest.raises(AttributeError):
        config.auth = False  # type: ignore[misc]


def test_today_is_the_date_in_the_configured_zone() -> None:
    late_evening_utc = datetime(2025, 3, 13, 23, 30, tzinfo=UTC)
    assert Config(timezone="UTC", clock=lambda: late_evening_utc).today() == date(2025, 3, 13)
    auckland = Config(timezone="Pacific/Auckland", clock=lambda: late_evening_utc)
    assert auckland.today() == date(2025, 3, 14)
    honolulu = Config(timezone="Pacific/Honolulu", clock=lambda: late_evening_utc)
    assert honolulu.today() == date(2025, 3, 13)


def test_a_naive_clock_is_refused() -> None:
    with pytest.raises(ConfigError):
        Config(clock=lambda: datetime(2025, 3, 14)).today()


def test_lncds_as_of_pins_the_assessment_date_whatever_the_clock() -> None:
    config = Config.from_env({"LNCDS_AS_OF": "2020-02-29"})
    assert config.as_of == date(2020, 2, 29)
    later = config.with_overrides(clock=lambda: datetime(2031, 1, 1, tzinfo=UTC))
    assert later.today() == date(2020, 2, 29)


@pytest.mark.parametrize("raw", ["2020-02-30", "2020-2-29", "20200229", "2020-02-29T12:00", "soon"])
def test_lncds_as_of_must_be_a_calendar_date(raw: str) -> None:
    with pytest.raises(ConfigError, match="LNCDS_AS_OF"):
        Config.from_env({"LNCDS_AS_OF": raw})


def test_without_lncds_as_of_today_follows_the_clock() -> None:
    noon = datetime(2025, 3, 13, 12, 0, tzinfo=UTC)
    assert Config.from_env({}).with_overrides(clock=lambda: noon).today() == date(2025, 3, 13)


def test_by_default_every_discovery_query_is_fetched_at_once() -> None:
    """Self-fetch runs the queries in parallel: none should wait for a free worker."""
    from cds.web.lupus_nephritis import prefetch_templates  # noqa: PLC0415

    assert Config().fhir_workers >= len(prefetch_templates())
