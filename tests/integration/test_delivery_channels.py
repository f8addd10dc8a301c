"""The email and webhook channels against real local servers: an aiosmtpd SMTP server and an HTTP receiver."""
from __future__ import annotations

import json
import ssl
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from statuspage.notify.channels import DeliveryError
from statuspage.notify.channels.email import SmtpSettings, send_email
from statuspage.notify.channels.webhook import (
    SIGNATURE_HEADER,
    check_url,
    parse_signature_header,
    post_webhook,
    signature,
    verify,
)
from tests.servers import Inbox, free_port, smtp_server

SUBJECT_DE = "Störung behoben: „Zahlungen“ wieder verfügbar"
SUBJECT_FR = "Incident résolu : « Paiements » à nouveau disponibles, déjà vérifié"
LIST_HEADERS = {  # a real unsubscribe token is long: the URL must still arrive in one piece
    "List-Unsubscribe": "<https://status.example.com/unsubscribe/" + "eyJzIjo3LCJ1IjoiYWJjIn0" * 4 + ">",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    "List-Id": "Störungsseite Müller <status.example.com>",
    "Auto-Submitted": "auto-generated",
    "Content-Language": "de",
}
MESSAGE_ID = "<update-42.sub-7@status.example.com>"


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="module")
def server_tls(ca) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def send(settings: SmtpSettings, *, to: str = "ana@example.com", subject: str = SUBJECT_DE,
         headers: dict[str, str] | None = None, text: str = "Zahlungen funktionieren wieder. Grüße!",
         html: str = "<p>Zahlungen funktionieren <b>wieder</b>. Grüße!</p>") -> None:
    send_email(settings, to=to, subject=subject, text=text, html=html,
               headers=LIST_HEADERS if headers is None else headers, message_id=MESSAGE_ID)


def test_an_email_arrives_as_text_and_html_alternatives_with_its_headers():
    inbox = Inbox()
    with smtp_server(inbox) as server:
        send(SmtpSettings(port=server.port, mail_from="Example Status <status@example.com>"))
    envelope = inbox.envelopes[0]
    assert envelope.mail_from == "status@example.com"
    assert envelope.rcpt_tos == ["ana@example.com"]
    message = inbox.only_message()
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message.get_body(("plain",)).get_content().strip() == "Zahlungen funktionieren wieder. Grüße!"
    assert "<b>wieder</b>. Grüße!" in message.get_body(("html",)).get_content()
    assert message["Subject"] == SUBJECT_DE
    assert message["From"] == "Example Status <status@example.com>"
    assert message["To"] == "ana@example.com"
    assert message["Message-ID"] == MESSAGE_ID
    assert message["Date"].datetime.tzinfo is not None
    for name, value in LIST_HEADERS.items():
        assert message[name] == value
    # Mail clients read the URL as it stands: not folded, not an RFC 2047 encoded word.
    assert f"List-Unsubscribe: {LIST_HEADERS['List-Unsubscribe']}\r\n".encode() in envelope.content


def test_a_french_subject_survives_the_trip():
    inbox = Inbox()
    with smtp_server(inbox) as server:
        send(SmtpSettings(port=server.port), subject=SUBJECT_FR, text="Tout est rétabli.", html="<p>Rétabli.</p>")
    message = inbox.only_message()
    assert message["Subject"] == SUBJECT_FR
    assert message.get_body(("plain",)).get_content().strip() == "Tout est rétabli."


def test_starttls_delivers_when_the_certificate_is_trusted_through_ca_file(server_tls, ca_file):
    inbox = Inbox()
    with smtp_server(inbox, tls_context=server_tls, require_starttls=True) as server:
        send(SmtpSettings(port=server.port, security="starttls", ca_file=ca_file))
    assert inbox.only_message()["Subject"] == SUBJECT_DE


def test_starttls_refuses_a_certificate_nobody_vouches_for(server_tls):
    inbox = Inbox()
    with smtp_server(inbox, tls_context=server_tls, require_starttls=True) as server:
        with pytest.raises(DeliveryError) as caught:
            send(SmtpSettings(port=server.port, security="starttls"))
    assert not caught.value.retryable
    assert "certificate" in caught.value.message
    assert inbox.envelopes == []


def test_implicit_tls_delivers(server_tls, ca_file):
    inbox = Inbox()
    with smtp_server(inbox, ssl_context=server_tls) as server:
        send(SmtpSettings(port=server.port, security="tls", ca_file=ca_file))
    assert inbox.only_message()["Message-ID"] == MESSAGE_ID


