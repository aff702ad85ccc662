"""Bearer JWT authentication: invalid tokens are 401, expired ones 403 "Token expired"."""
from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from sigil.public_url import foreign_issuer


class TokenExpired(exceptions.APIException):
    status_code = 403
    default_detail = "Token expired"
    default_code = "token_expired"


class BearerTokenAuthentication(JWTAuthentication):
    www_authenticate_realm = "sigil"

    def get_validated_token(self, raw_token):
        try:
            # simplejwt pins HS256 and checks signature, issuer and audience before expiry,
            # so a forged token that is also expired is still a 401.
            return AccessToken(raw_token)
        except ExpiredTokenError:
            raise TokenExpired() from None
        except TokenError:
            issuer = foreign_issuer(raw_token)
            if issuer:
                raise exceptions.AuthenticationFailed(
                    f"This token was issued by {issuer[:200]}, but this server's public URL is now "
                    f"{settings.SIGIL_PUBLIC_URL} (SIGIL_PUBLIC_URL or the server's address changed), so "
                    "tokens from before are no longer accepted. Log in again (sigil login).") from None
            raise exceptions.AuthenticationFailed("Invalid token.") from None

    def get_user(self, validated_token):
        try:
            return super().get_user(validated_token)
        except exceptions.AuthenticationFailed:
            raise exceptions.AuthenticationFailed("Invalid token.") from None

    def authenticate(self, request):
        header = self.get_header(request)
        if header is None:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != b"Bearer":
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        return super().authenticate(request)


def issue_access_token(user) -> str:
    return str(AccessToken.for_user(user))


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
