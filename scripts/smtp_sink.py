"""A real SMTP server on loopback (aiosmtpd) for the email tests and for `scripts/up`.

Accepts every message and writes it, as received but for a first `X-Peer: host:port` header
naming the connection it came over, to DIR/<n>.eml; refuses any recipient whose
address contains "bounce" with a permanent 550, as a mail server does for a mailbox that does not
exist. Prints "ready" once listening; stops on SIGTERM.

    python3 scripts/smtp_sink.py PORT DIR
"""

import asyncio
import itertools
import signal
import sys
from pathlib import Path

from aiosmtpd.controller import Controller


class Mailroom:
    def __init__(self, directory: Path):
        self.directory = directory
        self.numbers = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "bounce" in address:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        path = self.directory / f"{next(self.numbers)}.eml"
        host, port = session.peer[:2]
        path.write_bytes(f"X-Peer: {host}:{port}\r\n".encode() + envelope.original_content)
        return "250 Message accepted for delivery"


def main() -> None:
    port, directory = int(sys.argv[1]), Path(sys.argv[2])
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(Mailroom(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
