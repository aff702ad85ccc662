from signatures.services import signature_create

_counter = iter(range(1, 10**6))


def make_signature(**overrides):
    """An active signature through the service (so it gets a change_seq like production rows)."""
    n = next(_counter)
    fields = dict(
        phase=2,
        name=f"test_rule_{n}",
        description="Test rule",
        pattern=r"eval\s*\(",
        severity="medium",
        weight=3,
        ecosystem="generic",
        file_globs=["*.js"],
    )
    fields.update(overrides)
    return signature_create(**fields)
