"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, in a thread.

The app sends to it through Flask-Mail and smtplib as it would to any
server, and the tests read what it received: whole messages, parsed by
the standard library, as a mail program would see them.
"""

import email
import email.policy
import re
import threading
import time

from aiosmtpd.controller import Controller

import servers

# Links in a mail's plain text stand alone on a line.
LINK = re.compile(r"^(https?://\S+)\r?$", re.M)


class Mailbox:
    """What the server received, in order: an aiosmtpd handler."""

    def __init__(self):
        self._messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        with self._lock:
            return list(self._messages)

    def empty(self):
        with self._lock:
            self._messages.clear()

    def to(self, address):
        """The messages sent to ``address``, oldest first."""
        return [m for m in self.messages if address in m["To"]]

    def wait_for(self, address, subject, seconds=10):
        """The newest mail to ``address`` whose subject ends with ``subject``,
        once it has come: a mail sent after its response may come after the
        page that asked for it."""
        deadline = time.monotonic() + seconds
        while True:
            found = [m for m in self.to(address) if m["Subject"].endswith(subject)]
            if found:
                return found[-1]
            assert time.monotonic() < deadline, f"no mail {subject!r} to {address}"
            time.sleep(0.05)

    def last_to(self, address):
        (*_, last) = self.to(address) or [None]
        assert last is not None, f"no mail to {address}"
        return last


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


def links_in(message):
    """The links in ``message``'s plain text, in order."""
    return LINK.findall(text_of(message))


class SMTPServer:
    """An SMTP server on a free loopback port, with its :class:`Mailbox`."""

    def __init__(self):
        self.mailbox = Mailbox()
        self.port = servers.free_port()
        self._controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port
        )

    def start(self):
        self._controller.start()
        return self

    def stop(self):
        self._controller.stop()

    @property
    def settings(self):
        """The app's settings that send mail here."""
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_DEFAULT_SENDER": "Tests <no-reply@example.com>",
        }
