from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from domain.errors import AlreadyExists, LimitReached, NotAuthenticated
from sigil.api.ratelimit import login_blocked_for, login_failure_counters


class EmailTaken(AlreadyExists):
    default_message = "An account with this email already exists."


class InvalidCredentials(NotAuthenticated):
    default_message = "Invalid email or password."


class LoginLockedOut(LimitReached):
    default_message = "Too many failed login attempts; retry later."


def user_register(*, email: str, password: str, name: str = "") -> User:
    """Create a free-tier account; a taken email (in any case) is EmailTaken."""
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken()
    candidate = User(email=email, name=name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    try:
        with transaction.atomic():
            return User.objects.create_user(email, password, name=name)
    except IntegrityError:
        # Lost a race with a concurrent registration of the same address.
        raise EmailTaken() from None


def user_login(*, request, email: str, password: str) -> User:
    """The user these credentials belong to, under the failed-login limits.

    Failures are counted per email and per client address in a window that expires (the counters
    the admin login shares, keyed from the request), so guessing is slowed without locking the
    real user out for good.
    """
    retry_after = login_blocked_for(request, email)
    if retry_after is not None:
        raise LoginLockedOut(retry_after=retry_after)
    user = authenticate(username=email, password=password)
    if user is None:
        login_failure_counters(request, email, increment=True)
        raise InvalidCredentials()
    return user
