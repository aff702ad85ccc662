"""Public, server-rendered threat pages: what `references` links to."""
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from intel import selectors


@require_safe
def threat_page(request, reference):
    threat = selectors.threat_by_reference(reference=reference)
    if threat is None:
        raise Http404("Threat not found")
    # Only the threat itself: nothing about who reported it.
    context = {
        "threat": threat,
        "affected_packages": selectors.affected_packages(threat=threat),
        "affected_ranges": selectors.affected_ranges(threat=threat),
        "references": threat.references[1:],
    }
    return render(request, "intel/threat_detail.html", context)
