"""Sending mail: Flask-Mail, or the terminal in development.

The ``MAIL_*`` settings are Flask-Mail's (see ``config.py``). In debug
with no ``MAIL_SERVER``, each mail is written to the terminal instead, so
that a new checkout needs no mail server and its links can be followed
from there. Serving without one is refused at start-up.
"""

import smtplib

import click
from flask import after_this_request, current_app, render_template
from flask.cli import with_appcontext
from flask_mail import Mail, Message

mail = Mail()


def to_terminal():
    """Whether mails go to the terminal: only in debug and testing, which
    the start-up checks allow to go without a server."""
    return current_app.config["MAIL_SERVER"] is None


def compose(to, subject, template, **context):
    """A mail to ``to`` from ``mail/<template>.txt`` and ``.html``.

    Plain text for every reader, HTML for those that show it. Links in
    the templates must be absolute (``url_for(..., _external=True)``):
    a mail has no page to be relative to.
    """
    context = {"subject": subject, **context}
    return Message(
        subject=f"{current_app.config['PROJECT_NAME']}: {subject}",
        recipients=[to],
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        body=render_template(f"mail/{template}.txt", **context),
        html=render_template(f"mail/{template}.html", **context),
    )


def send(message):
    """Send ``message``; False if it could not be, which is logged.

    A mail server that is down, refuses a login or a recipient, must not
    turn a form into a 500: the caller tells the user, in words.
    """
    if to_terminal():
        click.echo(as_text(message), err=True)
        return True
    try:
        mail.send(message)
    except (smtplib.SMTPException, OSError) as error:
        current_app.logger.error(
            "Could not send the mail %r: %s",
            message.subject,
            str(error).replace("\n", " "),
        )
        return False
    return True


def send_after_response(make_message):
    """Call ``make_message`` and send what it makes once the response has
    gone out, in this app's context.

    The time a mail takes to render, and an SMTP server to take it, would
    show in the response's, so a form that must answer alike whether or
    not it mails anyone (forgot password) answers first. ``make_message``
    must need no request, which is over by then. A failure is logged as
    :func:`send` logs it.
    """
    app = current_app._get_current_object()

    def send_now():
        with app.app_context():
            send(make_message())

    @after_this_request
    def send_when_closed(response):
        response.call_on_close(send_now)
        return response


def as_text(message):
    """What the terminal shows of a mail: who, what, and the plain text."""
    rule = "-" * 72
    return "\n".join(
        [
            rule,
            f"Mail to {', '.join(message.recipients)} (printed, not sent: no"
            " MAIL_SERVER is set)",
            f"Subject: {message.subject}",
            "",
            message.body.rstrip(),
            rule,
        ]
    )


@click.command("send-test-mail")
@with_appcontext
@click.argument("address")
def send_test_mail_command(address):
    """Send a mail to ADDRESS, to check the MAIL_ settings."""
    app = current_app
    if app.config["MAIL_SERVER"] is None and not (app.debug or app.testing):
        raise click.ClickException(
            "MAIL_SERVER is not set, so there is no server to send the mail to."
            " Set FLASK_MAIL_SERVER and FLASK_MAIL_DEFAULT_SENDER."
        )
    message = compose(address, "A test mail", "test")
    if not send(message):
        raise click.ClickException(
            "The mail could not be sent: the log line above says why. Check the"
            " MAIL_ settings."
        )
    click.echo(f"Sent a test mail to {address}.")


def init_app(app):
    mail.init_app(app)
    app.cli.add_command(send_test_mail_command)
