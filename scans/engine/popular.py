"""Popular package names, for typosquat checks.

Where these came from: hand-compiled (2026) from the public download rankings that everyone in
this field uses: the top of hugovk/top-pypi-packages (30-day PyPI downloads) and the npm
registry's most-downloaded / most-depended-upon packages. They are approximate and not a
snapshot; the point is a short list of names that attackers imitate, not completeness. A name
in these lists is never itself flagged; only names one or two edits away from one are.
"""

PYPI_POPULAR = frozenset(
    """
boto3 botocore urllib3 requests setuptools certifi charset-normalizer idna typing-extensions
python-dateutil s3transfer packaging six aiobotocore numpy pyyaml s3fs fsspec pip cryptography
grpcio-status cffi pycparser attrs pydantic protobuf jmespath rsa pyasn1 google-api-core
importlib-metadata zipp wheel platformdirs click markupsafe jinja2 pandas pytz tzdata colorama
awscli filelock virtualenv pyjwt pluggy pytest tomli cachetools googleapis-common-protos
wrapt pyasn1-modules google-auth psutil sqlalchemy pyarrow jsonschema aiohttp multidict
yarl frozenlist aiosignal async-timeout requests-oauthlib oauthlib pyparsing greenlet
docutils werkzeug flask exceptiongroup iniconfig pygments tomlkit scipy decorator pillow
beautifulsoup4 soupsieve lxml grpcio tqdm openpyxl et-xmlfile pyopenssl isodate
more-itertools msgpack distlib websocket-client h11 httpx httpcore anyio sniffio
matplotlib kiwisolver cycler fonttools contourpy regex coverage mock asn1crypto
google-cloud-storage google-cloud-core google-resumable-media proto-plus azure-core
azure-storage-blob paramiko bcrypt pynacl keyring jeepney secretstorage django
djangorestframework gunicorn uvicorn fastapi starlette redis celery kombu billiard vine
amqp sqlparse psycopg2 psycopg2-binary pymysql pymongo dnspython tornado pyzmq ipython
jupyter notebook nbformat nbconvert traitlets jedi parso prompt-toolkit wcwidth
scikit-learn joblib threadpoolctl tensorflow keras torch torchvision transformers
tokenizers huggingface-hub safetensors sympy networkx mpmath opencv-python selenium
scrapy twisted pyinstaller pyautogui pynput pywin32 discord discord-py colorama termcolor
rich typer loguru black flake8 pylint mypy isort autopep8 yapf pycodestyle pyflakes
sphinx setuptools-scm poetry poetry-core hatchling flit-core build twine tox nox
ruamel-yaml toml simplejson ujson orjson xmltodict markdown mistune bleach html5lib
chardet future pytz tzlocal arrow pendulum babel python-dotenv dotenv pysocks
requests-toolbelt boto awscrt botocore-stubs openai anthropic langchain tiktoken
google-generativeai gensim nltk spacy textblob web3 eth-account solana base58 ecdsa
pycryptodome pycryptodomex pycrypto fernet websockets aiofiles python-multipart
pyperclip pyqt5 pyside6 kivy pygame tkinter wxpython matplotlib-inline seaborn plotly
dash bokeh streamlit gradio xgboost lightgbm catboost statsmodels polars duckdb
""".split()
)

NPM_POPULAR = frozenset(
    """
lodash react react-dom chalk commander express debug semver tslib axios moment uuid
request async fs-extra glob minimist yargs bluebird underscore prop-types classnames
vue jquery webpack typescript babel-core eslint prettier mkdirp rimraf colors
body-parser dotenv inquirer ws socket.io node-fetch cross-env cheerio mongoose redis
jsonwebtoken bcrypt cors morgan nodemon electron coffee-script core-js rxjs zone.js
ajv ansi-styles supports-color strip-ansi ansi-regex has-flag color-convert color-name
escape-string-regexp string-width wrap-ansi emoji-regex ms minimatch brace-expansion
balanced-match lru-cache yallist signal-exit picomatch readable-stream safe-buffer
inherits once wrappy graceful-fs source-map kind-of is-number fill-range to-regex-range
micromatch braces chokidar anymatch glob-parent is-glob is-extglob path-key which
cross-spawn shebang-command isexe execa get-stream strip-final-newline onetime
mimic-fn human-signals npm-run-path postcss autoprefixer sass less styled-components
next nuxt svelte angular jest mocha chai sinon karma jasmine puppeteer playwright
vite rollup esbuild parcel gulp grunt browserify uglify-js terser babel-loader
css-loader style-loader file-loader url-loader html-webpack-plugin dayjs date-fns
luxon qs querystring form-data mime mime-types combined-stream delayed-stream asynckit
follow-redirects http-proxy-agent https-proxy-agent agent-base socks-proxy-agent
event-stream flatmap-stream ua-parser-js node-ipc coa rc eslint-scope crossenv
discord.js web3 ethers bignumber.js bn.js elliptic crypto-js node-forge tough-cookie
xml2js yaml js-yaml json5 iconv-lite buffer events util punycode string_decoder
""".split()
)

# Import names of popular PyPI distributions, with the distribution that owns each. A package whose
# own top-level module has one of these names, when its name contains neither the module's nor the
# owner's, replaces that module for every program on the machine (netmanagement shipping
# "requests/"). Names that honest forks share (discord, telegram, cv2) are left out.
SHADOWED_IMPORTS = {
    "requests": "requests", "urllib3": "urllib3", "certifi": "certifi", "idna": "idna",
    "charset_normalizer": "charset-normalizer", "six": "six", "numpy": "numpy", "pandas": "pandas",
    "yaml": "pyyaml", "boto3": "boto3", "botocore": "botocore", "aiohttp": "aiohttp", "flask": "flask",
    "django": "django", "jinja2": "jinja2", "click": "click", "cryptography": "cryptography",
    "dateutil": "python-dateutil", "jwt": "pyjwt", "typing_extensions": "typing-extensions",
    "setuptools": "setuptools", "pip": "pip", "httpx": "httpx", "colorama": "colorama", "tqdm": "tqdm",
    "psutil": "psutil", "paramiko": "paramiko", "bs4": "beautifulsoup4", "PIL": "pillow",
    "sklearn": "scikit-learn", "selenium": "selenium", "openai": "openai", "web3": "web3",
    "Crypto": "pycryptodome", "nacl": "pynacl", "socks": "pysocks",
}
