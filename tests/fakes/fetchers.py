"""Fetcher test doubles, plugged in by the SIGIL_VERIFY_FETCHERS setting."""


class ExplodingFetcher:
    """A fetcher with a bug: the task must still record the verification as an error."""

    def fetch(self, ref, version):
        raise RuntimeError("boom")
