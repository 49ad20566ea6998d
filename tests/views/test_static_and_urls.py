"""Vendored assets are what their README says; the views' URL paths (card links: see
test_card_links.py)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask

from cds.views import DEMO_TREND_PATH, SMART_LAUNCH_PATH
from cds.views.blueprint import STATIC_DIR, create_views_blueprint
from cds.views.settings import ViewsSettings

VENDOR = STATIC_DIR / "vendor"


def test_vendored_chartjs_is_byte_identical_to_the_recorded_npm_file() -> None:
    readme = (VENDOR / "README.md").read_text("utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| Chart.js"))
    recorded = re.findall(r"`([0-9a-f]{64})`", row)[0]
    path = VENDOR / "chartjs" / "chart.umd.min.js"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == recorded
    version = re.findall(r"\| (\d+\.\d+\.\d+) \|", row)[0]
    assert path.read_text("utf-8").startswith(f"/*!\n * Chart.js v{version}\n")
    assert (VENDOR / "chartjs" / "LICENSE.md").read_text("utf-8").startswith("The MIT License")


def test_static_files_are_served_from_our_origin() -> None:
    app = Flask(__name__)
    app.register_blueprint(create_views_blueprint(ViewsSettings()))
    client = app.test_client()
    for name in ("vendor/chartjs/chart.umd.min.js", "views/trend.js", "views/views.css"):
        response = client.get(f"/views/static/{name}")
        assert response.status_code == 200, name
        response.close()


def test_our_scripts_never_inject_raw_html_except_the_sanitised_markdown() -> None:
    scripts = {p.name: p.read_text("utf-8") for p in Path(STATIC_DIR, "views").glob("*.js")}
    uses = {name: text.count("innerHTML") for name, text in scripts.items()}
    assert uses == {"trend.js": 0, "demo-ehr.js": 1}
    assert "container.innerHTML = body.html;" in scripts["demo-ehr.js"]
    assert all("eval(" not in text for text in scripts.values())


def test_the_url_paths_the_service_and_the_docs_use() -> None:
    assert DEMO_TREND_PATH.format(patient_id="x") == "/demo/patients/x/trend"
    assert SMART_LAUNCH_PATH == "/smart/launch"
