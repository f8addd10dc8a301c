"""The README's copy-paste setup for Alertmanager, checked by Alertmanager's own tool (amtool, from Debian's
prometheus-alertmanager), and every STATUSPAGE_ variable the README names, checked against the settings."""
from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from statuspage.config import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
AMTOOL = shutil.which("amtool")


def _yaml_block(containing: str) -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", README, flags=re.S)
    [block] = [b for b in blocks if containing in b]
    return block


@pytest.mark.skipif(AMTOOL is None, reason="amtool comes with Debian's prometheus-alertmanager (make test installs it)")
def test_the_readme_alertmanager_receiver_is_valid_and_routes_only_labelled_alerts_to_us(tmp_path):
    config = tmp_path / "alertmanager.yml"
    config.write_text(_yaml_block("webhook_configs").replace("sp_…", "sp_0123456789abcdef"))
    checked = subprocess.run([AMTOOL, "check-config", str(config)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout and " - 2 receivers" in checked.stdout

    def receivers(*labels: str) -> str:
        routed = subprocess.run([AMTOOL, "config", "routes", "test", f"--config.file={config}", *labels],
                                capture_output=True, text=True, timeout=60)
        assert routed.returncode == 0, routed.stdout + routed.stderr
        return routed.stdout.strip()

    # A labelled alert reaches us and (continue: true) the usual receivers too; an unlabelled one only those.
    assert receivers("alertname=ApiDown", "statuspage_component=api") == "statuspage,default"
    assert receivers("alertname=DiskFull") == "default"


def test_the_readme_prometheus_rule_labels_what_the_endpoint_reads():
    rule = _yaml_block("statuspage_status: major_outage")
    assert "statuspage_component: api" in rule and "alert: ApiDown" in rule


def test_every_setting_the_readme_names_exists():
    names = set(re.findall(r"(?<![/.])STATUSPAGE_[A-Z0-9_]+(?!\.md)", README))  # not docs/STATUSPAGE_V2.md
    known = {f"STATUSPAGE_{field.name.upper()}" for field in dataclasses.fields(Settings)}
    elsewhere = set()
    for path in [ROOT / "statuspage" / "config.py", ROOT / "gunicorn.conf.py", ROOT / "Makefile",
                 *(ROOT / "tests").glob("**/conftest.py"), *(ROOT / "statuspage").glob("**/*.py")]:
        elsewhere |= set(re.findall(r"STATUSPAGE_[A-Z0-9_]+", path.read_text()))
    assert sorted(name for name in names if name not in known | elsewhere) == []
    for name in ("STATUSPAGE_ZENDESK_SUBDOMAIN", "STATUSPAGE_ZENDESK_EMAIL", "STATUSPAGE_ZENDESK_TOKEN",
                 "STATUSPAGE_FRESHDESK_URL", "STATUSPAGE_FRESHDESK_API_KEY", "STATUSPAGE_ZAMMAD_URL",
                 "STATUSPAGE_ZAMMAD_TOKEN", "STATUSPAGE_ZAMMAD_GROUP", "STATUSPAGE_GRAFANA_SECRET",
                 "STATUSPAGE_INTAKE_SECRET", "STATUSPAGE_ALERT_URLS", "STATUSPAGE_MAINTENANCE_REMINDER_MINUTES"):
        assert name in names and name in known | elsewhere, name
