"""Install-time scope: which files really run when the package is installed.

setup.py runs, and so do the modules it imports from the package; npm lifecycle scripts run, and
so do the files they name, a few levels deep. Those files get install-time weight (files.locate).
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections import defaultdict

import re2

from ..files import FileInfo, is_vendored

_PY_IMPORT = re.compile(rb"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.M)
_FILE_REF = re2.compile(r"[\w./-]+\.(?:js|cjs|mjs|sh|bat|cmd|ps1|py)\b")
MAX_IMPORT_SCAN = 200_000
# An install-time module this small pulls in a few of its own imports (not a whole library).
SMALL_MODULE_BYTES = 16_000
MAX_FOLLOWED_IMPORTS = 4
FOLLOW_DEPTH = 3


def local_imports(info: FileInfo, by_role: dict[str, FileInfo], here: str | None = None) -> set[str]:
    """Files of the package that info imports (absolute imports, or relative ones from here)."""
    found: set[str] = set()
    for m in _PY_IMPORT.finditer(info.data[:MAX_IMPORT_SCAN]):
        raw = (m.group(1) or m.group(2)).decode("ascii", "replace")
        mod = raw.lstrip(".")
        if not mod:
            continue
        path = mod.replace(".", "/")
        if raw.startswith(".") and here is not None:
            base = posixpath.join(here, path)
            cands: tuple[str, ...] = (f"{base}.py", f"{base}/__init__.py")
        else:
            cands = (f"{path}.py", f"{path}/__init__.py", f"src/{path}.py", f"src/{path}/__init__.py")
        for cand in cands:
            if cand in by_role:
                found.add(cand)
                break
    return found


def follow_install_targets(targets: set[str], by_role: dict[str, FileInfo], depth: int = FOLLOW_DEPTH) -> set[str]:
    """Add files that install scripts name (preinstall.js running preinstall.sh), a few levels deep."""
    found = {t for t in targets if t in by_role}
    frontier = set(found)
    base_dir = posixpath.dirname(by_role["package.json"].role) if "package.json" in by_role else ""
    by_base: dict[str, list[str]] = defaultdict(list)
    for role in by_role:
        by_base[posixpath.basename(role)].append(role)
    for _ in range(depth):
        nxt: set[str] = set()
        for role in frontier:
            info = by_role[role]
            if role.endswith(".py") and len(info.data) < SMALL_MODULE_BYTES:
                for cand in sorted(local_imports(info, by_role, posixpath.dirname(role)))[:MAX_FOLLOWED_IMPORTS]:
                    if cand not in found:
                        found.add(cand)
                        nxt.add(cand)
            for m in _FILE_REF.finditer(info.data[:MAX_IMPORT_SCAN]):
                name = m.group(0).decode("utf-8", "replace")
                joined = posixpath.normpath(posixpath.join(posixpath.dirname(role), name))
                # A path that does not resolve may still name a file elsewhere ("lib/x.js" from a script in
                # bin/); a bare name only counts next to the script or at the package root.
                tail = name.lstrip("./")
                alts = [c for c in by_base.get(posixpath.basename(name), [])[:3]
                        if (c.endswith("/" + tail) if "/" in tail else posixpath.dirname(c) in (posixpath.dirname(role), base_dir))]
                for cand in ([joined] if joined in by_role else alts):
                    if cand in by_role and cand not in found:
                        found.add(cand)
                        nxt.add(cand)
        frontier = nxt
        if not frontier:
            break
    return found | targets


# Commands pip runs to install a package (directly, or inside bdist_wheel) whose override is the
# classic entry point of an install-time payload; build and egg_info customisations are not.
# "develop" is not among them: it runs for `setup.py develop` and legacy editable installs of a
# project one works on, never when pip installs a dependency (that builds a wheel).
INSTALL_STEP_COMMANDS = {"install", "bdist_egg", "easy_install", "install_scripts", "install_lib",
                         "install_data", "editable_wheel"}
_CMDCLASS = re.compile(rb"cmdclass\s*=\s*(?:\{([^}]*)\}|dict\(([^)]*)\))|cmdclass\[\s*['\"](\w+)['\"]\s*\]\s*=")
# A key and the name it maps to: {"install": install} hands setuptools its own class back (no override).
_DICT_KEY = re.compile(rb"['\"](\w+)['\"]\s*:\s*([\w.]*)|\b(\w+)\s*=\s*([\w.]*)")


def overrides_install_step(setup_py: bytes) -> bool:
    """Whether setup.py's cmdclass replaces a command of pip's install step (or cannot be read)."""
    keys: set[str] = set()
    found = False
    for m in _CMDCLASS.finditer(setup_py[:MAX_IMPORT_SCAN]):
        found = True
        if m.group(3):
            keys.add(m.group(3).decode())
        for k in _DICT_KEY.finditer(m.group(1) or m.group(2) or b""):
            key, value = (k.group(1), k.group(2)) if k.group(1) else (k.group(3), k.group(4))
            if value.rsplit(b".", 1)[-1] != key:
                keys.add(key.decode())
    if not found or not keys:
        return True  # a cmdclass built elsewhere: assume the worst
    return bool(keys & INSTALL_STEP_COMMANDS)


def install_targets(by_role: dict[str, FileInfo], script_targets: set[str]) -> set[str]:
    """Every file that runs at install: what npm scripts name, what setup.py imports, and what those run."""
    targets = set(script_targets)
    setup_py = by_role.get("setup.py")
    if setup_py is not None:
        targets |= local_imports(setup_py, by_role)
        targets |= set(shipped_file_execs(setup_py.data, set(by_role)).values())
    return follow_install_targets(targets, by_role)


# What pip runs from a setup.py (directly, or inside bdist_wheel/build). A setup.py branch taken
# only for another command ("publish", "release", "upload", "coverage", "test", "sdist") is the
# maintainer's tooling, not install-time code.
PIP_COMMANDS = INSTALL_STEP_COMMANDS | {"egg_info", "dist_info", "bdist_wheel", "build", "build_py", "build_ext",
                                        "build_clib", "build_scripts", "install_headers", "install_egg_info"}


def _argv_names(tree: ast.Module) -> set[str]:
    """Names assigned from sys.argv (command = sys.argv[-1]), at top level or in a function."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and "argv" in ast.unparse(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _maintainer_branch(test: ast.expr, argv_names: set[str]) -> bool:
    """An if-test comparing the command line to commands pip never runs."""
    text = ast.unparse(test)
    if "argv" not in text and not any(isinstance(n, ast.Name) and n.id in argv_names for n in ast.walk(test)):
        return False
    compares = [test] if isinstance(test, ast.Compare) else list(test.values) if isinstance(test, ast.BoolOp) and \
        isinstance(test.op, ast.Or) else []
    if not compares or not all(isinstance(c, ast.Compare) and all(isinstance(op, (ast.Eq, ast.In)) for op in c.ops)
                               for c in compares):
        return False  # "!=", "not in", calls: the branch may well run under pip
    words = {n.value for n in ast.walk(test) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return bool(words) and not (words & PIP_COMMANDS) and not any(w.startswith("-") for w in words)


def _lines(node: ast.AST) -> set[int]:
    return set(range(node.lineno, (node.end_lineno or node.lineno) + 1))


def maintainer_lines(setup_py: bytes) -> set[int]:
    """Lines of setup.py that pip never runs: branches for maintainer commands, and the top-level
    functions only they (or nobody) call. Class bodies (cmdclass overrides) are never included."""
    try:
        tree = ast.parse(setup_py)
    except (SyntaxError, ValueError):
        return set()
    argv_names = _argv_names(tree)
    dormant: set[int] = set()
    stack = list(tree.body)
    for node in tree.body:  # main() and the __main__ guard hold the command dispatch too
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or (
                isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)):
            stack.extend(node.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If):
            if _maintainer_branch(node.test, argv_names):
                for child in node.body:
                    dormant |= _lines(child)
            stack.extend(node.orelse)
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    uses: dict[str, list[int]] = {name: [] for name in functions}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id in uses and not isinstance(n.ctx, ast.Store):
            uses[n.id].append(n.lineno)
    for _ in range(3):  # functions called only from maintainer code are maintainer code
        for name, fn in functions.items():
            if all(line in dormant or line in _lines(fn) for line in uses[name]) and not _lines(fn) <= dormant:
                dormant |= _lines(fn)
    return dormant


