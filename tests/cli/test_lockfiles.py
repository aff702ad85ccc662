"""Reading lockfiles and SBOMs: every format, pins, hashes, lines, and what is not pinned (no server)."""
from pathlib import Path

import pytest

from cli.lockfiles import LockfileError, find_lockfiles, read_dependencies, sha256_item

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lockfiles"


def deps_of(relative: str) -> list[tuple]:
    path = FIXTURES / relative
    return [(d.ecosystem, d.name, d.version, d.line, len(d.hashes)) for d in read_dependencies(path, relative)]


@pytest.mark.parametrize("relative, expected", [
    ("requirements/requirements.txt", [("pypi", "requests", "2.32.3", 2, 2), ("pypi", "urllib3", "2.2.2", 5, 1),
                                       ("pypi", "colourama", "0.1.6", 7, 0), ("pypi", "certifi", "2024.7.4", 8, 0)]),
    ("poetry/poetry.lock", [("pypi", "certifi", "2024.7.4", 4, 2), ("pypi", "python-dateutil", "2.9.0.post0", 15, 1),
                            ("pypi", "evil-pkg", "1.0.0", 28, 1)]),
    # The project itself (source = editable) is not a dependency.
    ("uv/uv.lock", [("pypi", "idna", "3.7", 5, 2), ("pypi", "reqeusts", "2.28.1", 19, 1)]),
    ("pylock/pylock.toml", [("pypi", "attrs", "24.2.0", 7, 1), ("pypi", "evil-pkg", "0.9.0", 17, 1)]),
    ("npm-v1/package-lock.json", [("npm", "debug", "4.3.4", 7, 0), ("npm", "ms", "2.1.2", 12, 0),
                                  ("npm", "ua-parser-js", "0.7.29", 22, 0), ("npm", "local-utils", None, 27, 0)]),
    # Root project and workspace links are skipped; sha512 integrity is not a sha256 to look up.
    ("npm-v3/package-lock.json", [("npm", "@babel/core", "7.24.0", 16, 0), ("npm", "event-stream", "3.3.6", 22, 0),
                                  ("npm", "flatmap-stream", "0.1.1", 30, 0), ("npm", "left-pad", "1.3.0", 35, 0)]),
    ("shrinkwrap/npm-shrinkwrap.json", [("npm", "chalk", "4.1.2", 8, 0)]),
    ("yarn-classic/yarn.lock", [("npm", "@types/node", "20.14.10", 5, 0), ("npm", "coa", "2.0.3", 12, 0),
                                ("npm", "lodash", "4.17.21", 17, 0), ("npm", "my-fork", None, 22, 0),
                                ("npm", "undici-types", "5.26.5", 26, 0)]),
    ("yarn-berry/yarn.lock", [("npm", "@scope/evil-loader", "2.1.0", 8, 0), ("npm", "react", "18.3.1", 15, 0)]),
    ("pnpm-v6/pnpm-lock.yaml", [("npm", "express", "4.19.2", 17, 0), ("npm", "rc", "1.2.8", 22, 0),
                                ("npm", "@tanstack/react-query", "5.51.1", 27, 0)]),
    ("pnpm-v9/pnpm-lock.yaml", [("npm", "@scope/evil-loader", "2.0.5", 20, 0), ("npm", "zod", "3.23.8", 23, 0)]),
    # Only pypi and npm purls; nested components are read.
    ("sbom/bom.cdx.json", [("pypi", "flask", "3.0.3", 15, 1), ("npm", "@scope/evil-loader", "2.1.0", 23, 0),
                           ("npm", "ms", "2.1.3", 25, 0)]),
    ("sbom/app.spdx.json", [("pypi", "jinja2", "3.1.4", 16, 1), ("pypi", "evil-pkg", "1.0.0", 25, 0)]),
])
def test_every_format_yields_its_pinned_dependencies_with_lines_and_hashes(relative, expected):
    assert deps_of(relative) == expected


def test_pipfile_lock_reads_default_and_develop_and_normalises_names():
    assert deps_of("pipenv/Pipfile.lock") == [
        ("pypi", "charset-normalizer", "3.3.2", 9, 1), ("pypi", "evil-pkg", "1.0", 15, 1),
        ("pypi", "pytest", "8.3.2", 22, 1), ("pypi", "mylib", None, 26, 0)]


def test_unpinned_requirements_say_why():
    deps = read_dependencies(FIXTURES / "requirements/requirements-dev.txt", "requirements-dev.txt")
    assert [(d.name, d.version, d.note) for d in deps] == [
        ("pytest", None, "range >=8.0"), ("black", None, "no version"), ("./tools/linter", None, "editable install"),
        ("mypy", "1.11.1", ""), ("django", None, "direct URL")]


def test_directories_are_searched_but_not_node_modules(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements-prod.txt").write_text("flask==3.0.3\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "package-lock.json").write_text("{}")
    (tmp_path / "README.md").write_text("hello")
    assert [p.relative_to(tmp_path).as_posix() for p in find_lockfiles(tmp_path)] == ["app/requirements-prod.txt"]


@pytest.mark.parametrize("name, content", [
    ("poetry.lock", "[[package]\nname = "),
    ("package-lock.json", "{not json"),
    ("package-lock.json", "[1, 2]"),
    ("pnpm-lock.yaml", "packages: [unclosed"),
    ("bom.json", '{"hello": "world"}'),
])
def test_broken_files_are_errors_that_name_the_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(LockfileError, match=name):
        read_dependencies(path, name)


def test_yaml_is_read_safely(tmp_path):
    path = tmp_path / "pnpm-lock.yaml"
    path.write_text("packages: !!python/object/apply:os.system ['echo owned']\n")
    with pytest.raises(LockfileError):
        read_dependencies(path, "pnpm-lock.yaml")


def test_sha256_forms():
    hexdigest = "ab" * 32
    assert sha256_item(f"sha256:{hexdigest.upper()}") == f"sha256:{hexdigest}"
    assert sha256_item(f"sha256={hexdigest}") == f"sha256:{hexdigest}"
    assert sha256_item("sha256-" + "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=") == f"sha256:{hexdigest}"
    assert sha256_item("sha512-AAAA") is None and sha256_item("md5:abc") is None
