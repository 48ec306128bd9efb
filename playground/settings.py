"""Settings: every knob is read from the environment, with development defaults.

With nothing set the app runs in development mode on SQLite with the in-memory
channel layer. DATABASE_URL and REDIS_URL switch it to PostgreSQL and Redis.
"""

import secrets
from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# Runtime state (SQLite file, generated secret key, logs, the local model) lives here.
DATA_DIR = Path(env.str("PLAYGROUND_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    # A random key kept on disk, so encrypted API keys and sessions survive restarts
    # without anyone ever shipping a fixed default.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
# Older secret keys, still accepted (Django's rotation); secrets.py decrypts with them too.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# Fernet key (urlsafe base64, 32 bytes) for secrets at rest; derived from SECRET_KEY if unset.
PLAYGROUND_ENCRYPTION_KEY = env.str("PLAYGROUND_ENCRYPTION_KEY", default="")
# Keys that encrypted secrets before it: they still decrypt (providers/secrets.py).
PLAYGROUND_OLD_ENCRYPTION_KEYS = env.list("PLAYGROUND_OLD_ENCRYPTION_KEYS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "channels",
    # The default task backend's results table, and its db_worker command.
    "django_tasks_db",
    "playground.accounts",
    "playground.providers",
    "playground.completions",
    "playground.runs",
    "playground.sessions",
    "playground.datasets",
    "playground.execution",
    "playground.datasetruns",
    "playground.sharing",
    "playground.localmodel",
]

MIDDLEWARE = [
    # First: everything after it sees the client's address and scheme, not a proxy's.
    "playground.trusted_proxies.trusted_proxy_middleware",
    "django.middleware.security.SecurityMiddleware",
    "playground.csp.PolicyOnEveryPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "playground.urls"
ASGI_APPLICATION = "playground.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "playground.accounts.context_processors.signup",
            ],
        },
    },
]

# Widget templates live in templates/ with the rest.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'playground.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let streaming runs save partial text while pages read.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Kept open between requests and runs: opening one (and its PRAGMAs) was a third of
    # the time from a run's submission to its first token (README, Performance).
    DATABASES["default"].setdefault("CONN_MAX_AGE", None)
else:
    # Check connections before reuse, so a restarted PostgreSQL never hands out a stale one.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis, whose sockets outlive a Redis outage (redis_outage.py).
            "BACKEND": "playground.redis_outage.OutageTolerantRedisChannelLayer",
            "CONFIG": {
                # redis-py 8 times out socket reads after 5 s by default, which is exactly
                # how long channels-redis blocks waiting for a message: idle sockets would
                # crash every 5 s. Reads may take a little longer than the blocking pop.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                # Room for bursts of token frames to many live viewers.
                "capacity": 1000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }

if REDIS_URL:
    # Shared by every process: model lists and login throttling hold across them. While
    # Redis is down it acts as an empty cache rather than failing requests: django-redis
    # answers every call as a miss (incr and decr with None) and logs the error.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work (django.tasks). Embedded: the tasks wait in the database until `manage.py
# db_worker` runs them, which `manage.py serve` starts beside daphne. With REDIS_URL: in an RQ
# queue in Redis, run by `manage.py rqworker` processes on any machine that reaches it.
if REDIS_URL:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    # django-rq's queue of that name, on the same Redis as the cache and the channel layer.
    # RQ kills a job after 180 s unless told otherwise; a dataset run's task works in slices
    # (PLAYGROUND_DATASET_TASK_SLICE_SECONDS) but finishes the rows in hand, which a slow
    # provider may stretch: an hour is the bound (datasetruns/tasks.py).
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# The database backend keeps a row per task run: serve deletes finished ones older than this
# (playground/worker.py prune_task_results), at start and once a day.
PLAYGROUND_TASK_RESULTS_KEEP_DAYS = env.int("PLAYGROUND_TASK_RESULTS_KEEP_DAYS", default=14)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "playground"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "playground": {"level": env.str("PLAYGROUND_LOG_LEVEL", default="INFO")},
        # Django's default console handler here wrote every django.* line (a task's state
        # in the worker's log, a request's error) a second time when DEBUG is on: the
        # root's handler writes them, once.
        "django": {"handlers": [], "level": "INFO"},
    },
}

# --- The playground's own knobs -------------------------------------------------------

