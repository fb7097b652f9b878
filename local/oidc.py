"""The local issuer's OpenID Connect endpoints, shaped as a Cognito user pool and its managed login domain
serve them, so a browser's sign-in code (oidc-client-ts) and an integration's token code are the same
locally and on AWS. Under the issuer URL ({gateway}/_local/idp):

- GET  /.well-known/openid-configuration   the discovery document (Cognito's members)
- GET  /.well-known/jwks.json              the key set
- GET  /oauth2/authorize                   a plain sign-in page: a button per person, by organization
- POST /oauth2/authorize                   signs the chosen person in: 302 to redirect_uri with code and state
- POST /oauth2/token                       authorization_code (PKCE S256 checked), refresh_token, client_credentials
- GET  /oauth2/userInfo                    the person of an access token
- POST /oauth2/revoke                      revokes a refresh token
- GET  /logout                             302 to logout_uri

Cognito's rules kept: codes are single-use and live 5 minutes; a code is bound to its client, redirect URI
and PKCE challenge (S256 only); refresh gives new ID and access tokens (no new refresh token) from the
person's current groups, and fails for a disabled person; client credentials need the integration's secret
(HTTP Basic or form) and get an access token with the integration scope, passed through the user pool's
pre token generation trigger (the real `token_claims` function), which adds the organization.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from local.cors import CorsPolicy
from local.issuer import LocalIssuer, LocalUser, UnknownUser

CODE_SECONDS = 300  # Cognito: an authorization code is valid for 5 minutes
REFRESH_SECONDS = 12 * 3600  # the people client's refresh token validity (infra/constructs/identity.py)
INTEGRATION_SCOPE = "contactcenter/integration"
PEOPLE_SCOPES = ("openid", "email", "profile")
CLIENT_CREDENTIALS_TRIGGER = "TokenGeneration_ClientCredentials"
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}

# Runs the user pool's pre token generation trigger (event version 3) and returns its response.
TokenTrigger = Callable[[dict[str, Any]], Mapping[str, Any]]


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class MachineClient:
    client_id: str
    secret: str
    organization_id: str
    name: str
    enabled: bool = True


@dataclass(frozen=True)
class _Code:
    username: str
    client_id: str
    redirect_uri: str
    challenge: str | None
    nonce: str | None
    scope: str
    expires_at: float


@dataclass(frozen=True)
class _Refresh:
    username: str
    client_id: str
    scope: str
    expires_at: float


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in _LOOPBACK_HOSTS


class OpenIdProvider:
    """The grants of the local issuer: people sign in (code + PKCE, refresh), machines by client credentials."""

    def __init__(self, issuer: LocalIssuer, *, token_trigger: TokenTrigger | None = None) -> None:
        self.issuer = issuer
        self._trigger = token_trigger
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._machines: dict[str, MachineClient] = {}

    # --- what the local identity directory tells -------------------------------------------------

    def learn(self, identity: Any) -> None:
        """An identity created or changed through the admin API (a contactcenter LocalIdentity)."""
        if getattr(identity, "machine", False):
            client = MachineClient(
                client_id=str(identity.user_id),
                secret=str(identity.client_secret or ""),
                organization_id=str(identity.organization_id),
                name=str(identity.display_name),
                enabled=bool(identity.enabled),
            )
            with self._lock:
                self._machines[client.client_id] = client
            return
        self.issuer.add_user(
            LocalUser(
                user_id=str(identity.user_id),
                username=str(identity.username),
                organization_id=str(identity.organization_id),
                roles=tuple(identity.roles),
                display_name=str(identity.display_name),
                email=str(identity.email),
                enabled=bool(identity.enabled),
            )
        )

    # --- endpoints' logic -------------------------------------------------------------------------

    @property
    def domain(self) -> str:
        """Where Cognito's managed login domain would be: the OAuth endpoints."""
        return self.issuer.issuer

    def discovery(self) -> dict[str, Any]:
        domain = self.domain
        return {
            "authorization_endpoint": f"{domain}/oauth2/authorize",
            "id_token_signing_alg_values_supported": ["RS256"],
            "issuer": self.issuer.issuer,
            "jwks_uri": self.issuer.jwks_url,
            "response_types_supported": ["code", "token"],
            "revocation_endpoint": f"{domain}/oauth2/revoke",
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "token_endpoint": f"{domain}/oauth2/token",
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "userinfo_endpoint": f"{domain}/oauth2/userInfo",
        }

    def check_authorize(self, params: Mapping[str, str]) -> None:
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "response_type must be code")
        if params.get("client_id") != self.issuer.audience:
            raise OAuthError("invalid_client", f"client_id must be {self.issuer.audience}")
        if not is_loopback_url(params.get("redirect_uri", "")):
            raise OAuthError("invalid_request", "redirect_uri must be a loopback URL locally (a callback URL on AWS)")
        method = params.get("code_challenge_method")
        if params.get("code_challenge") and method != "S256":
            raise OAuthError("invalid_request", "code_challenge_method must be S256")

    def sign_in(self, params: Mapping[str, str], username: str) -> str:
        """The redirect for `username` signing in: the authorization code and the state."""
        self.check_authorize(params)
        user = self._active_user(username, error="access_denied")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(
                username=user.username,
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                challenge=params.get("code_challenge") or None,
                nonce=params.get("nonce") or None,
                scope=params.get("scope") or " ".join(PEOPLE_SCOPES),
                expires_at=time.time() + CODE_SECONDS,
            )
        query = {"code": code} | ({"state": params["state"]} if params.get("state") else {})
        separator = "&" if "?" in params["redirect_uri"] else "?"
        return f"{params['redirect_uri']}{separator}{urlencode(query)}"

    def token(self, form: Mapping[str, str], authorization: str | None) -> dict[str, Any]:
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._authorization_code(form)
        if grant == "refresh_token":
            return self._refresh_token(form)
        if grant == "client_credentials":
            return self._client_credentials(form, authorization)
        raise OAuthError(
            "unsupported_grant_type", "grant_type must be authorization_code, refresh_token or client_credentials"
        )

    def user_info(self, authorization: str | None) -> dict[str, Any]:
        token = (authorization or "").removeprefix("Bearer ").strip()
        try:
            claims = self.issuer.verify(token)
        except jwt.PyJWTError:
            raise OAuthError("invalid_token", "the access token is invalid or expired", status=401) from None
        if claims.get("token_use") != "access" or "username" not in claims:
            raise OAuthError("invalid_token", "an access token of a person is needed", status=401)
        user = self._active_user(str(claims["username"]), error="invalid_token")
        return {
            "sub": user.user_id,
            "email": user.email,
            "email_verified": "true",
            "name": user.display_name,
            "username": user.username,
            "custom:organization": user.organization_id,
        }

    def revoke(self, form: Mapping[str, str]) -> None:
        with self._lock:
            self._refresh.pop(form.get("token", ""), None)

    def people(self) -> list[LocalUser]:
        return sorted(
            (user for user in self.issuer.users if user.enabled),
            key=lambda user: (user.organization_id, user.display_name or user.username),
        )

    # --- grants ------------------------------------------------------------------------------------

    def _authorization_code(self, form: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)  # single use, even when refused below
        if code is None or code.expires_at < time.time():
            raise OAuthError("invalid_grant", "the code is unknown, used or expired")
        if form.get("client_id") != code.client_id or form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "client_id and redirect_uri must be those of the authorization")
        if code.challenge is not None:
            verifier = form.get("code_verifier", "")
            if not verifier or not secrets.compare_digest(s256(verifier), code.challenge):
                raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        user = self._active_user(code.username, error="invalid_grant")
        refresh = secrets.token_urlsafe(48)
        with self._lock:
            self._refresh[refresh] = _Refresh(user.username, code.client_id, code.scope, time.time() + REFRESH_SECONDS)
        return self._person_tokens(user, code.scope, nonce=code.nonce) | {"refresh_token": refresh}

    def _refresh_token(self, form: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            refresh = self._refresh.get(form.get("refresh_token", ""))
        if refresh is None or refresh.expires_at < time.time() or form.get("client_id") != refresh.client_id:
            raise OAuthError("invalid_grant", "the refresh token is unknown, revoked or expired")
        user = self._active_user(refresh.username, error="invalid_grant")
        return self._person_tokens(user, refresh.scope, nonce=None)

    def _client_credentials(self, form: Mapping[str, str], authorization: str | None) -> dict[str, Any]:
        client_id, secret = _client_secret(form, authorization)
        with self._lock:
            client = self._machines.get(client_id)
        if client is None or not client.enabled or not secrets.compare_digest(client.secret, secret):
            raise OAuthError("invalid_client", "unknown client, wrong secret or retired integration", status=401)
        requested = form.get("scope", "").split()
        if any(scope != INTEGRATION_SCOPE for scope in requested):
            raise OAuthError("invalid_scope", f"this client may ask for {INTEGRATION_SCOPE} only")
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": client_id,
            "token_use": "access",
            "scope": INTEGRATION_SCOPE,
            "auth_time": now,
            "iss": self.issuer.issuer,
            "exp": now + 3600,
            "iat": now,
            "version": 2,
            "jti": str(uuid.uuid4()),
            "client_id": client_id,
        }
        claims |= self._trigger_claims(client_id)
        return {"access_token": self.issuer.sign(claims), "expires_in": 3600, "token_type": "Bearer"}

    def _trigger_claims(self, client_id: str) -> dict[str, Any]:
        if self._trigger is None:
            return {}
        event = {
            "version": "3",
            "triggerSource": CLIENT_CREDENTIALS_TRIGGER,
            "region": "us-east-1",
            "userPoolId": "us-east-1_local",
            "userName": client_id,
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
            "request": {
                "userAttributes": {},
                "groupConfiguration": {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None},
                "scopes": [INTEGRATION_SCOPE],
                "clientMetadata": {},
            },
            "response": {"claimsAndScopeOverrideDetails": None},
        }
        try:
            result = self._trigger(event)
        except Exception as error:  # Cognito answers a failing trigger with an error and no token
            raise OAuthError("invalid_request", f"the pre token generation trigger refused: {error}") from error
        details = (result.get("response") or {}).get("claimsAndScopeOverrideDetails") or {}
        return dict((details.get("accessTokenGeneration") or {}).get("claimsToAddOrOverride") or {})

    def _person_tokens(self, user: LocalUser, scope: str, *, nonce: str | None) -> dict[str, Any]:
        expires_in = self.issuer.token_ttl_seconds
        now = int(time.time())
        id_claims: dict[str, Any] = {"nonce": nonce} if nonce else {}
        id_token = self.issuer.mint(user, now=now, expires_in=expires_in, claims=id_claims)
        access: dict[str, Any] = {
            "sub": user.user_id,
            "iss": self.issuer.issuer,
            "version": 2,
            "client_id": self.issuer.audience,
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
            "token_use": "access",
            "scope": scope,
            "auth_time": now,
            "exp": now + expires_in,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "username": user.username,
        }
        if user.roles:
            access["cognito:groups"] = list(user.roles)
        return {
            "id_token": id_token,
            "access_token": self.issuer.sign(access),
            "expires_in": expires_in,
            "token_type": "Bearer",
        }

    def _active_user(self, username: str, *, error: str) -> LocalUser:
        try:
            user = self.issuer.user(username)
        except UnknownUser:
            raise OAuthError(error, "no such person") from None
        if not user.enabled:
            raise OAuthError(error, "this person is disabled")
        return user


