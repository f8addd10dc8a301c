"""Many clients reading the status page at once through the production server (gunicorn.conf.py: uvicorn
workers answering cache hits on their event loop, Flask on a thread pool for the rest): no crash, no error.

Kept-alive clients, as browsers are, asking for cached pages and for pages that bypass the cache (an
unknown query argument), so both paths run side by side. A crashed or stuck worker shows here as a
reset connection or a non-200 answer.
"""
import http.client
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.builders import make_component, make_group, make_incident
from tests.servers import production_server

CLIENTS = 32
REQUESTS = 1600


@pytest.mark.slow
def test_the_production_server_answers_many_concurrent_reads(app, database_url, tmp_path):
    with app.app_context():
        group = make_group()
        for n in range(40):
            make_component(f"service-{n}", group=group)
        for n in range(10):
            make_incident(f"Incident {n}", components_={f"service-{n}": "partial_outage"})
    paths = ["/", "/api/v2/summary.json", "/components/service-1", "/history", "/?from=mail",
             "/components/service-2?from=mail"]

    def client(port: int) -> list[str]:
        """One browser-like client: a kept-alive connection, requests one after another."""
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        answers = []
        for k in range(REQUESTS // CLIENTS):
            try:
                connection.request("GET", paths[k % len(paths)])
                response = connection.getresponse()
                response.read()
                answers.append(str(response.status))
            except (OSError, http.client.HTTPException) as error:
                answers.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.close()
        return answers

    with production_server(database_url, tmp_path) as base:
        port = int(base.rsplit(":", 1)[1])
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = [answer for answers in pool.map(client, [port] * CLIENTS) for answer in answers]
    failures = [answer for answer in answers if answer != "200"]
    assert not failures, f"{len(failures)} failed, e.g. {failures[:3]}"