PLAYGROUND_OPEN_SIGNUP = env.bool("PLAYGROUND_OPEN_SIGNUP", default=False)
# After this many failed logins for a username from one address, that pair is refused;
# past as many for a username, or from an address, each login waits (accounts/throttle.py)...
PLAYGROUND_LOGIN_FAILURE_LIMIT = env.int("PLAYGROUND_LOGIN_FAILURE_LIMIT", default=5)
# ...failures count for this many seconds, and a refused pair stays refused as long...
PLAYGROUND_LOGIN_THROTTLE_SECONDS = env.int("PLAYGROUND_LOGIN_THROTTLE_SECONDS", default=900)
# ...and a login waits at most this many seconds.
PLAYGROUND_LOGIN_MAX_WAIT = env.float("PLAYGROUND_LOGIN_MAX_WAIT", default=30)
# How a login waits: tests put in one that records the wait instead.
PLAYGROUND_LOGIN_SLEEP = "asyncio.sleep"
# The reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto
# are believed (trusted_proxies.py). None by default: then no client can choose its address.
PLAYGROUND_TRUSTED_PROXIES = env.list("PLAYGROUND_TRUSTED_PROXIES", default=[])
# Whether visitors who are not logged in may open share links (read-only).
PLAYGROUND_ANONYMOUS_SHARE_LINKS = env.bool("PLAYGROUND_ANONYMOUS_SHARE_LINKS", default=False)
# Seconds to wait for the provider to connect, and between two pieces of a response.
PLAYGROUND_UPSTREAM_CONNECT_TIMEOUT = env.float("PLAYGROUND_UPSTREAM_CONNECT_TIMEOUT", default=10)
PLAYGROUND_UPSTREAM_READ_TIMEOUT = env.float("PLAYGROUND_UPSTREAM_READ_TIMEOUT", default=120)
# A run keeps at most this much text, all its choices together; past it, it stops reading
# and fails with the text so far.
PLAYGROUND_MAX_OUTPUT_CHARS = env.int("PLAYGROUND_MAX_OUTPUT_CHARS", default=1_000_000)
# The most a provider may send in one piece (one stream event, or a whole response when
# not streaming): the memory a line that never ends can take.
PLAYGROUND_MAX_CHUNK_BYTES = env.int("PLAYGROUND_MAX_CHUNK_BYTES", default=8_000_000)
# Let the providers that users add reach loopback, private and link-local addresses, as
# staff's and shared ones may (providers/addresses.py): for single-user installs.
PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = env.bool("PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS", default=False)
# How long the model list of a provider is cached.
PLAYGROUND_MODELS_CACHE_SECONDS = env.int("PLAYGROUND_MODELS_CACHE_SECONDS", default=600)
# Partial text of a streaming run is saved at least this often.
PLAYGROUND_SAVE_INTERVAL = env.float("PLAYGROUND_SAVE_INTERVAL", default=2.0)
# The largest session file that may be imported.
PLAYGROUND_IMPORT_MAX_BYTES = env.int("PLAYGROUND_IMPORT_MAX_BYTES", default=5_000_000)
# Datasets (datasets/parsing.py): the most rows one may have, and the largest file (or
# pasted text) read, in bytes. A value is at most PLAYGROUND_MAX_PROMPT_CHARS characters.
PLAYGROUND_DATASET_MAX_ROWS = env.int("PLAYGROUND_DATASET_MAX_ROWS", default=5_000)
PLAYGROUND_DATASET_MAX_BYTES = env.int("PLAYGROUND_DATASET_MAX_BYTES", default=5_000_000)
# Dataset runs (datasetruns/): a worker holds the rows it claimed for this many seconds and
# renews the hold while it works on them; a dead worker's rows go to another once it lapses.
PLAYGROUND_DATASET_LEASE_SECONDS = env.float("PLAYGROUND_DATASET_LEASE_SECONDS", default=30)
# A row answered 429 or 5xx is sent again, at most this many times in all, after a wait that
# doubles from PLAYGROUND_DATASET_RETRY_SECONDS (or what Retry-After asks), at most
# PLAYGROUND_DATASET_MAX_RETRY_WAIT seconds.
PLAYGROUND_DATASET_MAX_ATTEMPTS = env.int("PLAYGROUND_DATASET_MAX_ATTEMPTS", default=4)
PLAYGROUND_DATASET_RETRY_SECONDS = env.float("PLAYGROUND_DATASET_RETRY_SECONDS", default=1.0)
PLAYGROUND_DATASET_MAX_RETRY_WAIT = env.float("PLAYGROUND_DATASET_MAX_RETRY_WAIT", default=60)
# A dataset run's task claims rows for this long, then queues its successor and ends, so
# that one worker takes turns between runs rather than finishing one first.
PLAYGROUND_DATASET_TASK_SLICE_SECONDS = env.float(
    "PLAYGROUND_DATASET_TASK_SLICE_SECONDS", default=120
)
# Tasks queued for a dataset run when it starts: with several workers (rqworkers on other
# machines), as many of them share its rows.
PLAYGROUND_DATASET_TASKS_PER_RUN = env.int("PLAYGROUND_DATASET_TASKS_PER_RUN", default=1)
# The longest prompt, suffix or JSON prompt a run may send, in characters.
PLAYGROUND_MAX_PROMPT_CHARS = env.int("PLAYGROUND_MAX_PROMPT_CHARS", default=200_000)
# The largest socket message; room for a prompt and a suffix at their cap in any script.
PLAYGROUND_MAX_SOCKET_MESSAGE_BYTES = env.int(
    "PLAYGROUND_MAX_SOCKET_MESSAGE_BYTES", default=2_000_000
)
# Per user, across all their tabs and server processes; 0 turns a cap off.
PLAYGROUND_MAX_CONCURRENT_RUNS = env.int("PLAYGROUND_MAX_CONCURRENT_RUNS", default=4)
PLAYGROUND_RUNS_PER_MINUTE = env.int("PLAYGROUND_RUNS_PER_MINUTE", default=30)
# The explorer's and prompt scoring's one-token requests, which are no runs: per user, in any
# 60 seconds, across tabs and processes (through the cache: Redis when REDIS_URL is set).
PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE = env.int(
    "PLAYGROUND_EXPLORE_REQUESTS_PER_MINUTE", default=240
)
# From the OpenAI SDK's conventions: a shared provider is made from these at start.
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")

