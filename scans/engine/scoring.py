"""Every weight, multiplier, cap and decay of the engine, named, in one place (tally.py adds up).

A signature's own weight is in its pack entry (signatures/data/builtin_pack.json or the admin).
Everything the engine adds or scales is here: where a file sits (location multipliers), what the
engine's own analyzers award, what a combination is worth, and how findings add up to a score.
"""

from __future__ import annotations

# ---------------------------------------------------------------- where a file sits (files.py)
# A finding's points are its weight times the multiplier of the file it is in.
INSTALL_SCRIPT_MULT = 2.0  # files npm lifecycle scripts or setup.py run at install time
INSTALL_BUNDLE_MULT = 1.0  # a multi-megabyte bundle an installer loads is application code
SETUP_PY_MULT = 2.0
PACKAGE_JSON_MULT = 2.0
PTH_MULT = 2.0  # .pth files run at every interpreter start
BUILD_CONFIG_MULT = 1.5  # setup.cfg, pyproject.toml
MINIFIED_MULT = 0.3
BUNDLE_MULT = 0.3
VENDORED_MULT = 0.3
NATIVE_SOURCE_MULT = 0.5
DEV_TOOLING_MULT = 0.2  # CI configuration, Dockerfiles, Makefiles, dotfiles
TESTS_OR_DOCS_MULT = 0.3  # tests/, docs/, examples/, demos, scripts
DOCUMENTATION_MULT = 0.2  # README, changelogs, text and markup, man pages
STUB_MULT = 0.2  # type stubs (.pyi) declare, they never run
DATA_MULT = 0.2  # JSON, YAML/TOML/INI beyond the build config, lock files: read by scanned code
MAINTAINER_CODE_MULT = 0.3  # setup.py code only maintainer commands run ("publish", "coverage")
IMPORT_TIME_MULT = 1.5  # a distribution's top-level __init__.py / __main__.py

# ---------------------------------------------------------------- signature matches (match.py)
COMMENT_FACTOR = 0.25  # a match only in comments or docstrings is prose, not code
DECODED_MULT = 1.5  # a match inside a decoded blob was hidden on purpose

# ---------------------------------------------------------------- engine analyzers
NPM_SCRIPT_SUSPICIOUS = 20  # a lifecycle script that downloads or runs inline code
NPM_SCRIPT_RUNS_FILE = 4  # `node -e "require('./x')"`: the file itself is judged
NPM_SCRIPT_PLAIN = 4
NPM_SCRIPT_BUILD_TOOL = 1  # node-gyp, prebuild-install, husky...
NPM_PREPARE = 1  # prepare runs for git installs and publishing, mostly builds
NPM_URL_DEPENDENCY = 2
ENCODED_PAYLOAD = 12  # a blob or string set that decodes to suspicious code
EMBEDDED_EXECUTABLE = 15  # an encoded ELF/PE/Mach-O in source
SPECIAL_ENTRY = {"symlink": 2, "hardlink": 4, "device": 10, "fifo": 6, "unsafe_path": 15, "other": 2}
LINK_OUTSIDE = 8  # a link that points outside the package
LINK_INSIDE = 1  # a link to another file of the package
NATIVE_BINARY = 2  # a compiled extension (.so, .pyd, .node): normal, noted
# An executable outside the native-extension names: more when install-time code sits beside it.
EXECUTABLE = 6
EXECUTABLE_AT_INSTALL = 20
EXECUTABLE_UNNAMED = 2  # no code of the package names it: a launcher template, a helper found by pattern
PYC_ONLY = 5  # compiled Python without its source
HIDDEN_FILE = 1
LONG_LINE = 6  # a packed Python line (thousands of characters around exec/eval/decode)
TYPOSQUAT = 10  # a name one or two edits from a popular one, in a package that also behaves
TYPOSQUAT_ALONE = 1  # the name alone is a note: it never tips a package into medium
# A dependency-confusion probe: an implausible version (tag "imitation") and a high-severity beacon
# carrying host or user identity anywhere in the package (probes often sit in a test-named file).
CONFUSION_PROBE = 15
# A top-level module named like a popular package the distribution is not (it replaces that module
# for every program: an import hijack), popular.SHADOWED_IMPORTS.
SHADOWS_POPULAR = 25
# An AI-agent tool whose description hides instructions to the model (analyzers/agent_tools.py).
TOOL_POISONING = 25
# A source distribution whose code is only compiled extension modules (analyzers/provenance.py).
COMPILED_ONLY = 25
# Binary bytes under a source extension (.py, .js): an encrypted or packed payload in disguise.
BINARY_SOURCE = 12
BINARY_SOURCE_MIN_BYTES = 1024

# Big projects (this many Python/JavaScript files) build native code with custom install commands
# and ship launchers; in a package of a few files those are the payload's entry point.
LARGE_PACKAGE_FILES = 150
LARGE_PACKAGE_INSTALL_OVERRIDE = 0.25
LARGE_PACKAGE_EXECUTABLE = 0.5
# An install-command override (cmdclass) when nothing that runs at install does anything else:
# a build customisation (copy data files, tag the wheel), not a payload's entry point.
# A download in a file that checks it against a pinned digest (analyzers/installers.py).
VERIFIED_DOWNLOAD_MULT = 0.5
# Every credential-file read of the package is of one kind (~/.pypirc in a publishing tool, ~/.ssh in an
# SSH library), nothing names an exfiltration endpoint, nothing runs at install (analyzers/credentials.py).
OWN_STORE_MULT = 0.4
HOOK_ALONE = 0.15  # three signatures describe the one override (import, subclass, cmdclass)

