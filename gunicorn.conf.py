"""gunicorn for production: `gunicorn -c gunicorn.conf.py` (README: "Running in production").

One uvicorn worker per core (statuspage/web/server.py says why): each is one event loop that parses
HTTP in C, keeps browser and proxy connections alive, and answers cached pages itself; requests the
cache cannot answer go to STATUSPAGE_WEB_THREADS threads running Flask. More processes than cores only
adds switching: a worker never blocks on a slow client or the database. Every setting can be
overridden with GUNICORN_CMD_ARGS or the STATUSPAGE_* variables below.
"""
import multiprocessing
import os

wsgi_app = "statuspage.web.server:application()"
worker_class = "statuspage.web.server.Worker"
bind = os.environ.get("STATUSPAGE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("STATUSPAGE_WORKERS", multiprocessing.cpu_count()))
keepalive = 30               # seconds an idle kept-alive connection stays open (behind a proxy: longer than its)
timeout = 30                 # a worker silent this long is restarted
graceful_timeout = 20
max_requests = 0             # no recycling: the caches are bounded, and a restart drops its kept-alive clients
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # heartbeat file off the disk
accesslog = os.environ.get("STATUSPAGE_ACCESS_LOG") or None  # "-" for stdout; off by default (the proxy logs)
errorlog = "-"
control_socket_disable = True   # ~/.gunicorn/gunicorn.ctl is one path per user: two sites would take it from each other
loglevel = os.environ.get("STATUSPAGE_LOG_LEVEL", "info")