# ------------------------------------------------------------------ files setup.py executes by path
_PATH_FUNCS = {"join", "dirname", "abspath", "realpath", "normpath", "split", "Path", "resolve", "parent"}


def _read_target(call: ast.expr, with_names: list[tuple[int, str, ast.expr]]) -> ast.expr | None:
    """The path expression of `f.read()` (f bound by the nearest `with open(path) as f` above) or
    `open(path).read()`."""
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "read"):
        return None
    src = call.func.value
    if isinstance(src, ast.Name):
        bound = [(line, path) for line, name, path in with_names if name == src.id and line <= call.lineno]
        return max(bound, key=lambda t: t[0])[1] if bound else None
    return _opened_path(src)


def _opened_path(node: ast.expr) -> ast.expr | None:
    """path of open(path, ...), io.open(path) or path.open(...)."""
    if not isinstance(node, ast.Call):
        return None
    f = node.func
    if isinstance(f, ast.Name) and f.id == "open" and node.args:
        return node.args[0]
    if isinstance(f, ast.Attribute) and f.attr == "open":
        if isinstance(f.value, ast.Name) and f.value.id in ("io", "codecs") and node.args:
            return node.args[0]
        return f.value
    return None


def _path_parts(expr: ast.expr, assigned: dict[str, ast.expr], depth: int = 0,
                funcs: frozenset[str] | set[str] = frozenset(_PATH_FUNCS)) -> list[str] | None:
    """The string constants a local path is built from, or None when it is built from anything else
    (a call result, a download, user input): only constants, __file__, names assigned such paths,
    os.path / pathlib joins and `/`."""
    parts: list[str] = []
    for node in ast.walk(expr):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                parts.append(node.value)  # an index (os.path.split(__file__)[0]) adds nothing
        elif isinstance(node, ast.Name) and node.id not in ("__file__", "os", "path", "Path", "pathlib"):
            if node.id in assigned and depth < 3:
                inner = _path_parts(assigned[node.id], assigned, depth + 1, funcs)
                if inner is None:
                    return None
                parts.extend(inner)
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name not in funcs:
                return None
    return parts