# ---------------------------------------------------------------- combinations (combos.py)
COMBO_ENDPOINT_SEND = 10
COMBO_ENDPOINT_SECRETS = 8
COMBO_REVERSE_SHELL = 25
COMBO_DOWNLOAD_RUN = 22
COMBO_HOST_BEACON_TWO = 16  # two host identifiers and an upload
COMBO_HOST_BEACON_MANY = 22  # three or more identifiers and any request
COMBO_C2_EXEC = 12
COMBO_LAYERED_OBFUSCATION = 10
COMBO_CRED_NETWORK = 12
COMBO_IMPORT_REMOTE_CODE = 12  # a top-level __init__ that fetches and evaluates code
COMBO_IMPORT_TIME_THEFT = 12  # a credential read as a module statement (or at install) and a send in one file
COMBO_DECODE_EXEC = 10
COMBO_DOWNLOAD_EXEC = 8
COMBO_HOOK = 6  # install/import-time code: network + exec, network + secrets, decode + exec
COMBO_HOOK_HIDDEN_EXEC = 6
COMBO_INSTALL_HOOK_BEHAVIOUR = 8
COMBO_STAGED_PAYLOAD = 18  # fetch, decode and evaluate code in one file
COMBO_HIDDEN_CODE_RUN = 15  # obfuscated or decoded code evaluated
COMBO_HOOK_OBFUSCATED = 10  # install/import-time code that is packed or obfuscated
COMBO_BROWSER_TAMPER = 14
COMBO_CLIPPER = 25
COMBO_UPLOAD_RAW_IP = 20  # files uploaded to a server named by a literal IP address (stealer drop)
COMBO_REMOTE_CODE = 20  # fetch and module compilation or computed-name evaluation in a small module
REMOTE_CODE_MAX_BYTES = 16_000
COMBO_PERSIST_NETWORK = 20  # installs itself to run again and talks to a server (backdoor, proxyware)
# A strong multi-step combination (combos.Combo.strong: staged payload, reverse shell, clipper...) in a
# vendored file the package does not import keeps this much of its weight, outside the low-value cap.
VENDORED_STRONG_COMBO_MULT = 1.0
# Engine checks that, like critical signatures, keep their full weight in a vendored file the package
# does not import (scanner._critical_in_vendored): hidden instructions in an AI-agent tool description.
KEEPS_WEIGHT_IN_VENDORED = {"eng_tool_poisoning"}
# A phase combination whose strong side is itself high or critical counts this much more.
STRONG_COMBO_BOOST = 1.25
# Big __init__ modules are libraries; import-time droppers are small.
HOOKED_IMPORT_MAX_BYTES = 30_000
# ...but a packed module (a packer's blob on a handful of lines) is one statement, whatever its size:
# it counts as hooked and its combinations are not damped for size.
PACKED_MAX_LINES = 10
BEACON_MAX_BYTES = 64_000


def size_damping(size: int) -> float:
    """Co-occurrence means less in a big module: droppers are small, libraries are long."""
    if size <= 32_000:
        return 1.0
    if size <= 128_000:
        return 0.6
    return 0.4


# ---------------------------------------------------------------- the tally
# The k-th most suspicious file adds FILE_DECAY**k of its points; past MAX_RANKED files, nothing.
FILE_DECAY = 0.5
MAX_RANKED = 8
# Low-severity rules (capabilities every big library has) add at most this much per phase,
# unless they sit in install-time code.
LOW_SEVERITY_CAP_PER_PHASE = 3
# And all low-severity signature matches of a package together, wherever they sit (setup.py too):
# platform checks, compiler subprocesses, env reads, exec of a version file, HTTP calls are what
# every build script and library does. What they mean together is the combinations' job.
LOW_SEVERITY_CAP_TOTAL = 4
# Prose and data are not behaviour: everything found in documentation, type stubs, data files and
# development tooling together adds at most this much to a package.
NOT_BEHAVIOUR_REASONS = ("documentation", "type stub", "data", "development tooling")
NOT_BEHAVIOUR_CAP = 4
# Code in tests, examples, docs and maintainer scripts runs neither at install nor on import, and
# vendored third-party trees (third_party/, vendor/, deps/: their build scripts and test harnesses
# mostly) are someone else's code: all of it together adds at most this much, prose and data included
# (everything outside the package's own shipped code shares this one budget).
LOW_VALUE_CODE_REASONS = ("tests or docs", "vendored")
LOW_VALUE_CODE_CAP = 5
# Package-level engine findings diminish per rule (the k-th link counts FILE_DECAY**k), not per file.
PACKAGE_LEVEL_RULES = {"eng_symlink", "eng_hardlink", "eng_device", "eng_fifo", "eng_unsafe_path", "eng_other",
                       "eng_hidden_file", "eng_native_binary", "eng_executable", "eng_pyc_only", "eng_typosquat",
                       "eng_confusion_probe", "eng_shadows_popular",
                       "eng_compiled_only"}
