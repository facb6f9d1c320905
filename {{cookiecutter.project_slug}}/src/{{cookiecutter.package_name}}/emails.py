"""E-mail addresses: what an account may have, in one spelling per mailbox.

email-validator checks the syntax and gives the address its normal
form: the domain in lowercase Unicode, the whole in NFC. It is asked for
no DNS lookup: whether a domain takes mail is the user's to fix, and a
lookup would make every form wait on a resolver.
"""

from email_validator import EmailNotValidError, validate_email

#: The longest address SMTP carries (RFC 5321 allows 254 characters in a path).
EMAIL_MAX_LENGTH = 254
#: Casefolding can turn one character into three, as for usernames.
EMAIL_KEY_MAX_LENGTH = 3 * EMAIL_MAX_LENGTH


class InvalidEmail(ValueError):
    """Not an address the app can mail. The message says what is wrong."""


def normal_email(address):
    """``address`` as the app stores and mails it, or InvalidEmail."""
    try:
        normal = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from None
    if len(normal) > EMAIL_MAX_LENGTH:
        raise InvalidEmail(f"Use an address of at most {EMAIL_MAX_LENGTH} characters.")
    return normal


def email_key(address):
    """What the spellings of one mailbox share: ``address``, in its normal
    form (see :func:`normal_email`, which every way in applies), casefolded.

    The part before the @ may be case-sensitive by the letter of the
    standard, but no mail service treats it so, and two accounts whose
    addresses differ only in case would share a mailbox.
    """
    return address.casefold()