def shipped_file_execs(setup_py: bytes, roles: set[str]) -> dict[int, str]:
    """Lines of setup.py that exec a file the package ships (`exec(open("pkg/version.py").read())`),
    and that file's role. Reading the version that way is the commonest setup.py idiom; the file
    itself runs at install, so it is judged as install-time code instead."""
    try:
        tree = ast.parse(setup_py)
    except (SyntaxError, ValueError):
        return {}
    assigned: dict[str, ast.expr] = {}
    with_names: list[tuple[int, str, ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned[node.targets[0].id] = node.value
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                path = _opened_path(item.context_expr)
                if path is not None and isinstance(item.optional_vars, ast.Name):
                    with_names.append((node.lineno, item.optional_vars.id, path))
    lines_of: dict[str, ast.expr] = {}  # for line in open(path).readlines(): exec(line) (a version line)
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            it = node.iter
            if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr == "readlines":
                it = it.func.value
            path = _opened_path(it)
            if path is not None:
                lines_of[node.target.id] = path
    funcs = set(_PATH_FUNCS)  # from os.path import join as pjoin
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("os.path", "posixpath", "pathlib"):
            funcs |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Assign) and ast.unparse(node.value).startswith(("os.path.", "posixpath.")):
            funcs |= {t.id for t in node.targets if isinstance(t, ast.Name)}  # pjoin = os.path.join
    found: dict[int, str] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "exec" and node.args):
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "compile" and arg.args:
            arg = arg.args[0]
        if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "strip":
            arg = arg.func.value
        path = lines_of.get(arg.id) if isinstance(arg, ast.Name) else _read_target(arg, with_names)
        parts = _path_parts(path, assigned, funcs=funcs) if path is not None else None
        if not parts:
            continue
        pieces: list[str] = []
        for p in parts:  # FN + '.py': an extension continues the name before it
            if p.startswith(".") and "/" not in p and p.strip(".") and pieces:
                pieces[-1] += p
            elif p.strip("/.") or p == "..":
                pieces.append(p.strip("/"))
        joined = posixpath.normpath("/".join(pieces)) if pieces else ""
        if joined.startswith("..") or "." not in posixpath.basename(joined):
            continue
        role = next((r for r in sorted(roles) if r == joined or r.endswith("/" + joined)), None)
        if role is not None:
            found[node.lineno] = role
    return found


