"""Users for tests (factory_boy)."""
import factory

from accounts.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with PASSWORD, through create_user (hashing and full_clean as in production)."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    tier = "free"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(kwargs.pop("email"), kwargs.pop("password", PASSWORD), **kwargs)
