from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from sigil.api.errors import Conflict


def user_register(*, email: str, password: str, name: str = "") -> User:
    """Create a free-tier account; a taken email (in any case) is a Conflict."""
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("An account with this email already exists.")
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
        raise Conflict("An account with this email already exists.") from None


def user_authenticate(*, email: str, password: str) -> User | None:
    return authenticate(username=email, password=password)