# ------------------------------------------------------------------ .pth startup hooks
# A .pth line runs at every interpreter start. Tools that need that (coverage measuring
# subprocesses, auto-installed log handlers) run nothing unless an environment variable opts in.
_ENV_GATE = re.compile(rb"(?:\bif|\\nif)\b[^\n]{0,80}?(?:os\.getenv\(|os\.environ\.get\(|\bin\s+os\.environ\b|environ\[)")


def env_gated(pth: bytes) -> bool:
    """Whether a .pth file's code runs only when an environment variable is set."""
    return _ENV_GATE.search(pth[:MAX_IMPORT_SCAN]) is not None


# ------------------------------------------------------------------ pyproject.toml tool tables
# Only [build-system], [project] and the build tools' own tables matter to an install; the tables of
# test runners, linters, CI wheel builders and release tools configure the maintainer's machine
# ("before-all = 'curl ... | sh'" to fetch a toolchain in CI, tox's "python = 3.11: py311").
DEV_TOOL_TABLES = ("cibuildwheel", "tox", "pytest", "coverage", "ruff", "mypy", "black", "isort", "pylint", "pyright",
                   "codespell", "towncrier", "semantic_release", "bumpversion", "commitizen", "nox", "pre-commit",
                   "hatch.envs", "pdm.scripts", "pdm.dev-dependencies", "poe", "taskipy", "uv", "repo-review",
                   "check-manifest", "bandit", "pydocstyle", "docformatter", "yapf", "flake8", "pyupgrade",
                   "git-cliff", "typos", "sphinx", "interrogate", "vulture",
                   "deptry", "rstcheck", "doc8", "numpydoc_validation")
