"""tree_hash follows docs/design.md exactly and is deterministic."""

import hashlib
import os

from scans.engine import scan_directory, tree_hash

from .conftest import write_tree

FILES = {"b.py": "print('b')\n", "a/z.txt": "z", "a/b.txt": "b", "A.txt": "upper", "\u00e9.txt": "accent"}


def expected(files: dict[str, str]) -> str:
    h = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.encode()):
        h.update(path.encode() + b"\0" + hashlib.sha256(files[path].encode()).hexdigest().encode() + b"\n")
    return "sha256:" + h.hexdigest()


def test_tree_hash_matches_the_documented_formula(tmp_path):
    write_tree(tmp_path, FILES)
    assert tree_hash(tmp_path) == expected(FILES)


def test_tree_hash_is_deterministic_across_creation_order(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    write_tree(one, FILES)
    write_tree(two, dict(reversed(list(FILES.items()))))
    assert tree_hash(one) == tree_hash(two)


def test_tree_hash_excludes_git_and_symlinks(tmp_path):
    write_tree(tmp_path, FILES)
    base = tree_hash(tmp_path)
    write_tree(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", ".git/objects/ab": "x"})
    os.symlink(tmp_path / "b.py", tmp_path / "link.py")
    assert tree_hash(tmp_path) == base


def test_tree_hash_changes_with_content_and_path(tmp_path):
    write_tree(tmp_path, FILES)
    base = tree_hash(tmp_path)
    (tmp_path / "b.py").write_text("print('changed')\n")
    assert tree_hash(tmp_path) != base
    (tmp_path / "b.py").write_text(FILES["b.py"])
    assert tree_hash(tmp_path) == base
    (tmp_path / "b.py").rename(tmp_path / "c.py")
    assert tree_hash(tmp_path) != base


def test_empty_tree_hash_is_sha256_of_nothing(tmp_path):
    assert tree_hash(tmp_path) == "sha256:" + hashlib.sha256(b"").hexdigest()


def test_scan_directory_source_hash_is_the_tree_hash(tmp_path, rules):
    write_tree(tmp_path, FILES)
    result = scan_directory(tmp_path, rules)
    assert result.source_hash == tree_hash(tmp_path)
    assert set(result.file_hashes) == set(FILES)
    assert result.file_hashes["b.py"] == "sha256:" + hashlib.sha256(FILES["b.py"].encode()).hexdigest()


def test_scan_directory_reports_links_and_fifos_without_following_them(tmp_path, rules):
    write_tree(tmp_path, {"pkg/__init__.py": "x = 1\n"})
    secret = tmp_path.parent / "outside-secret.txt"
    secret.write_text("token")
    os.symlink(secret, tmp_path / "pkg" / "leak.txt")
    os.mkfifo(tmp_path / "pkg" / "pipe")
    result = scan_directory(tmp_path, rules)
    ids = result.rule_ids()
    assert "eng_symlink" in ids and "eng_fifo" in ids
    assert set(result.file_hashes) == {"pkg/__init__.py"}
    assert result.phase(6).score > 0
