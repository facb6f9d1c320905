"""The site's forms. Flask-WTF adds and checks a CSRF token on each.

Each field says what browsers and password managers may fill it with
(``autocomplete``), so that one template can draw any form.
"""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from .emails import InvalidEmail, normal_email
from .users import PASSWORD_MIN_LENGTH, new_username_problem, username_problem


def valid_username(form, field):
    """Refuse a name no account can have, before anything looks it up."""
    problem = username_problem(field.data)
    if problem:
        raise ValidationError(problem)


def valid_new_username(form, field):
    """Refuse a name no new account may take, such as one that mixes scripts."""
    problem = new_username_problem(field.data)
    if problem:
        raise ValidationError(problem)


def valid_email(form, field):
    """Take an address the app can mail, in its normal form."""
    try:
        field.data = normal_email(field.data)
    except InvalidEmail as error:
        raise ValidationError(str(error)) from None


def username_field():
    return StringField(
        "Username",
        validators=[DataRequired(), valid_username],
        render_kw={"autocomplete": "username"},
    )


def email_field(label="E-mail address"):
    return EmailField(
        label,
        validators=[DataRequired(), valid_email],
        render_kw={"autocomplete": "email"},
    )


def current_password_field(label="Current password"):
    return PasswordField(
        label,
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


def new_password_field():
    return PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=1024,
                message=f"Use at least {PASSWORD_MIN_LENGTH} characters, and at most 1024.",
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def repeated_password_field():
    return PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


# Fields are drawn in the order they are made.


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired(), valid_new_username],
        render_kw={"autocomplete": "username"},
    )
    email = email_field()
    password = new_password_field()
    confirm = repeated_password_field()


class LoginForm(FlaskForm):
    username = username_field()
    password = current_password_field("Password")
    remember = BooleanField(
        "Remember me on this device",
        description="Keeps you logged in after the browser closes, until the"
        " session times out. Leave it unticked on a shared computer.",
    )


class PasswordForm(FlaskForm):
    current_password = current_password_field()
    password = new_password_field()
    confirm = repeated_password_field()


class ForgotPasswordForm(FlaskForm):
    email = email_field("The address of your account")


class ResetPasswordForm(FlaskForm):
    """The new password, from a reset link: the link stands for the old one."""

    password = new_password_field()
    confirm = repeated_password_field()


class EmailForm(FlaskForm):
    email = email_field("New e-mail address")
    current_password = current_password_field()


class DeleteAccountForm(FlaskForm):
    current_password = current_password_field()


class ConfirmForm(FlaskForm):
    """A button alone, so that following a link changes nothing until pressed."""
