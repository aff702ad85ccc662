"""Archives are read in memory under caps; links, devices and escaping paths are refused."""

import hashlib
import io
import tarfile
import zipfile

import pytest

from scans.engine import ArchiveError, ArchiveLimitExceeded, ArchiveLimits, EngineError, scan_archive

from .conftest import make_tgz, make_zip


def tar_with(members) -> bytes:
    """members: list of (TarInfo, bytes|None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def reg(name, data=b"x = 1\n"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def special(name, kind, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


def test_limit_errors_are_engine_errors():
    assert issubclass(ArchiveLimitExceeded, EngineError)
    assert issubclass(ArchiveError, EngineError)


def test_total_size_cap(rules):
    data = make_tgz({f"f{i}.txt": "a" * 1000 for i in range(5)})
    with pytest.raises(ArchiveLimitExceeded):
        scan_archive(data, rules, filename="p.tgz", limits=ArchiveLimits(max_total_size=3000))


def test_total_size_cap_in_zip(rules):
    data = make_zip({f"f{i}.txt": "a" * 1000 for i in range(5)})
    with pytest.raises(ArchiveLimitExceeded):
        scan_archive(data, rules, filename="p.zip", limits=ArchiveLimits(max_total_size=3000))


def test_member_count_cap(rules):
    data = make_tgz({f"f{i}.txt": "x" for i in range(30)})
    with pytest.raises(ArchiveLimitExceeded):
        scan_archive(data, rules, filename="p.tgz", limits=ArchiveLimits(max_members=10))


def test_member_count_cap_in_zip(rules):
    data = make_zip({f"f{i}.txt": "x" for i in range(30)})
    with pytest.raises(ArchiveLimitExceeded):
        scan_archive(data, rules, filename="p.whl", limits=ArchiveLimits(max_members=10))


def test_member_size_cap(rules):
    data = make_tgz({"big.bin": b"\x01" * 5000, "small.txt": "x"})
    with pytest.raises(ArchiveLimitExceeded):
        scan_archive(data, rules, filename="p.tgz", limits=ArchiveLimits(max_member_size=4000))


def test_member_size_cap_in_zip(rules):
    data = make_zip({"big.bin": b"\x01" * 5000})
    with pytest.raises(ArchiveLimitExceeded):
        scan_archive(data, rules, filename="p.zip", limits=ArchiveLimits(max_member_size=4000))


def test_compression_ratio_cap_overall(rules):
    data = make_tgz({"zeros.txt": b"\0" * (3 * 1024 * 1024)})
    assert len(data) < 30_000
    with pytest.raises(ArchiveLimitExceeded, match="100:1"):
        scan_archive(data, rules, filename="bomb.tgz")


def test_compression_ratio_cap_per_member_in_zip(rules):
    # The archive as a whole is padded with incompressible data, one member is a bomb.
    import os

    data = make_zip({"noise.bin": os.urandom(200_000), "bomb.txt": b"A" * (2 * 1024 * 1024)})
    with pytest.raises(ArchiveLimitExceeded):
        scan_archive(data, rules, filename="p.zip", limits=ArchiveLimits(max_ratio=50))


def test_small_compressible_files_are_not_bombs(rules):
    data = make_tgz({"zeros.txt": b"\0" * 100_000})
    assert scan_archive(data, rules, filename="p.tgz").verdict in ("clean", "low")


@pytest.mark.parametrize(
    "member,rule_id",
    [
        (special("package/link", tarfile.SYMTYPE, "/etc/passwd"), "eng_symlink"),
        (special("package/hard", tarfile.LNKTYPE, "package/index.js"), "eng_hardlink"),
        (special("package/dev", tarfile.CHRTYPE), "eng_device"),
        (special("package/blk", tarfile.BLKTYPE), "eng_device"),
        (special("package/pipe", tarfile.FIFOTYPE), "eng_fifo"),
        (reg("../../evil.sh", b"echo hi\n"), "eng_unsafe_path"),
        (reg("/etc/cron.d/evil", b"* * * * * root true\n"), "eng_unsafe_path"),
        (reg("package/../../../outside.py", b"x=1\n"), "eng_unsafe_path"),
    ],
)
def test_special_entries_become_provenance_findings_and_are_not_read(rules, member, rule_id):
    data = tar_with([reg("package/index.js", b"module.exports = 1\n"), member])
    result = scan_archive(data, rules, filename="p.tgz", ecosystem="npm")
    found = [f for f in result.findings if f.rule_id == rule_id]
    assert found and all(f.phase == 6 for f in found)
    assert result.phase(6).score > 0
    assert set(result.file_hashes) == {"package/index.js"}


def test_symlink_in_zip_is_not_followed(rules):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("pkg/__init__.py", "x = 1\n")
        info = zipfile.ZipInfo("pkg/link")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/home/user/.ssh/id_rsa")
    result = scan_archive(buf.getvalue(), rules, filename="p.whl")
    assert "eng_symlink" in result.rule_ids()
    assert "pkg/link" not in result.file_hashes


def test_zip_slip_name_is_refused(rules):
    data = make_zip({"../../evil.py": "x=1\n", "ok.py": "y=2\n"})
    result = scan_archive(data, rules, filename="p.zip")
    assert "eng_unsafe_path" in result.rule_ids()
    assert set(result.file_hashes) == {"ok.py"}


@pytest.mark.parametrize("blob", [b"not an archive at all", b"\x1f\x8b\x08\x00garbage", b"PK\x03\x04broken"])
def test_corrupt_archive_raises_archive_error(rules, blob):
    with pytest.raises(ArchiveError):
        scan_archive(blob, rules, filename="p.tar.gz")


def test_truncated_archive_raises_archive_error(rules):
    data = make_tgz({f"f{i}.py": "x = %d\n" % i * 500 for i in range(20)})
    with pytest.raises(ArchiveError):
        scan_archive(data[: len(data) // 2], rules, filename="p.tgz")


def test_format_comes_from_magic_bytes_not_the_name(rules):
    data = make_zip({"pkg/__init__.py": "x = 1\n"})
    result = scan_archive(data, rules, filename="pkg-1.0-py3-none-any.tar.gz")
    assert "pkg/__init__.py" in result.file_hashes


def test_archive_from_path_and_bytes_agree(rules, tmp_path):
    data = make_tgz({"index.js": "module.exports = 1\n"})
    path = tmp_path / "p.tgz"
    path.write_bytes(data)
    a = scan_archive(data, rules, filename="p.tgz")
    b = scan_archive(path, rules, filename="p.tgz")
    assert a.source_hash == b.source_hash == "sha256:" + hashlib.sha256(data).hexdigest()
    assert a.file_hashes == b.file_hashes
    assert a.file_hashes["package/index.js"] == "sha256:" + hashlib.sha256(b"module.exports = 1\n").hexdigest()
