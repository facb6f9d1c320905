"""The site's forms. Flask-WTF adds and checks a CSRF token on each."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

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


class NewPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        "Password",
        validators=[
            DataRequired(),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=1024,
                message=f"Use at least {PASSWORD_MIN_LENGTH} characters, and at most 1024.",
            ),
        ],
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )


class RegisterForm(NewPasswordForm):
    username = StringField("Username", validators=[DataRequired(), valid_new_username])


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), valid_username])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Remember me on this device")


class PasswordForm(NewPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
