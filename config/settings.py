"""Lyceum settings: one module, driven by environment variables.

The embedded default (no variables set) is a development install: SQLite and
the job queue under ``var/``, an in-memory channel layer, mail written to
``var/mail/``.  ``LYCEUM_ENV=production`` turns on every production safeguard
and refuses to start with anything that only suits development.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import environ
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

LYCEUM_ENV = env.str("LYCEUM_ENV", default="development")
if LYCEUM_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured("LYCEUM_ENV must be development, production or test.")
PRODUCTION = LYCEUM_ENV == "production"

VAR_DIR = Path(env.str("LYCEUM_VAR_DIR", default="") or BASE_DIR / "var").resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("LYCEUM_DEBUG", default=LYCEUM_ENV == "development")


def _secret_key() -> str:
    key = env.str("SECRET_KEY", default="")
    if PRODUCTION:
        if not key or key.startswith(("django-insecure", "dev-")) or len(set(key)) < 5:
            raise ImproperlyConfigured(
                "Production refuses to start without a strong SECRET_KEY "
                "(50+ random characters, not a development key)."
            )
        if len(key) < 50:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")
        return key
    if key:
        return key
    # A development install keeps its own random key so sessions survive restarts.
    return _dev_secret("dev-secret-key", lambda: "dev-" + secrets.token_urlsafe(48))


def _dev_secret(name: str, make: Callable[[], str]) -> str:
    """A development secret kept in ``var/`` (made once; never used in production)."""
    key_file = VAR_DIR / name
    try:
        # O_EXCL: processes starting together on a fresh folder agree on one key.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(make())
    for _attempt in range(50):
        if key := key_file.read_text().strip():
            return key
        time.sleep(0.02)  # another process created the file and is still writing it
    raise ImproperlyConfigured(f"{key_file} is empty; delete it to make a new one.")


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Production needs ALLOWED_HOSTS (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The site's public address, for links in mail sent by commands and jobs (not by a request).
LYCEUM_SITE_URL = env.str(
    "LYCEUM_SITE_URL",
    default=f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://127.0.0.1:8000",
).rstrip("/")

# The operator school: the controller named in policies, emails and the footer.
LYCEUM_SCHOOL = {
    "name": env.str("LYCEUM_SCHOOL_NAME", default="Lyceum Online School"),
    "postal_address": env.str(
        "LYCEUM_SCHOOL_ADDRESS", default="1 Example Street, 75001 Paris, France"
    ),
    "contact_email": env.str("LYCEUM_SCHOOL_EMAIL", default="hello@lyceum.example"),
    "dpo_email": env.str("LYCEUM_DPO_EMAIL", default="dpo@lyceum.example"),
    "hosting_region": env.str("LYCEUM_HOSTING_REGION", default="European Union"),
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "huey.contrib.djhuey",
    # Before allauth, so that the site's layout and error pages override allauth's.
    "lyceum.web",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    # OAuth2 client credentials for the speech API (P40); its token endpoint only, /o/token/.
    "oauth2_provider",
    # django-ninja's own copy of Swagger UI for /api/docs (no CDN, no inline script: CSP).
    "ninja",
    "lyceum.core",
    "lyceum.privacy",
    "lyceum.accounts",
    "lyceum.orgs",
    "lyceum.learning",
    "lyceum.analytics",
    "lyceum.speech",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "lyceum.privacy.cookies.CookieConsentMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "lyceum.speech.middleware.SpeechApiJsonErrorsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lyceum.core.middleware.RequestContextMiddleware",
    "lyceum.accounts.middleware.UserPreferencesMiddleware",
    "lyceum.privacy.middleware.BrowserSignalMiddleware",
    "lyceum.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "lyceum.web.context_processors.school",
                "lyceum.privacy.context_processors.consent",
                "lyceum.privacy.context_processors.cookie_banner",
                "lyceum.privacy.context_processors.policy_notice",
                "lyceum.privacy.context_processors.request_desk",
            ],
        },
    },
]

# Database: SQLite under var/ by default, PostgreSQL (or any DATABASE_URL) at scale.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'lyceum.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers instead of failing with "database is locked"
    # when two processes upgrade a read lock at once; WAL lets readers run during a write.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("LYCEUM_CACHE_PREFIX", default="lyceum"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env.str("LYCEUM_CACHE_PREFIX", default="lyceum") + ":asgi",
            },
        }
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env.str("LYCEUM_CACHE_PREFIX", default="lyceum"),
        "url": REDIS_URL,
    }
else:
    # The database cache is shared by every process of an embedded install, so rate
    # limits and lock-outs hold across processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "lyceum_cache",
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "lyceum",
        "filename": str(VAR_DIR / "jobs.sqlite3"),
    }
HUEY.update(
    {
        "immediate": env.bool("LYCEUM_JOBS_IMMEDIATE", default=False),
        "consumer": {"workers": env.int("LYCEUM_JOB_WORKERS", default=2), "worker_type": "thread"},
    }
)

# Accounts
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"

ACCOUNT_ADAPTER = "lyceum.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "lyceum.accounts.adapters.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD = "website"  # lyceum.core.forms.HONEYPOT_FIELD
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
# Changing the address or password asks for the password again, and the old address is told.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{LYCEUM_SCHOOL['name']}] "
# The version of the privacy notice that consents are given under (recorded with each).
LYCEUM_PRIVACY_NOTICE_VERSION = env.str("LYCEUM_PRIVACY_NOTICE_VERSION", default="2026-12-02")
# What the generated privacy policy says about transfers outside the hosting region (empty:
# none), and which supervisory authority people may complain to.
LYCEUM_PRIVACY_TRANSFERS = env.str("LYCEUM_PRIVACY_TRANSFERS", default="")
LYCEUM_PRIVACY_AUTHORITY = env.str(
    "LYCEUM_PRIVACY_AUTHORITY",
    default="Commission nationale de l'informatique et des libertés (CNIL), https://www.cnil.fr",
)
# Below this age, an account needs a parent's or the school's consent (P31).
LYCEUM_CHILD_AGE = env.int("LYCEUM_CHILD_AGE", default=13)
ACCOUNT_RATE_LIMITS = {
    # Five wrong passwords for one account lock it for 15 minutes; 10 a minute per address.
    "login_failed": "10/m/ip,5/15m/key",
    "signup": "30/h/ip",
    "reset_password": "20/h/ip,5/h/key",
    # Pseudonymous students (P29): joining a class by its code (a school's whole class may
    # share one address), and failed attempts (wrong class code or personal code), per
    # address and per personal code.
    "pseudonym_join": "100/10m/ip",
    "pseudonym_failed": "30/10m/ip",
    "pseudonym_code_failed": "5/10m/key",
    # Emails sent to addresses someone typed (class invitations, an organisation's members).
    "lyceum_invite": "60/h/user",
}
ACCOUNT_FORMS = {
    "signup": "lyceum.accounts.forms.SignupForm",
    "reset_password": "lyceum.accounts.forms.ResetPasswordForm",
}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = LYCEUM_SCHOOL["name"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION


def _oidc_app(provider_id: str, name: str, default_server: str) -> dict | None:
    prefix = f"LYCEUM_{provider_id.upper()}"
    client_id = env.str(f"{prefix}_CLIENT_ID", default="")
    if not client_id:
        return None
    return {
        "provider_id": provider_id,
        "name": name,
        "client_id": client_id,
        "secret": env.str(f"{prefix}_CLIENT_SECRET", default=""),
        "settings": {
            "server_url": env.str(f"{prefix}_SERVER_URL", default=default_server),
            # Name and email only (P12): no profile photo, locale or other claims.
            "scope": ["openid", "email", "profile"],
            "oauth_pkce_enabled": True,
        },
    }


_MS_TENANT = env.str("LYCEUM_MICROSOFT_TENANT", default="")
_MS_UNVERIFIABLE_TENANTS = {"", "common", "organizations"}
if env.str("LYCEUM_MICROSOFT_CLIENT_ID", default="") and _MS_TENANT in _MS_UNVERIFIABLE_TENANTS:
    # The multi-tenant endpoints publish the issuer ".../{tenantid}/v2.0", which no ID
    # token matches, so every sign-in would fail: refuse to start instead.
    raise ImproperlyConfigured(
        "LYCEUM_MICROSOFT_TENANT must be your Microsoft Entra directory (tenant) ID, "
        "or 'consumers' for personal Microsoft accounts."
    )
OIDC_APPS = [
    app
    for app in (
        _oidc_app("google", "Google", "https://accounts.google.com"),
        _oidc_app(
            "microsoft",
            "Microsoft",
            f"https://login.microsoftonline.com/{_MS_TENANT}/v2.0",
        ),
    )
    if app
]
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": OIDC_APPS, "EMAIL_AUTHENTICATION": True}}
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# New people signing in with Google or Microsoft are asked their date of birth first (P31).
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_FORMS = {"signup": "lyceum.accounts.forms.SocialSignupForm"}
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_ONLY = False

# Internationalisation
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("uk", _("Ukrainian"))]
LOCALE_PATHS = [BASE_DIR / "lyceum" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_COOKIE_NAME = "lyceum_language"
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Static files and media
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Mail: written to var/mail/ (and echoed in debug) unless EMAIL_URL names an SMTP server.
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default=f"{LYCEUM_SCHOOL['name']} <{LYCEUM_SCHOOL['contact_email']}>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
LYCEUM_MAIL_DIR = VAR_DIR / "mail"
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    _smtp = env.email_url_config(EMAIL_URL)
    EMAIL_HOST = _smtp["EMAIL_HOST"]
    EMAIL_PORT = _smtp["EMAIL_PORT"]
    EMAIL_HOST_USER = _smtp.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = _smtp.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = _smtp.get("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = _smtp.get("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = 30
    LYCEUM_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    LYCEUM_DELIVERY_BACKEND = "lyceum.core.mail.FolderBackend"
# Every message leaves through the job queue, after the transaction that caused it commits.
EMAIL_BACKEND = "lyceum.core.mail.QueuedBackend"

# The privacy engine
# Field encryption (P14): Fernet keys, newest first; older keys still decrypt, so a key is
# rotated by putting a new one in front and running `lyceum privacy rekey`.
LYCEUM_FIELD_KEYS = env.list("LYCEUM_FIELD_KEYS", default=[])
# Backups (P51) are encrypted with this Fernet key, kept apart from the backups themselves.
LYCEUM_BACKUP_KEY = env.str("LYCEUM_BACKUP_KEY", default="")
if PRODUCTION and not (LYCEUM_FIELD_KEYS and LYCEUM_BACKUP_KEY):
    raise ImproperlyConfigured(
        "Production needs LYCEUM_FIELD_KEYS and LYCEUM_BACKUP_KEY "
        "(make each with: lyceum privacy newkey)."
    )
if not LYCEUM_FIELD_KEYS:
    LYCEUM_FIELD_KEYS = [_dev_secret("dev-field-key", lambda: Fernet.generate_key().decode())]
if not LYCEUM_BACKUP_KEY:
    LYCEUM_BACKUP_KEY = _dev_secret("dev-backup-key", lambda: Fernet.generate_key().decode())
# Erasure (P43): how long a deleted account can still be restored by its owner.
LYCEUM_ERASURE_GRACE_DAYS = env.int("LYCEUM_ERASURE_GRACE_DAYS", default=30)
if not 0 <= LYCEUM_ERASURE_GRACE_DAYS <= 183:
    raise ImproperlyConfigured("LYCEUM_ERASURE_GRACE_DAYS must be between 0 and 183 (6 months).")

# The speech API (P39, P40)
# django-oauth-toolkit issues access tokens to API clients by the client-credentials grant
# only (the validator refuses every other grant), so no token ever names a person.
OAUTH2_PROVIDER = {
    "SCOPES": {"assess": "Assess recordings", "usage": "Read usage figures"},
    "DEFAULT_SCOPES": ["assess"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # Every recommendation of the OAuth 2.0 Security BCP (RFC 9700); among them, only a hash
    # of each token is stored, like the API keys.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "OAUTH2_VALIDATOR_CLASS": "lyceum.speech.clients.ClientCredentialsValidator",
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
# Recordings up to this length are assessed during the request; longer ones (up to the
# engine's cap) get a job to poll.
LYCEUM_SPEECH_API_SYNC_SECONDS = env.float("LYCEUM_SPEECH_API_SYNC_SECONDS", default=15.0)
# Engine processes the web's assessments run in (default: one per core; 0: in the request's).
LYCEUM_SPEECH_PROCESSES = env.int("LYCEUM_SPEECH_PROCESSES", default=os.cpu_count() or 1)

# Security
# Sessions carry the signed-in person's id in a column, so they can be revoked at once.
SESSION_ENGINE = "lyceum.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Behind a load balancer, `lyceum serve` takes the client's address and scheme from the
# X-Forwarded-* headers of these proxies only, so rate limits and the audit log see the person.
LYCEUM_BEHIND_PROXY = env.bool("LYCEUM_BEHIND_PROXY", default=False)
LYCEUM_TRUSTED_PROXIES = env.list("LYCEUM_TRUSTED_PROXIES", default=["127.0.0.1"])
if PRODUCTION and LYCEUM_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

_form_targets = [
    SELF,
    *sorted(
        {
            f"{urlsplit(app['settings']['server_url']).scheme}://"
            f"{urlsplit(app['settings']['server_url']).netloc}"
            for app in OIDC_APPS
        }
    ),
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": _form_targets,
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # run_huey installs its own handler; without this every line would print twice.
    "loggers": {"huey": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
