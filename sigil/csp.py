"""Content-Security-Policy for the server's own HTML pages: everything from this origin only."""
from functools import wraps

# data: images only for the icons Swagger UI's stylesheet inlines; no inline script or style.
SELF_ONLY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
             "form-action 'self'; frame-ancestors 'none'")


def self_only(view):
    """Decorate a view so its response carries the self-only policy."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        response = view(*args, **kwargs)
        response["Content-Security-Policy"] = SELF_ONLY
        return response

    return wrapped
