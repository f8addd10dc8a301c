"""`make mail`: a local SMTP server that prints every message it gets, decoded, links whole.

aiosmtpd's own `python -m aiosmtpd -n` prints messages as they travel: quoted-printable breaks every line
at 76 characters with a `=` at the break, so a confirmation link in the terminal arrives cut in two and
opens nothing. This prints the headers a person reads and each text part decoded, one message after
the other. For development only: aiosmtpd is not a dependency of the application (the `mail` extra,
which `make mail` installs, brings it).

    python -m statuspage.devmail [--host 127.0.0.1] [--port 1025]
"""
from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import sys
from typing import TextIO

from aiosmtpd.smtp import SMTP

HEADERS = ("Date", "From", "To", "Subject", "Content-Language", "List-Unsubscribe")
RULE = "-" * 72


def readable(raw: bytes, *, envelope_to: list[str] | None = None) -> str:
    """A message as a person reads it: its main headers, then every text part decoded (HTML only when
    there is no plain text; otherwise one line says it is there)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    lines = [RULE]
    for name in HEADERS:
        if message[name] is not None:
            lines.append(f"{name}: {message[name]}")
    if envelope_to and not message["To"]:
        lines.append(f"To: {', '.join(envelope_to)}")
    parts = [part for part in message.walk() if not part.is_multipart()]
    has_plain = any(part.get_content_type() == "text/plain" for part in parts)
    for part in parts:
        kind = part.get_content_type()
        if kind == "text/html" and has_plain:
            lines += ["", f"[an HTML version too: {len(_text_of(part))} characters]"]
        elif part.get_content_maintype() == "text":
            lines += ["", _text_of(part).rstrip("\n")]
        else:
            lines += ["", f"[{kind} attachment {part.get_filename() or ''}]".replace(" ]", "]")]
    return "\n".join(lines + [RULE, ""])


def _text_of(part) -> str:
    try:
        text = part.get_content()
    except (LookupError, ValueError):  # an unknown charset: show what can be shown
        text = part.get_payload(decode=True).decode("utf-8", "replace")
    # Mail travels with CRLF line ends; printed as they are, a link copied by a tool (grep -o) keeps the \r.
    return text.replace("\r\n", "\n").replace("\r", "\n")


class Printer:
    """An aiosmtpd handler: accepts every message and prints it, readable, to `out`."""

    def __init__(self, out: TextIO | None = None):
        self.out = out

    async def handle_DATA(self, server, session, envelope) -> str:
        out = self.out or sys.stdout
        out.write(readable(envelope.original_content or envelope.content, envelope_to=list(envelope.rcpt_tos)))
        out.flush()
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, out: TextIO) -> None:
    """Listen until cancelled (Ctrl-C)."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Printer(out), hostname="devmail"), host, port)
    out.write(f"Printing every message sent to {host}:{port} (run the site with STATUSPAGE_SMTP_PORT={port}); "
              f"Ctrl-C stops.\n")
    out.flush()
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m statuspage.devmail", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.host, args.port, sys.stdout))
    except KeyboardInterrupt:
        pass
    except OSError as error:
        print(f"Error: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