# The embedded local model (llama-cpp-python's server running Gemma 3 270M); "off" disables it.
PLAYGROUND_LOCAL_MODEL = env.str("PLAYGROUND_LOCAL_MODEL", default="on").lower() not in (
    "off",
    "0",
    "false",
    "no",
)
PLAYGROUND_LOCAL_MODEL_PATH = env.str("PLAYGROUND_LOCAL_MODEL_PATH", default="")
PLAYGROUND_LOCAL_MODEL_PORT = env.int("PLAYGROUND_LOCAL_MODEL_PORT", default=8765)
PLAYGROUND_LOCAL_MODEL_CONTEXT = env.int("PLAYGROUND_LOCAL_MODEL_CONTEXT", default=2048)
PLAYGROUND_LOCAL_MODEL_LOG = Path(
    env.str("PLAYGROUND_LOCAL_MODEL_LOG", default=str(DATA_DIR / "local-model.log"))
)
# How many background workers `manage.py serve` runs beside daphne (playground/worker.py);
# 0 for none, where workers run elsewhere. Their output goes to PLAYGROUND_WORKER_LOG.
PLAYGROUND_WORKERS = env.int("PLAYGROUND_WORKERS", default=1)
PLAYGROUND_WORKER_LOG = Path(env.str("PLAYGROUND_WORKER_LOG", default=str(DATA_DIR / "worker.log")))

# --- Browser security ------------------------------------------------------------------

# Every script and stylesheet is a file under static/: no inline script, style or eval
# (base.html turns off htmx's injected indicator style and its eval features to match).
# 'self' covers the page's own ws:// and wss:// origin too (CSP Level 3).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

if not DEBUG:
    # Production is served over HTTPS only: the local default (DEBUG on) stays plain http.
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# The header a TLS-terminating proxy sets to "https": X-Forwarded-Proto unless named, behind
# PLAYGROUND_TRUSTED_PROXIES, which alone may send it then (trusted_proxies.py). Named
# without them, it is believed from anyone: only for a proxy that always overwrites it.
proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="") or (
    "X-Forwarded-Proto" if PLAYGROUND_TRUSTED_PROXIES else ""
)
if proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_ssl_header.upper().replace("-", "_"), "https")
