"""The cached read path against nginx serving the same bytes as a static file, in the same run.

Builds the bench_http page (100 components, 20 open incidents), starts gunicorn with gunicorn.conf.py,
saves the rendered `/` to a file that nginx serves (keep-alive on, as for gunicorn), and runs wrk
against: nginx's static file, `/` from the cache (200, gzip as a browser asks), and `/` with the
client's ETag (304), at each connection count. Also reports what a first view of `/` transfers.

    .venv/bin/python bench/bench_cache.py                       # SQLite in a temporary folder
    .venv/bin/python bench/bench_cache.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
Needs Debian's wrk and nginx (apt-get install wrk nginx-light).
"""
from __future__ import annotations

import argparse
import gzip
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_http import build_site, run_wrk, start_gunicorn, wait_until_up  # noqa: E402

NGINX_CONF = """
worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 30;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        location / {{ default_type text/html; }}
        location = /gz.html {{ default_type text/html; add_header Content-Encoding gzip; }}
    }}
}}
"""


def fetch(url: str, headers: dict | None = None) -> tuple[bytes, Message]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read(), response.headers


def first_view_bytes(base: str) -> dict:
    """What a browser's first visit of `/` transfers with gzip: the page and everything it links."""
    page, headers = fetch(base + "/", {"Accept-Encoding": "gzip"})
    html = gzip.decompress(page).decode() if headers.get("Content-Encoding") == "gzip" else page.decode()
    assets = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html)))
    sizes = {"/": len(page)}
    for asset in assets:
        body, asset_headers = fetch(base + asset, {"Accept-Encoding": "gzip"})
        sizes[asset] = len(body) if asset_headers.get("Content-Encoding") == "gzip" else len(gzip.compress(body))
    third_party = re.findall(r'(?:href|src)="(https?://[^"]+)"', html)
    return {"sizes": sizes, "total": sum(sizes.values()), "third_party": third_party, "html_bytes": len(html)}


PAGE_HOST = "shop.bench.example"  # a second page, chosen by its Host (web/page_choice.py)


def add_host_page(database_url: str, instance: Path) -> None:
    """A second page with half the components, reached by its host name: its cached `/` should cost what
    the default page's does (the page is chosen from memory, before the cache)."""
    from statuspage import clock, create_app
    from statuspage.extensions import db
    from statuspage.models import Component, Page, PageComponent

    app = create_app({"database_url": database_url, "instance_dir": instance})
    now = clock.now()
    with app.app_context():
        page = Page(slug="shop", name="Shop", host=PAGE_HOST, created_at=now, updated_at=now)
        db.session.add(page)
        db.session.flush()
        ids = db.session.scalars(db.select(Component.id).order_by(Component.id)).all()
        db.session.add_all(PageComponent(page_id=page.id, component_id=id_) for id_ in ids[::2])
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--components", type=int, default=100)
    parser.add_argument("--open-incidents", type=int, default=20)
    parser.add_argument("--connections", default="64,256")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (and nginx worker processes)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--nginx-port", type=int, default=8766)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk nginx-light")
    with_nginx = bool(shutil.which("nginx") or Path("/usr/sbin/nginx").exists())
    if not with_nginx:
        print("nginx not found (apt-get install nginx-light): the app's figures alone, no share of nginx")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        work.chmod(0o755)  # nginx's workers run as another user and must read www/
        database_url = args.database_url or f"sqlite:///{work / 'bench.db'}"
        build_site(database_url, work, args.components, args.open_incidents)
        add_host_page(database_url, work)
        gunicorn = start_gunicorn(database_url, work, args.port, args.workers)
        base = f"http://127.0.0.1:{args.port}"
        (work / "www").mkdir()
        (work / "nginx.conf").write_text(NGINX_CONF.format(workers=args.workers, dir=work, port=args.nginx_port))
        nginx = None
        try:
            wait_until_up(base + "/")
            page, headers = fetch(base + "/")
            (work / "www" / "index.html").write_bytes(page)
            (work / "www" / "gz.html").write_bytes(fetch(base + "/", {"Accept-Encoding": "gzip"})[0])
            if with_nginx:
                nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(work / "nginx.conf"),
                                          "-g", "daemon off;"])
                wait_until_up(f"http://127.0.0.1:{args.nginx_port}/")
            view = first_view_bytes(base)
            print(f"first view of /: {view['total']} bytes transferred with gzip {view['sizes']}, "
                  f"{view['html_bytes']} bytes of HTML, third-party requests: {view['third_party'] or 'none'}")
            etag = headers["ETag"]
            wrk_script = work / "etag.lua"
            wrk_script.write_text(f'wrk.headers["If-None-Match"] = \'{etag}\'\n')
            gzip_script = work / "gzip.lua"
            gzip_script.write_text('wrk.headers["Accept-Encoding"] = "gzip, deflate, br"\n')
            host_script = work / "host.lua"
            host_script.write_text(f'wrk.headers["Accept-Encoding"] = "gzip, deflate, br"\n'
                                   f'wrk.headers["Host"] = "{PAGE_HOST}"\n')
            assert b"Shop" in fetch(base + "/", {"Host": PAGE_HOST})[0], "the host page is not served"
            for url in (base + "/", f"http://127.0.0.1:{args.nginx_port}/")[:2 if with_nginx else 1]:
                run_wrk(url, 8, 2, 1)  # warm up
            for connections in map(int, args.connections.split(",")):
                nginx_gzip = nginx_result = None
                if with_nginx:
                    nginx_gzip = run_wrk(f"http://127.0.0.1:{args.nginx_port}/gz.html", connections, args.seconds, 2)
                    nginx_result = run_wrk(f"http://127.0.0.1:{args.nginx_port}/", connections, args.seconds, 2)
                cached = run_wrk(base + "/", connections, args.seconds, 2, script=gzip_script)
                unchanged = run_wrk(base + "/", connections, args.seconds, 2, script=wrk_script)
                host_page = run_wrk(base + "/", connections, args.seconds, 2, script=host_script)
                for label, result in (("nginx, the same gzip", nginx_gzip), ("nginx, plain HTML", nginx_result),
                                      ("/ cached (gzip)", cached), ("/ with ETag (304)", unchanged),
                                      ("/ of a host page", host_page)):
                    if result is None:
                        continue
                    share = f"{100 * result['rps'] / nginx_gzip['rps']:5.1f}%" if nginx_gzip else "  n/a"
                    print(f"{connections:4d} conns  {label:20s} {result['rps']:10.0f} req/s  p50 {result['p50_ms']:7.2f} ms"
                          f"  p99 {result['p99_ms']:7.2f} ms  {share} of nginx (gzip)  non-2xx/3xx "
                          f"{result['non_2xx']} {result['socket_errors']}")
        finally:
            if nginx is not None:
                nginx.send_signal(signal.SIGQUIT)
                nginx.wait(timeout=10)
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)


if __name__ == "__main__":
    main()
