"""Schemathesis fuzzes the management API on a live server from its own OpenAPI document.

No 500s, no response that breaks the documented schema, status codes and content types as documented,
and schema-violating requests refused. Business rules may still refuse schema-valid data with 422
(an unknown component slug, a window that ends before it starts), so positive_data_acceptance is not asked.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from statuspage import clock
from statuspage.services import accounts
from statuspage.demo import load_demo
from tests.builders import SYSTEM
from tests.servers import live_server

CHECKS = ("not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance,"
          "response_headers_conformance,negative_data_rejection")


@pytest.mark.slow
def test_schemathesis_finds_no_server_errors_or_schema_breaks(app, tmp_path):
    st = Path(sys.executable).with_name("st")
    if not st.exists():
        st = shutil.which("st")
    assert st, "schemathesis is part of the test extras"
    with app.app_context():
        load_demo(now=clock.now())
        _, token = accounts.create_token(role="admin", label="schemathesis", by=SYSTEM, now=clock.now())
    with live_server(app) as base:
        result = subprocess.run(
            [str(st), "run", f"{base}/api/v1/openapi.json", "--header", f"Authorization: Bearer {token}",
             "--checks", CHECKS, "--max-examples", "15", "--generation-deterministic",
             "--phases", "examples,coverage,fuzzing", "--request-timeout", "10", "--workers", "1",
             "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
