import pytest

from domain.identifiers import normalize_hash, normalize_package_name, parse_source_ref

HEX = "0123456789abcdef" * 4


@pytest.mark.parametrize("value", [f"sha256:{HEX}", HEX, HEX.upper(), f"SHA256:{HEX.upper()}"])
def test_hash_is_normalised_to_prefixed_lower_case(value):
    assert normalize_hash(value) == f"sha256:{HEX}"


@pytest.mark.parametrize("value", ["", "sha256:", HEX[:-1], HEX + "0", f"md5:{HEX}", f" {HEX}", f"sha256:{HEX[:-1]}g", None, 5])
def test_malformed_hash_raises_value_error(value):
    with pytest.raises(ValueError):
        normalize_hash(value)


@pytest.mark.parametrize("ecosystem, name, expected", [
    ("pypi", "Django", "django"),
    ("pypi", "zope.interface", "zope-interface"),
    ("pypi", "Foo__Bar-.baz", "foo-bar-baz"),
    ("npm", "Left-Pad", "left-pad"),
    ("npm", "@Babel/Core", "@babel/core"),
    ("github", "Someone/Repo.git", "someone/repo"),
])
def test_package_names_are_normalised_per_ecosystem(ecosystem, name, expected):
    assert normalize_package_name(ecosystem, name) == expected


@pytest.mark.parametrize("ecosystem, name", [
    ("pypi", "-leading"), ("pypi", "has space"), ("npm", "@scope"), ("npm", "../etc"), ("npm", "a" * 215),
    ("cargo", "serde"),
])
def test_invalid_package_names_raise_value_error(ecosystem, name):
    with pytest.raises(ValueError):
        normalize_package_name(ecosystem, name)


@pytest.mark.parametrize("source_type, source_ref, expected", [
    ("pip", "requests==2.31.0", ("pypi", "requests", "2.31.0")),
    ("pip", "Requests[socks]==2.31.0", ("pypi", "requests", "2.31.0")),
    ("pip", "requests", ("pypi", "requests", None)),
    ("pip", "requests>=2", None),
    ("npm", "lodash@4.17.21", ("npm", "lodash", "4.17.21")),
    ("npm", "@types/node@20.1.0", ("npm", "@types/node", "20.1.0")),
    ("npm", "@types/node", ("npm", "@types/node", None)),
    ("npm", "lodash@^4.0.0", ("npm", "lodash", None)),
    ("npm", "lodash@latest", ("npm", "lodash", None)),
    ("url", "https://registry.npmjs.org/@types/node/-/node-20.1.0.tgz", ("npm", "@types/node", "20.1.0")),
    ("url", "https://registry.npmjs.org/lodash/4.17.21", ("npm", "lodash", "4.17.21")),
    ("url", "https://www.npmjs.com/package/lodash/v/4.17.21", ("npm", "lodash", "4.17.21")),
    ("url", "https://pypi.org/project/requests/2.31.0/", ("pypi", "requests", "2.31.0")),
    ("url", "https://pypi.org/project/requests/", ("pypi", "requests", None)),
    ("git", "https://github.com/Psf/Requests.git", ("github", "psf/requests", None)),
    ("git", "https://github.com/psf/requests/tree/v2.31.0", ("github", "psf/requests", "v2.31.0")),
    ("git", "git@github.com:psf/requests.git", ("github", "psf/requests", None)),
    ("git", "psf/requests", ("github", "psf/requests", None)),
    ("url", "https://example.com/download.tar.gz", None),
    ("url", "javascript:alert(1)", None),
    ("local", "/home/me/project", None),
])
def test_source_refs_are_parsed_into_ecosystem_name_and_version(source_type, source_ref, expected):
    assert parse_source_ref(source_type, source_ref) == expected
