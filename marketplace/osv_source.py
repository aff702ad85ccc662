"""OSV imports from a URL go through the one guarded outbound client (intel fetches nothing itself)."""
from intel.osv import MAX_ZIP_BYTES, ImportReport, OsvError, osv_import, records_from_source
from marketplace import guarded_http


def fetch_osv_zip(url: str) -> bytes:
    try:
        response = guarded_http.get(url, max_bytes=MAX_ZIP_BYTES, total_seconds=600)
    except guarded_http.OutboundError as exc:
        raise OsvError(str(exc)) from None
    if response.status != 200:
        raise OsvError(f"{url} answered HTTP {response.status}")
    return response.body


def osv_import_from(*, source: str) -> ImportReport:
    """import_osv SOURCE: a directory, a zip file, or an https URL of a zip."""
    return osv_import(records=records_from_source(source, fetch_url=fetch_osv_zip))
