"""`make mail` (statuspage.devmail): messages sent the way the site sends them, over a real aiosmtpd on
loopback, print decoded, so long links arrive whole."""
from __future__ import annotations

import io
import queue
import signal
import smtplib
import subprocess
import sys
import threading
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from statuspage.devmail import Printer
from statuspage.notify.channels.email import SmtpSettings, send_email
from tests.servers import ROOT, free_port

LINK = ("https://status.example.com/subscribe/confirm/"
        "eyJzIjoxMiwiZSI6ImFuYUBleGFtcGxlLmNvbSJ9.Zx3lQw.kP0fXr2n7VbQ9sT1uYw4eLmA6cJhD8gNzR5oK3iF_aB")


def send(port: int, *, text: str, html: str | None = None, subject: str = "Bestätigen Sie Ihr Abonnement") -> None:
    """One message as statuspage sends it: quoted-printable text (and HTML) parts."""
    send_email(SmtpSettings(port=port), to="ana@example.com", subject=subject, text=text, html=html,
               headers={"Content-Language": "de", "List-Unsubscribe": f"<{LINK}>"},
               message_id="<1@status.example.com>")


def test_a_quoted_printable_message_prints_decoded_with_its_links_whole():
    out = io.StringIO()
    controller = Controller(Printer(out), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        send(controller.port, text=f"Bitte bestätigen Sie über diesen Link:\n{LINK}\n\n-- \nGrüße",
             html=f'<p>Bitte <a href="{LINK}">bestätigen</a> Sie.</p>')
    finally:
        controller.stop()
    printed = out.getvalue()
    assert LINK in printed.splitlines()  # on a line of its own, uncut
    assert "Subject: Bestätigen Sie Ihr Abonnement" in printed and "Bitte bestätigen Sie" in printed
    assert "To: ana@example.com" in printed and f"List-Unsubscribe: <{LINK}>" in printed
    assert "=\n" not in printed and "=C3=A4" not in printed and "=?utf-8?" not in printed
    assert "[an HTML version too:" in printed and "<a href" not in printed


def test_printed_lines_end_in_newlines_only_so_a_copied_link_keeps_no_carriage_return():
    out = io.StringIO()
    controller = Controller(Printer(out), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        send(controller.port, text=f"Bitte bestätigen Sie über diesen Link:\n{LINK}\n\n-- \nGrüße")
    finally:
        controller.stop()
    printed = out.getvalue()
    assert "\r" not in printed
    assert LINK in printed.split("\n")  # what `grep -o` copies: the link, nothing after it


def test_a_message_with_only_html_prints_the_html():
    out = io.StringIO()
    controller = Controller(Printer(out), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = "HTML only", "a@example.com", "b@example.com"
        message.set_content(f'<p><a href="{LINK}">{LINK}</a></p>', subtype="html", cte="quoted-printable")
        with smtplib.SMTP("127.0.0.1", controller.port) as client:
            client.send_message(message)
    finally:
        controller.stop()
    assert f'<a href="{LINK}">' in out.getvalue()


@pytest.mark.slow
def test_python_m_statuspage_devmail_listens_and_prints_each_message():
    port = free_port()
    with subprocess.Popen([sys.executable, "-m", "statuspage.devmail", "--port", str(port)], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as server:
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(line.rstrip("\n")) for line in server.stdout])
        reader.start()
        try:
            banner = lines.get(timeout=20)  # written once it listens
            assert f"127.0.0.1:{port}" in banner, banner
            send(port, text=f"Confirm:\n{LINK}\n", subject="Confirm your subscription")
            seen: list[str] = []
            while LINK not in seen:
                seen.append(lines.get(timeout=10))
            assert "Subject: Confirm your subscription" in seen
        finally:
            server.send_signal(signal.SIGINT)
            code = server.wait(10)
            reader.join(10)
    assert code == 0, list(lines.queue)
