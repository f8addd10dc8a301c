"""The wheel carries everything an installed statuspage needs, and works without the checkout."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[2]
EXPECTED_IN_WHEEL = [
    "statuspage/templates/base.html",
    "statuspage/static/style.css",
    "statuspage/migrations/env.py",
    "statuspage/translations/de/LC_MESSAGES/messages.mo",
    "statuspage/translations/fr/LC_MESSAGES/messages.mo",
]
BANNER = "All systems operational"  # what an empty page says

# Runs with the fresh venv's python, from a directory that is not the checkout.
SMOKE = """
import json, sys
import statuspage
from statuspage import create_app

app = create_app()
client = app.test_client()
pages = {path: client.get(path) for path in ("/", "/static/style.css", "/?lang=de")}
json.dump({"package_file": statuspage.__file__,
           "status": {path: response.status_code for path, response in pages.items()},
           "css_bytes": len(pages["/static/style.css"].data),
           "english": pages["/"].get_data(as_text=True),
           "german": pages["/?lang=de"].get_data(as_text=True)}, sys.stdout)
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(os.environ.get("STATUSPAGE_TEST_DATABASE_URL")),
                       reason="packaging does not depend on the database; the SQLite pass covers it"),
]


def run(command: list, *, cwd: Path, env: dict | None = None, timeout: int = 60) -> str:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def clean_environment(venv: Path, instance_dir: Path) -> dict:
    """The caller's environment without any statuspage setting or Python path, the fresh venv first on PATH."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("STATUSPAGE_", "PYTHON", "VIRTUAL_ENV", "FLASK_"))}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               STATUSPAGE_INSTANCE_DIR=str(instance_dir), PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def german_banner() -> str:
    """The German for the empty page's banner, as the checkout's catalogue has it ("" while untranslated)."""
    with (REPO / "statuspage/translations/de/LC_MESSAGES/messages.po").open("rb") as po_file:
        message = read_po(po_file).get(BANNER)
    return message.string if message and message.string else ""


def test_the_wheel_installs_into_a_fresh_venv_and_serves_pages_without_the_checkout(tmp_path):
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--outdir", dist], cwd=REPO, timeout=120)
    (wheel,) = dist.glob("statuspage-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = [name for name in EXPECTED_IN_WHEEL if name not in names]
    assert not missing, f"missing from {wheel.name}: {missing}"
    assert any(name.startswith("statuspage/migrations/versions/") and name.endswith(".py") for name in names), \
        "no migration under statuspage/migrations/versions/ in the wheel"

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"  # not the checkout: nothing here to import or to read templates from
    elsewhere.mkdir()
    env = clean_environment(venv, tmp_path / "instance")
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], cwd=elsewhere, env=env, timeout=180)

    assert "Database ready" in run([venv / "bin" / "statuspage", "init-db"], cwd=elsewhere, env=env)
    (elsewhere / "smoke.py").write_text(SMOKE)
    seen = json.loads(run([venv / "bin" / "python", "smoke.py"], cwd=elsewhere, env=env))

    assert Path(seen["package_file"]).resolve().is_relative_to(venv.resolve()), seen["package_file"]
    assert seen["status"] == {"/": 200, "/static/style.css": 200, "/?lang=de": 200}
    assert seen["css_bytes"] > 0
    assert BANNER in seen["english"]
    assert '<html lang="de">' in seen["german"]
    # The German catalogue is being written alongside; while the banner has no translation yet this
    # last check cannot pass, so the test reports itself as an expected failure with the reason.
    expected = german_banner()
    if not expected:
        pytest.xfail(f"the German catalogue has no translation of {BANNER!r} yet; the .mo files do ship")
    assert expected in seen["german"] and BANNER not in seen["german"]
