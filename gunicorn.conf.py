"""gunicorn for production: `gunicorn -c gunicorn.conf.py wsgi:app` (README: "Running in production").

gthread workers: one process per core, each with a pool of threads, so kept-alive browser and proxy
connections are served without a process per connection, and a slow client never blocks a worker.
Cached pages cost a few hundred microseconds of Python each, so processes (not threads) give the
throughput; threads cover the waits (database, slow clients). Every setting can be overridden with
GUNICORN_CMD_ARGS or the STATUSPAGE_* variables below.
"""
import multiprocessing
import os

bind = os.environ.get("STATUSPAGE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("STATUSPAGE_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("STATUSPAGE_THREADS", "8"))
keepalive = 30               # seconds an idle kept-alive connection stays open (behind a proxy: longer than its)
timeout = 30                 # a worker silent this long is restarted
graceful_timeout = 20
max_requests = 20_000        # recycle workers now and then, with jitter so they do not restart together
max_requests_jitter = 2_000
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # heartbeat file off the disk
forwarded_allow_ips = os.environ.get("STATUSPAGE_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("STATUSPAGE_ACCESS_LOG") or None  # "-" for stdout; off by default (the proxy logs)
errorlog = "-"
loglevel = os.environ.get("STATUSPAGE_LOG_LEVEL", "info")