_TABLE = re.compile(rb"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def dev_tool_lines(pyproject: bytes) -> set[int]:
    """Lines of pyproject.toml inside a development tool's table ([tool.cibuildwheel], [tool.tox]...)."""
    lines: set[int] = set()
    inside = in_string = False
    for number, line in enumerate(pyproject[:MAX_IMPORT_SCAN].split(b"\n"), start=1):
        m = None if in_string else _TABLE.match(line)
        if (line.count(b'"""') + line.count(b"'''")) % 2:
            in_string = not in_string  # a multi-line string (tox's legacy_tox_ini) holds "[tox]" lines
        if m:
            name = m.group(1).decode("utf-8", "replace").strip().strip('"')
            inside = name.startswith("tool.") and any(name[5:] == t or name[5:].startswith(t + ".")
                                                      for t in DEV_TOOL_TABLES)
        elif inside:
            lines.add(number)
    return lines


# ------------------------------------------------------------------ vendored code the package runs
# A vendored tree (_vendor/, third_party/, external/...) is someone else's code and weighs little
# (files.locate), but only while the package does not run it: a module the package's own code
# imports runs with the package, wherever it sits. Otherwise a payload moved under "_vendor/" and
# imported from __init__.py would inherit a third-party discount.
# re2: linear time on hostile input (a backtracking engine can take minutes on a crafted line).
_FROM_IMPORT = re2.compile(rb"(?m)^[ \t]*from[ \t]+(\.+[\w.]*|[\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[\w \t,*]*)")
_PLAIN_IMPORT = re2.compile(rb"(?m)^[ \t]*import[ \t]+([\w., \t]+)")
_DYNAMIC_IMPORT = re2.compile(rb"(?:import_module|__import__)\(\s*['\"](\.*[\w.]+)['\"]")
# An entry point ("name = module.path:function") in setup.py, setup.cfg, pyproject.toml or entry_points.txt.
_ENTRY_POINT = re2.compile(rb"[\w.-]+['\"]?\s*=\s*(?:['\"]\s*)?([A-Za-z_][\w.]*)\s*:\s*[A-Za-z_]")
ENTRY_POINT_FILES = ("setup.py", "setup.cfg", "pyproject.toml", "entry_points.txt")
# Vendored modules a reached vendored module imports in turn, this many levels deep.
VENDORED_FOLLOW_DEPTH = 2


def _module_files(module: str, here: str, by_role: dict[str, FileInfo]) -> list[str]:
    """The files a dotted module name may load: relative to here when it starts with dots."""
    level = len(module) - len(module.lstrip("."))
    path = module.lstrip(".").replace(".", "/")
    if level:
        base = here
        for _ in range(level - 1):
            base = posixpath.dirname(base)
        stems = [posixpath.join(base, path) if path else base]
    else:
        if not path:
            return []
        stems = [path, f"src/{path}", f"lib/{path}"]
    for stem in stems:
        for cand in (f"{stem}.py", f"{stem}/__init__.py"):
            if cand in by_role:
                return [cand]
    return []


def imported_files(info: FileInfo, by_role: dict[str, FileInfo]) -> set[str]:
    """Files of the package a Python file imports: `import a.b`, `from a import b` (a/b.py too),
    relative imports, and import_module("a.b") with a literal name."""
    data = info.data[:MAX_IMPORT_SCAN]
    here = posixpath.dirname(info.role)
    found: set[str] = set()
    for m in _FROM_IMPORT.finditer(data):
        module = m.group(1).decode("ascii", "replace")
        found.update(_module_files(module, here, by_role))
        sep = "" if module.endswith(".") or not module else "."
        names = re.sub(r"#[^\n]*", "", m.group(2).decode("ascii", "replace").strip("()"))
        for name in names.replace("\t", " ").replace("\n", " ").split(","):
            name = name.strip().split(" ")[0]
            if name and name != "*":
                found.update(_module_files(f"{module}{sep}{name}", here, by_role))
    for m in _PLAIN_IMPORT.finditer(data):
        for name in m.group(1).decode("ascii", "replace").split(","):
            name = name.strip().split(" ")[0]
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # import a.b.c runs a/__init__, a/b/__init__ and a/b/c
                found.update(_module_files(".".join(parts[:i]), here, by_role))
    for m in _DYNAMIC_IMPORT.finditer(data):
        found.update(_module_files(m.group(1).decode("ascii", "replace"), here, by_role))
    found.discard(info.role)
    return found


def vendored_imported(files: list[FileInfo], by_role: dict[str, FileInfo]) -> set[str]:
    """Vendored files the package's own shipped code (or install-time code) imports or names as an
    entry point, and the vendored modules those import in turn, a few levels deep."""
    own = [f for f in files if f.lang == "python" and f.is_text and not is_vendored(f.role)
           and (f.install_time or f.reason in ("", "import-time code"))]
    reached: set[str] = set()
    for f in own:
        reached |= {r for r in imported_files(f, by_role) if is_vendored(r)}
    for f in files:  # console scripts and plugins run the module they name
        if f.base in ENTRY_POINT_FILES and f.is_text:
            for m in _ENTRY_POINT.finditer(f.data[:MAX_IMPORT_SCAN]):
                reached |= {r for r in _module_files(m.group(1).decode("ascii", "replace"), "", by_role)
                            if is_vendored(r)}
    frontier = set(reached)
    for _ in range(VENDORED_FOLLOW_DEPTH):
        nxt: set[str] = set()
        for role in frontier:
            nxt |= {r for r in imported_files(by_role[role], by_role) if is_vendored(r) and r not in reached}
        reached |= nxt
        frontier = nxt
    return reached
