"""Fixtures for engine tests: compiled built-in rules and in-memory package builders."""

import io
import tarfile
import zipfile

import pytest

from scans.engine import compile_rules
from domain.pack import BUILTIN_PACK_PATH
from scans.engine import load_rules


def builtin_rules():
    """The repository's built-in pack as engine rules."""
    return load_rules(BUILTIN_PACK_PATH)


@pytest.fixture(scope="session")
def rules():
    return compile_rules(builtin_rules())


def make_tgz(files: dict[str, str | bytes], root: str = "package/") -> bytes:
    """A gzipped tarball holding files under root, built in memory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(root + name)
            info.size = len(data)
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_zip(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def write_tree(root, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            path.write_bytes(content)


_RULE_NAMES = {r.id: r.name for r in builtin_rules()}


def rule_names(findings) -> set[str]:
    """The pack names of the signatures behind findings (engine checks keep their eng_ id)."""
    return {_RULE_NAMES.get(f.rule_id, f.rule_id) for f in findings}