def accept_status_user(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"status", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@contextmanager
def server_requiring_login(inbox, server_tls):
    with smtp_server(inbox, tls_context=server_tls, require_starttls=True, auth_required=True,
                     authenticator=accept_status_user) as server:
        yield server


def test_the_right_password_delivers(server_tls, ca_file):
    inbox = Inbox()
    with server_requiring_login(inbox, server_tls) as server:
        send(SmtpSettings(port=server.port, security="starttls", ca_file=ca_file, user="status", password="s3cret"))
    assert inbox.only_message()["To"] == "ana@example.com"


def test_a_wrong_password_is_not_worth_retrying(server_tls, ca_file):
    inbox = Inbox()
    with server_requiring_login(inbox, server_tls) as server:
        with pytest.raises(DeliveryError) as caught:
            send(SmtpSettings(port=server.port, security="starttls", ca_file=ca_file, user="status", password="nope"))
    assert not caught.value.retryable
    assert caught.value.message.startswith("the mail server refused the login 535")
    assert inbox.envelopes == []


def test_a_mail_server_that_is_down_is_worth_retrying_and_fails_fast():
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        send(SmtpSettings(port=free_port(), timeout_s=2))
    assert caught.value.retryable
    assert caught.value.message.startswith("connection refused")
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("inbox, retryable", [
    (Inbox(rcpt_reply="451 4.7.1 Greylisted, try again later"), True),
    (Inbox(data_reply="452 4.3.1 Insufficient system storage"), True),
    (Inbox(rcpt_reply="550 5.1.1 Mailbox unavailable"), False),
    (Inbox(data_reply="554 5.7.1 Message rejected as spam"), False),
], ids=["451 at RCPT", "452 at DATA", "550 at RCPT", "554 at DATA"])
def test_a_4xx_answer_is_worth_retrying_and_a_5xx_answer_is_not(inbox, retryable):
    with smtp_server(inbox) as server:
        with pytest.raises(DeliveryError) as caught:
            send(SmtpSettings(port=server.port))
    assert caught.value.retryable is retryable
    code = (inbox.rcpt_reply or inbox.data_reply)[:3]
    assert f" {code} " in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("field", ["header", "subject", "to"])
def test_a_line_break_in_a_header_is_refused_before_anything_is_sent(field):
    smuggled = "x\r\nBcc: everyone@example.com"
    inbox = Inbox()
    with smtp_server(inbox) as server:
        with pytest.raises(DeliveryError) as caught:
            if field == "header":
                send(SmtpSettings(port=server.port), headers={**LIST_HEADERS, "X-Campaign": smuggled})
            elif field == "subject":
                send(SmtpSettings(port=server.port), subject="Resolved" + smuggled)
            else:
                send(SmtpSettings(port=server.port), to="ana@example.com" + smuggled)
    assert not caught.value.retryable
    assert "line break" in caught.value.message
    assert inbox.envelopes == []


@pytest.mark.parametrize("address", ["ana", "ana@example.com, eve@example.com", "Ana <ana@example.com>", "@example.com"])
def test_an_address_that_is_not_one_plain_address_is_not_worth_retrying(address):
    with pytest.raises(DeliveryError) as caught:
        send(SmtpSettings(port=free_port()), to=address)
    assert not caught.value.retryable
    assert "not a valid email address" in caught.value.message


# --- webhooks ---------------------------------------------------------------------------------

SECRET = "whsec_9f8e7d"
TS = 1_795_000_000
BODY = json.dumps({"event": "incident.resolved", "incident": {"id": 42, "name": "Zahlungen"}},
                  ensure_ascii=False).encode()


class Receiver(BaseHTTPRequestHandler):
    """Records every request; the path chooses the answer."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append({"path": self.path, "headers": self.headers, "body": body})
        try:
            self.answer()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up, as it should when the answer is too long
        finally:
            self.server.done.set()

    def answer(self):
        path = self.path
        if path.startswith("/status/"):
            status = int(path.rsplit("/", 1)[1])
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/redirected")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/endless":
            self.send_response(200)
            self.end_headers()
            while True:
                self.wfile.write(b"x" * 65536)
                self.server.bytes_sent += 65536
        elif path == "/50mb":
            self.send_response(200)
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            for _ in range(50 * 16):
                self.wfile.write(b"x" * 65536)
                self.server.bytes_sent += 65536
        elif path == "/silent":
            self.server.release.wait(10)
        elif path == "/trickle":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            while not self.server.release.wait(0.05):  # one header byte every 50 ms, for ever
                self.wfile.write(b"X")
                self.wfile.flush()
        else:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    def log_message(self, format, *args):
        pass


def start_receiver(tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = False  # so server_close() waits for every handler
    server.received, server.bytes_sent = [], 0
    server.release, server.done = threading.Event(), threading.Event()
    server.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    server.thread.start()
    server.url = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    return server


def stop_receiver(server: ThreadingHTTPServer) -> None:
    server.release.set()
    server.shutdown()
    server.server_close()
    server.thread.join()


@pytest.fixture
def receiver():
    server = start_receiver()
    yield server
    stop_receiver(server)


@pytest.fixture
def tls_receiver(server_tls):
    server = start_receiver(server_tls)
    yield server
    stop_receiver(server)


def deliver(url: str, *, timeout_s: float = 5.0, allow_private: bool = True, key: str = "delivery-17") -> None:
    post_webhook(url, BODY, secret=SECRET, idempotency_key=key, timestamp=TS,
                 allow_private=allow_private, timeout_s=timeout_s)


def test_a_webhook_arrives_signed_so_the_receiver_can_verify_it(receiver):
    deliver(receiver.url + "/hook", key="outbox-17-attempt-any")
    [request] = receiver.received
    headers = request["headers"]
    assert request["body"] == BODY
    assert headers["Content-Type"] == "application/json"
    assert headers["Idempotency-Key"] == "outbox-17-attempt-any"
    assert headers["X-Statuspage-Timestamp"] == str(TS)
    assert headers["User-Agent"] == "statuspage-webhook/1"
    assert headers[SIGNATURE_HEADER] == f"t={TS},v1={signature(SECRET, TS, BODY)}"
    assert verify(SECRET, headers[SIGNATURE_HEADER], request["body"], now_ts=TS + 5)


def test_a_tampered_body_a_wrong_secret_or_a_stale_timestamp_fail_verification():
    header = f"t={TS},v1={signature(SECRET, TS, BODY)}"
    assert verify(SECRET, header, BODY, now_ts=TS + 300)
    assert not verify(SECRET, header, BODY.replace(b"42", b"43"), now_ts=TS)
    assert not verify("whsec_other", header, BODY, now_ts=TS)
    assert not verify(SECRET, header, BODY, now_ts=TS + 301)
    assert not verify(SECRET, header, BODY, now_ts=TS - 301)
    # The timestamp is signed too: moving it forward to look fresh breaks the signature.
    assert not verify(SECRET, header.replace(f"t={TS}", f"t={TS + 3600}"), BODY, now_ts=TS + 3600)


@pytest.mark.parametrize("header", ["", "garbage", f"t={TS}", "v1=abc", f"t=soon,v1={'0' * 64}", f"t={TS},v1=é",
                                    # no timestamp a receiver may turn into a number: never an exception
                                    f"t={'9' * 4301},v1=aa", "t=\u00b2,v1=aa", "t=\uff11\uff12,v1=aa",
                                    "t=\u0661\u0662,v1=aa", "t=-5,v1=aa", "t=+5,v1=aa", "t= 5,v1=aa", "t=1_0,v1=aa",
                                    f"t={'9' * 13},v1=aa", "t=\x00,v1=\x00", ",,=,=", "t=" + "9" * 100_000])
def test_a_malformed_signature_header_fails_verification(header):
    assert not verify(SECRET, header, BODY, now_ts=TS)
    timestamp, _candidates = parse_signature_header(header)
    assert timestamp is None or 0 <= timestamp < 10 ** 12


def test_a_signature_made_with_either_secret_verifies_during_rotation():
    header = f"t={TS},v1={signature('whsec_old', TS, BODY)},v1={signature(SECRET, TS, BODY)}"
    assert verify(SECRET, header, BODY, now_ts=TS)
    assert verify("whsec_old", header, BODY, now_ts=TS)


@pytest.mark.parametrize("status, retryable", [(503, True), (500, True), (429, True), (410, False), (400, False)])
def test_server_errors_and_429_are_worth_retrying_and_other_4xx_are_not(receiver, status, retryable):
    with pytest.raises(DeliveryError) as caught:
        deliver(f"{receiver.url}/status/{status}")
    assert caught.value.retryable is retryable
    assert caught.value.message == f"the receiver answered {status}"


def test_a_redirect_is_not_followed_and_not_worth_retrying(receiver):
    with pytest.raises(DeliveryError) as caught:
        deliver(receiver.url + "/status/302")
    assert not caught.value.retryable
    assert "302" in caught.value.message and "redirect" in caught.value.message
    assert [r["path"] for r in receiver.received] == ["/status/302"]


@pytest.mark.parametrize("path", ["/endless", "/50mb"])
def test_a_huge_or_endless_answer_is_neither_waited_for_nor_read(receiver, path):
    started = time.monotonic()
    deliver(receiver.url + path, timeout_s=2)  # the 200 came first, so it was delivered
    assert time.monotonic() - started < 2
    assert receiver.done.wait(5), "the receiver kept writing after we hung up"
    assert receiver.bytes_sent < 20 * 1024 * 1024  # what fits in socket buffers, not 50 MB


def test_a_receiver_that_never_answers_times_out_and_is_worth_retrying(receiver):
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        deliver(receiver.url + "/silent", timeout_s=0.5)
    assert time.monotonic() - started < 2
    assert caught.value.retryable
    assert "0.5 s" in caught.value.message


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_deadline(receiver):
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        deliver(receiver.url + "/trickle", timeout_s=0.5)
    assert time.monotonic() - started < 2
    assert caught.value.retryable
    assert caught.value.message == "the receiver took longer than 0.5 s"


def test_a_receiver_that_is_down_is_worth_retrying():
    with pytest.raises(DeliveryError) as caught:
        deliver(f"http://127.0.0.1:{free_port()}/hook")
    assert caught.value.retryable
    assert caught.value.message == "connection refused"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_webhook_to_a_private_address_is_refused_at_send_time_before_anything_is_sent(receiver, host):
    url = receiver.url.replace("127.0.0.1", host) + "/hook"
    with pytest.raises(DeliveryError) as caught:
        deliver(url, allow_private=False)
    assert not caught.value.retryable
    assert "loopback" in caught.value.message
    assert receiver.received == []


def test_a_receiver_whose_certificate_is_not_trusted_is_worth_retrying(tls_receiver):
    with pytest.raises(DeliveryError) as caught:
        deliver(tls_receiver.url + "/hook")
    assert caught.value.retryable  # certificates get renewed
    assert caught.value.message.startswith("the receiver's certificate was not accepted")
    assert tls_receiver.received == []


def test_an_https_webhook_to_a_private_address_is_refused_before_the_handshake(tls_receiver):
    with pytest.raises(DeliveryError) as caught:
        deliver(tls_receiver.url + "/hook", allow_private=False)
    assert not caught.value.retryable
    assert caught.value.message.startswith("127.0.0.1 now points to a loopback address")


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://x", "http://user:pw@hooks.example.com/", "http:///no-host", "http://[::1/",
    "http://127.0.0.1/", "http://localhost/", "http://10.0.0.1/", "http://192.168.1.20:8080/hook",
    "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[fe80::1]/",
    "http://0.0.0.0/", "http://224.0.0.1/", "http://100.64.0.1/",  # the last: carrier-grade NAT
    "http://2130706433/",  # 127.0.0.1 written as one number
    "http://[64:ff9b::7f00:1]/",  # 127.0.0.1 through NAT64
    "https://93.184.216.34:99999/", "https://93.184.216.34/" + "x" * 2000, "http://93.184.216.34/a b",
])
def test_check_url_refuses_urls_that_are_not_public_http(url):
    with pytest.raises(ValueError) as caught:
        check_url(url, allow_private=False)
    message = str(caught.value)
    assert message and "\n" not in message and "Errno" not in message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://localhost/", "http://10.0.0.1/",
                                 "http://[::1]/", "http://0.0.0.0/"])
def test_check_url_allows_private_addresses_when_told_to(url):
    assert check_url(url, allow_private=True) == url


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://x", "http://user:pw@localhost/"])
def test_check_url_refuses_bad_schemes_and_userinfo_even_when_private_is_allowed(url):
    with pytest.raises(ValueError):
        check_url(url, allow_private=True)


def test_check_url_accepts_a_public_address():
    assert check_url("http://93.184.216.34/hook", allow_private=False) == "http://93.184.216.34/hook"
    assert check_url("https://[2606:2800:220:1:248:1893:25c8:1946]/hook", allow_private=False)


def test_check_url_explains_a_name_that_does_not_resolve():
    with pytest.raises(ValueError) as caught:
        check_url("https://hooks.no-such-name.invalid/x", allow_private=False)
    assert str(caught.value) == "The host name hooks.no-such-name.invalid could not be resolved."


def test_check_url_names_the_address_it_refuses():
    with pytest.raises(ValueError) as caught:
        check_url("http://169.254.169.254/latest/meta-data", allow_private=False)
    assert str(caught.value) == ("169.254.169.254 points to a link-local address (169.254.169.254); "
                                 "webhooks can only go to public addresses.")
