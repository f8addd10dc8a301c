"""The email channel: one multipart message to one subscriber over SMTP."""
from __future__ import annotations

import email.policy
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from statuspage import clock

from . import DeliveryError

SECURITY_MODES = ("none", "starttls", "tls")

# Headers send_email writes itself; the caller's extra headers may not replace them.
_OWN_HEADERS = {"from", "to", "subject", "date", "message-id", "mime-version",
                "content-type", "content-transfer-encoding"}
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # printable ASCII without ":" (RFC 5322 ftext)
_WIRE_POLICY = email.policy.default.clone(max_line_length=998)  # RFC 5322's hard limit


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server.

    `security` is "none", "starttls" (plain connection upgraded with STARTTLS, usually port 587)
    or "tls" (TLS from the first byte, usually port 465). The server's certificate is always
    verified, against the system's CAs plus, when `ca_file` names a PEM bundle, those CAs too:
    that is for a relay with a certificate from a private CA. Login happens only when `user`
    is set.
    """

    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"
    user: str = ""
    password: str = ""
    mail_from: str = "status@localhost"
    timeout_s: float = 10.0
    ca_file: str = ""


def send_email(smtp: SmtpSettings, *, to: str, subject: str, text: str, html: str | None,
               headers: dict[str, str], message_id: str) -> None:
    """Send one multipart/alternative message (text and HTML parts) to one recipient.

    `headers` are added as they are (List-Unsubscribe, Auto-Submitted, ...). Raises
    DeliveryError: retryable when the server is unreachable, hung up or answered 4xx;
    not retryable for a 5xx answer, a failed login, a bad address or a header that tries
    to smuggle in a line break.
    """
    message = _build_message(smtp, to=to, subject=subject, text=text, html=html,
                             headers=headers, message_id=message_id)
    envelope_from = parseaddr(smtp.mail_from)[1]
    try:
        server = _connect(smtp)
        try:
            if smtp.user:
                server.login(smtp.user, smtp.password)
            server.send_message(message, from_addr=envelope_from, to_addrs=[to])
        finally:
            _hang_up(server)
    except smtplib.SMTPRecipientsRefused as e:
        # One recipient, so this means it was refused; the reply code says for how long.
        code, reply = next(iter(e.recipients.values()))
        raise _from_reply(code, reply, "the mail server refused the recipient") from None
    except smtplib.SMTPAuthenticationError as e:
        raise _from_reply(e.smtp_code, e.smtp_error, "the mail server refused the login") from None
    except smtplib.SMTPResponseException as e:
        raise _from_reply(e.smtp_code, e.smtp_error, "the mail server answered") from None
    except smtplib.SMTPNotSupportedError as e:
        # STARTTLS or AUTH not offered, or an international address the server cannot take:
        # the settings or the address must change first. smtplib's text names the extension.
        raise DeliveryError(f"the mail server lacks an extension we need ({_first_arg(e)})",
                            retryable=False) from None
    except smtplib.SMTPServerDisconnected:
        raise DeliveryError("the mail server closed the connection", retryable=True) from None
    except smtplib.SMTPException as e:
        raise DeliveryError(f"the mail server misbehaved ({_first_arg(e)})", retryable=True) from None
    except ssl.SSLCertVerificationError as e:
        # A wrong host name or an untrusted certificate does not fix itself.
        raise DeliveryError(f"the mail server's certificate was not accepted ({e.verify_message})",
                            retryable=False) from None
    except ssl.SSLError as e:
        raise DeliveryError(f"TLS with the mail server failed ({e.reason or 'handshake'})", retryable=True) from None
    except ConnectionRefusedError:
        raise DeliveryError(f"connection refused by {smtp.host}:{smtp.port}", retryable=True) from None
    except TimeoutError:
        raise DeliveryError(f"the mail server did not answer within {smtp.timeout_s:g} s", retryable=True) from None
    except socket.gaierror:
        raise DeliveryError(f"the mail server's name {smtp.host} could not be resolved", retryable=True) from None
    except OSError as e:
        raise DeliveryError(f"could not talk to the mail server ({e.strerror or type(e).__name__})",
                            retryable=True) from None


def _build_message(smtp: SmtpSettings, *, to: str, subject: str, text: str, html: str | None,
                   headers: dict[str, str], message_id: str) -> EmailMessage:
    """The message, after refusing anything that could add headers or recipients of its own."""
    if smtp.security not in SECURITY_MODES:
        raise DeliveryError(f"unknown SMTP security {smtp.security!r}", retryable=False)
    fields = {"To": to, "From": smtp.mail_from, "Subject": subject, "Message-ID": message_id, **headers}
    for name, value in fields.items():
        if _has_line_break(name) or _has_line_break(value):
            raise DeliveryError(f"the {name.strip()[:40]!r} header contains a line break", retryable=False)
    for name in headers:
        if name.lower() in _OWN_HEADERS or not _HEADER_NAME.fullmatch(name):
            raise DeliveryError(f"the header name {name[:40]!r} cannot be set by the caller", retryable=False)
    _check_address(to)

    message = EmailMessage()
    message["From"] = smtp.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id
    # Quoted-printable keeps both parts 7-bit clean for any relay on the way.
    message.set_content(text, cte="quoted-printable")
    if html:  # engineers' alerts are plain text
        message.add_alternative(html, subtype="html", cte="quoted-printable")
    # Only now: set_content() drops Content-* headers (the caller's Content-Language, say).
    for name, value in headers.items():
        message[name] = value
    # Folding at 78 would turn a long List-Unsubscribe URL into an encoded word no mail client
    # reads; the body is already encoded, so the wider limit only applies to header lines.
    message.policy = _WIRE_POLICY
    return message


def _check_address(to: str) -> None:
    """One plain address (no display name, no list): anything else is refused before sending."""
    try:
        address = Address(addr_spec=to)
    except (ValueError, HeaderParseError, IndexError):
        address = None
    if address is None or not address.username or not address.domain or address.addr_spec != to:
        raise DeliveryError(f"{to[:80]!r} is not a valid email address", retryable=False)


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    """An open SMTP connection, already encrypted if the settings ask for it."""
    if smtp.security == "tls":
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=_tls_context(smtp))
    server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    try:
        if smtp.security == "starttls":
            server.starttls(context=_tls_context(smtp))
    except BaseException:
        server.close()
        raise
    return server


def _hang_up(server: smtplib.SMTP) -> None:
    """Say QUIT politely but ignore how it goes: once the message is accepted, a failure here
    must not turn into a retry and a second copy (which `with smtplib.SMTP(...)` would risk)."""
    try:
        server.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        server.close()


def _tls_context(smtp: SmtpSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if smtp.ca_file:
        context.load_verify_locations(cafile=smtp.ca_file)
    return context


def _from_reply(code: int, reply: bytes | str, what: str) -> DeliveryError:
    """A DeliveryError from an SMTP reply: 5xx means "never", anything else (4xx) "later"."""
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    reply = " ".join(reply.split())[:120]
    return DeliveryError(f"{what} {code} {reply}".rstrip(), retryable=not 500 <= code < 600)


def _first_arg(error: Exception) -> str:
    return str(error.args[0]).rstrip(".")[:120] if error.args else type(error).__name__


def _has_line_break(value: str) -> bool:
    return "\r" in value or "\n" in value
