"""gunicorn for production: `gunicorn -c gunicorn.conf.py wsgi:app` (README: "Running in production").

gthread workers: two processes per core, each with a few threads, so kept-alive browser and proxy
connections are served without a process per connection, and a slow client never blocks a worker.
Cached pages cost a few hundred microseconds of Python each, so processes (not threads, which share
one interpreter lock) give the throughput; threads cover the waits (database, slow clients). On this
2-core machine 4 x 4 answered cached pages ~1.5-2x faster than 2 x 8 at 256 connections (bench/). Every setting can be overridden with
GUNICORN_CMD_ARGS or the STATUSPAGE_* variables below.
"""
import multiprocessing
import os

bind = os.environ.get("STATUSPAGE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("STATUSPAGE_WORKERS", 2 * multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("STATUSPAGE_THREADS", "4"))
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
