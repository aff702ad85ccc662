"""Capability tags: what a signature's match means, in a small fixed vocabulary.

Combinations (combos.py) are written over these tags, never over signature ids, so an analyst's
new signature with the right tags takes part in them, and withdrawing one signature does not
silently disable a combination while another signature still carries its tag.

Adding a tag: add it here with one line saying what a match means; the admin form and the pack
validation read this table. A tag no active signature carries makes a combination that uses it
dead, and tests/scans/engine/test_combos.py fails.
"""

TAGS: dict[str, str] = {
    "exec": "runs a command or evaluates code (exec, os.system, subprocess)",
    "eval": "evaluates code built at run time (exec, eval, compile, new Function, vm, module._compile)",
    "decode": "decodes or decompresses data (base64, zlib, marshal, hex)",
    "fetch": "requests data over the network (downloads, GET requests)",
    "send": "sends data out over the network (POST, raw IP endpoints, DNS lookups carrying data)",
    "exfil-endpoint": "names a place stolen data goes (webhooks, paste or tunnel hosts, request catchers, uploads)",
    "raw-ip": "names its server by a literal public IP address (no domain to take down or inspect)",
    "upload": "uploads files (multipart forms, curl -F / --upload-file)",
    "bot-channel": "a messaging-bot channel (Telegram or Discord bot), the remote control of a RAT",
    "secret-read": "reads credentials, tokens or keys",
    "env-read": "reads environment variables (every library does; not a secret by itself)",
    "secret-name": "names a secret the way an SDK uses its own (a token variable, a key field, the cloud "
                   "metadata token), not a store of someone else's",
    "host-id": "collects host identity (user name, host name, hardware id)",
    "shell": "spawns an interactive shell",
    "socket-connect": "opens a raw socket connection",
    "socket-recv": "receives data from a raw socket in a loop",
    "run-dropped": "runs a file named by a variable or dropped in a temporary folder",
    "hidden-process": "starts a hidden, detached or silenced process",
    "persist": "installs itself to run again (autorun keys, cron, shell profiles, services)",
    "browser-store": "reads or writes browser profiles (passwords, cookies, extensions)",
    "browser-tamper": "changes a browser's shortcuts, preferences or extension folders to load an extension",
    "net-hook": "replaces the page's network or wallet functions (fetch, XMLHttpRequest, ethereum.request)",
    "wallet": "reads cryptocurrency wallets",
    "clipboard": "reads the clipboard (a clipper watches it for addresses to swap)",
    "install-override": "replaces an install or build command (cmdclass, custom install)",
    "obfuscation": "hides code from readers (packers, encoded strings, odd identifiers)",
    "imitation": "poses as another package (an implausibly high version that wins dependency resolution)",
}


def unknown_tags(tags) -> list[str]:
    """The tags in tags that are not in the vocabulary."""
    return [t for t in tags if t not in TAGS]