def _client_secret(form: Mapping[str, str], authorization: str | None) -> tuple[str, str]:
    if authorization and authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "the Basic credentials are not base64", status=401) from None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (what OAuth clients send), without a multipart parser."""
    return dict(parse_qsl((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True))


def _error(error: OAuthError) -> JSONResponse:
    return JSONResponse({"error": error.error, "error_description": error.description}, status_code=error.status)


def sign_in_page(provider: OpenIdProvider, params: Mapping[str, str], action: str) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in params.items()
    )
    sections: list[str] = []
    organization = None
    for user in provider.people():
        if user.organization_id != organization:
            if organization is not None:
                sections.append("</ul>")
            organization = user.organization_id
            sections.append(f"<h2>{html.escape(organization)}</h2><ul>")
        label = f"{user.display_name or user.username} ({user.username}; {', '.join(user.roles) or 'no role'})"
        sections.append(
            f'<li><button type="submit" name="username" value="{html.escape(user.username)}">'
            f"{html.escape(label)}</button></li>"
        )
    if organization is not None:
        sections.append("</ul>")
    people = "".join(sections) or "<p>Nobody can sign in yet.</p>"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in (local)</title></head>'
        "<body><h1>Sign in to the local stack</h1>"
        "<p>Local sign-in: no password. On AWS this is Cognito's managed login.</p>"
        f'<form method="post" action="{html.escape(action)}">{hidden}{people}</form></body></html>'
    )


class OidcEndpoints:
    def __init__(self, provider: OpenIdProvider, *, base_path: str, cors: CorsPolicy | None = None) -> None:
        self._provider = provider
        self._base = base_path
        self._cors = cors

    def routes(self) -> list[BaseRoute]:
        base = self._base
        return [
            Route(f"{base}/.well-known/openid-configuration", self.discovery, methods=["GET", "OPTIONS"]),
            Route(f"{base}/.well-known/jwks.json", self.jwks, methods=["GET", "OPTIONS"]),
            Route(f"{base}/oauth2/authorize", self.authorize, methods=["GET", "POST"]),
            Route(f"{base}/oauth2/token", self.token, methods=["POST", "OPTIONS"]),
            Route(f"{base}/oauth2/userInfo", self.user_info, methods=["GET", "OPTIONS"]),
            Route(f"{base}/oauth2/revoke", self.revoke, methods=["POST", "OPTIONS"]),
            Route(f"{base}/logout", self.logout, methods=["GET"]),
        ]

    def _with_cors(self, request: Request, response: Response) -> Response:
        # A browser app calls these from its own origin (oidc-client-ts fetches discovery, keys and tokens).
        if self._cors is not None:
            headers = (
                self._cors.preflight_headers(request.headers)
                if request.method == "OPTIONS"
                else self._cors.response_headers(request.headers)
            )
            response.headers.update(headers)
        return response

    async def discovery(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self._with_cors(request, Response(status_code=204))
        return self._with_cors(request, JSONResponse(self._provider.discovery()))

    async def jwks(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self._with_cors(request, Response(status_code=204))
        return self._with_cors(request, JSONResponse(self._provider.issuer.jwks()))

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            params = await _form(request)
            username = params.pop("username", "")
            try:
                return RedirectResponse(self._provider.sign_in(params, username), status_code=302)
            except OAuthError as error:
                return _error(error)
        try:
            self._provider.check_authorize(params)
        except OAuthError as error:
            return _error(error)
        return HTMLResponse(sign_in_page(self._provider, params, f"{self._base}/oauth2/authorize"))

    async def token(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self._with_cors(request, Response(status_code=204))
        form = await _form(request)
        try:
            # The client-credentials grant runs the token trigger, a function: not on the event loop.
            body = await run_in_threadpool(self._provider.token, form, request.headers.get("authorization"))
        except OAuthError as error:
            return self._with_cors(request, _error(error))
        return self._with_cors(request, JSONResponse(body, headers={"cache-control": "no-store"}))

    async def user_info(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self._with_cors(request, Response(status_code=204))
        try:
            body = self._provider.user_info(request.headers.get("authorization"))
        except OAuthError as error:
            return self._with_cors(request, _error(error))
        return self._with_cors(request, JSONResponse(body))

    async def revoke(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self._with_cors(request, Response(status_code=204))
        self._provider.revoke(await _form(request))
        return self._with_cors(request, Response(status_code=200))

    async def logout(self, request: Request) -> Response:
        params = request.query_params
        logout_uri = params.get("logout_uri", "")
        if params.get("client_id") != self._provider.issuer.audience or not is_loopback_url(logout_uri):
            return _error(OAuthError("invalid_request", "client_id and a loopback logout_uri are needed"))
        return RedirectResponse(logout_uri, status_code=302)
