"""What a deployment chooses, parsed once from CDK context (`cdk deploy -c key=value`, or cdk.json):

  stage             dev        the stack is ContactCenterPresence-<stage>; two stages deploy side by side
  authDomainPrefix  <derived>  Cognito managed login domain prefix, unique per region (default
                               contactcenter-<stage>-<account id>)
  allowedOrigins    (none)     comma-separated browser origins the HTTP API answers CORS for
  callbackUrls      (none)     comma-separated sign-in callback URLs of the browser app client
  logoutUrls        (none)     comma-separated sign-out URLs of the browser app client
  mfa               required   off, optional or required (TOTP, authenticator apps)
  sesEmail          (none)     a verified SES identity (address) Cognito sends invitations and resets from;
                               without it Cognito's own sender (about 50 emails a day) is used
  sesConfigurationSet (none)   optional SES configuration set for those emails
  alarmEmail        (none)     an address subscribed to the alarm topic
  operatorEmail     (none)     creates the first platform operator (invited by email)
  stageAccessLogs   false      API Gateway stage access logs; true needs the account's CloudWatch role
                               for API Gateway (set once per account and region)

A wrong value stops synthesis with a message naming the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from constructs import Node

from infra import naming

MFA_CHOICES = ("off", "optional", "required")
_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidSetting(ValueError):
    pass


MIN_LINK_SECONDS, MAX_LINK_SECONDS = 60, 43_200  # as contactcenter/environment.py accepts


@dataclass(frozen=True)
class DeploySettings:
    stage: str = "dev"
    auth_domain_prefix: str | None = None
    allowed_origins: tuple[str, ...] = ()
    callback_urls: tuple[str, ...] = ()
    logout_urls: tuple[str, ...] = ()
    mfa: str = "required"
    ses_email: str | None = None
    ses_configuration_set: str | None = None
    alarm_email: str | None = None
    operator_email: str | None = None
    stage_access_logs: bool = False
    report_link_seconds: int = 900  # how long report download links work: 60 s to 12 h

    @classmethod
    def from_context(cls, node: Node) -> DeploySettings:
        def value(key: str) -> Any:
            return node.try_get_context(key)

        settings = cls(
            stage=str(value("stage") or cls.stage),
            auth_domain_prefix=_text(value("authDomainPrefix")),
            allowed_origins=_urls("allowedOrigins", value("allowedOrigins"), origins=True),
            callback_urls=_urls("callbackUrls", value("callbackUrls")),
            logout_urls=_urls("logoutUrls", value("logoutUrls")),
            mfa=str(value("mfa") or cls.mfa).lower(),
            ses_email=_text(value("sesEmail")),
            ses_configuration_set=_text(value("sesConfigurationSet")),
            alarm_email=_text(value("alarmEmail")),
            operator_email=_text(value("operatorEmail")),
            stage_access_logs=_flag("stageAccessLogs", value("stageAccessLogs")),
            report_link_seconds=_whole("reportLinkSeconds", value("reportLinkSeconds"), cls.report_link_seconds),
        )
        settings.check()
        return settings

    def check(self) -> None:
        if not _STAGE.match(self.stage):
            raise InvalidSetting(f"stage {self.stage!r}: lower-case letters, digits and dashes, at most 20")
        if self.mfa not in MFA_CHOICES:
            raise InvalidSetting(f"mfa {self.mfa!r}: one of {', '.join(MFA_CHOICES)}")
        for key, email in (("sesEmail", self.ses_email), ("alarmEmail", self.alarm_email)):
            if email is not None and not _EMAIL.match(email):
                raise InvalidSetting(f"{key} {email!r} is not an email address")
        if self.operator_email is not None and not _EMAIL.match(self.operator_email):
            raise InvalidSetting(f"operatorEmail {self.operator_email!r} is not an email address")

        if not MIN_LINK_SECONDS <= self.report_link_seconds <= MAX_LINK_SECONDS:
            raise InvalidSetting(
                f"reportLinkSeconds {self.report_link_seconds}: from {MIN_LINK_SECONDS} to {MAX_LINK_SECONDS} "
                "(a presigned link dies with the credentials that signed it)"
            )

    @property
    def stack_name(self) -> str:
        return f"{naming.STACK_NAME}-{self.stage}"


def _text(raw: Any) -> str | None:
    text = str(raw).strip() if raw is not None else ""
    return text or None


def _urls(key: str, raw: Any, *, origins: bool = False) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    items = raw if isinstance(raw, list) else str(raw).split(",")
    urls = tuple(str(item).strip() for item in items if str(item).strip())
    if origins:  # an origin has no path: "https://console.example.com/" is "https://console.example.com"
        urls = tuple(url.rstrip("/") for url in urls)
    for url in urls:
        if url != "*" and not re.match(r"^https?://[^/\s]+", url):
            raise InvalidSetting(f"{key}: {url!r} is not an http(s) URL")
    return urls


def _whole(key: str, raw: Any, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(str(raw).strip())
    except ValueError:
        raise InvalidSetting(f"{key} {raw!r}: a whole number of seconds") from None


def _flag(key: str, raw: Any) -> bool:
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    text = str(raw).strip().lower()
    if text not in ("true", "false", "1", "0", "yes", "no", ""):
        raise InvalidSetting(f"{key} {raw!r}: true or false")
    return text in ("true", "1", "yes")
