"""The import graph keeps the layering of README "Architecture": every test here fails on a new
import that points the wrong way or closes a cycle (grimp reads imports inside functions too)."""
import grimp
import pytest
from django.conf import settings

# Apps from the top down: an app may import only apps below it.
APPS = ["firewall", "marketplace", "intel", "signatures", "scans", "accounts"]
PLUMBING = "sigil"
DOMAIN = "domain"
ENGINE = "scans.engine"
CLI = "cli"
PACKAGES = [*APPS, PLUMBING, DOMAIN, CLI]


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, include_external_packages=True)


def _imports(graph, importer: str, imported: str) -> list[str]:
    """'a.b -> c.d (line 3)' for every direct import from importer (or below) into imported (or below)."""
    found = []
    for expression in (f"{importer} -> {imported}", f"{importer}.** -> {imported}", f"{importer} -> {imported}.**",
                       f"{importer}.** -> {imported}.**"):
        try:
            matches = graph.find_matching_direct_imports(import_expression=expression)
        except (ValueError, grimp.exceptions.InvalidImportExpression):
            continue
        found += [f"{m['importer']} -> {m['imported']}" for m in matches]
    return sorted(set(found))


def test_every_app_of_the_project_has_its_place_in_the_layers():
    project_apps = {app.split(".")[0] for app in settings.INSTALLED_APPS
                    if not app.startswith(("django", "rest_framework", "drf_", "whitenoise", "simple_history"))}
    assert project_apps == {*APPS, PLUMBING}


@pytest.mark.parametrize("lower, higher", [(APPS[j], APPS[i]) for i in range(len(APPS)) for j in range(i + 1, len(APPS))])
def test_no_app_imports_an_app_above_it(graph, lower, higher):
    assert _imports(graph, lower, higher) == []


@pytest.mark.parametrize("app", APPS)
def test_plumbing_imports_no_app(graph, app):
    assert _imports(graph, PLUMBING, app) == []


@pytest.mark.parametrize("other", [*APPS, PLUMBING, CLI, "django", "rest_framework"])
def test_domain_helpers_import_nothing_of_the_project_nor_django(graph, other):
    assert _imports(graph, DOMAIN, other) == []


@pytest.mark.parametrize("other", [*APPS, PLUMBING, CLI, "django", "rest_framework", "celery"])
def test_the_engine_imports_no_app_and_no_django(graph, other):
    imports = [i for i in _imports(graph, ENGINE, other) if not i.split(" -> ")[1].startswith(ENGINE)]
    assert imports == []


@pytest.mark.parametrize("other", [a for a in APPS if a != "scans"] + [PLUMBING, "django", "rest_framework", "celery"])
def test_the_cli_imports_only_the_engine_and_the_domain_helpers(graph, other):
    assert _imports(graph, CLI, other) == []


def test_the_cli_takes_nothing_from_scans_but_the_engine(graph):
    assert [i for i in _imports(graph, CLI, "scans") if not i.split(" -> ")[1].startswith(ENGINE)] == []


def test_every_read_a_lower_app_declares_is_provided_by_the_app_above(graph):
    """Each domain.providers.Provided slot is filled once Django has started (AppConfig.ready)."""
    import importlib

    from domain.providers import Provided

    slots = {}
    for module in sorted(m for m in graph.modules if m.split(".")[0] in APPS and m.endswith(".selectors")):
        for name, value in vars(importlib.import_module(module)).items():
            if isinstance(value, Provided):
                slots[f"{module}.{name}"] = value._reader is not None
    assert slots == {"accounts.selectors.user_scan_summary": True, "intel.selectors.publisher_verifications": True,
                     "signatures.selectors.report_by_public_id": True}


def test_no_module_imports_itself_through_others(graph):
    modules = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)
    edges = {m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i.split(".")[0] in PACKAGES)
             for m in modules}
    assert _cycles(edges) == []


def _cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles
