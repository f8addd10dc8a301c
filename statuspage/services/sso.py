"""Single sign-on for the console with any OpenID Connect provider (authorization code flow with PKCE).

The provider is found by its discovery document; the ID token is checked here, not trusted: signature
against the provider's published keys (JWKS), issuer, audience, expiry and the nonce we sent. The console
role comes from a claim (groups, roles) through the operator's mapping. A user is found by the provider's
subject, else by a verified email address, else made when the operator allows it.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from sqlalchemy import select

from ..config import Settings
from ..database import transaction
from ..errors import Invalid
from ..extensions import db
from ..models import Role, User
from . import audit
from .accounts import normalize_email
from .audit import Actor

TIMEOUT_S = 10
METADATA_TTL_S = 3600
LEEWAY_S = 60  # clocks of the provider and ours may differ this much
# Asymmetric signatures only: "none" is never accepted, and HS256 would make the client secret a signing key.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
NO_PASSWORD = "!sso"  # the password hash of users made by single sign-on: no password matches it

_documents: dict[str, tuple[float, dict[str, Any]]] = {}


class SignInRefused(Exception):
    """Single sign-on did not end in a signed-in user; `reason` is a code the console explains."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Provider:
    """The settings for one OpenID provider."""

    discovery_url: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    role_claim: str = "groups"
    role_mapping: tuple[tuple[str, str], ...] = ()
    default_role: str = ""
    create_users: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Provider | None:
        if not settings.oidc_enabled:
            return None
        return cls(settings.oidc_discovery_url, settings.oidc_client_id, settings.oidc_client_secret,
                   settings.oidc_scopes, settings.oidc_role_claim, settings.oidc_role_mapping,
                   settings.oidc_default_role, settings.oidc_create_users)


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, from a checked ID token (and the userinfo endpoint)."""

    subject: str
    email: str = ""
    email_verified: bool = False
    name: str = ""
    groups: tuple[str, ...] = field(default_factory=tuple)


def _get_json(url: str, *, fresh: bool = False) -> dict[str, Any]:
    """A provider document (discovery, keys), kept for METADATA_TTL_S; `fresh` fetches it again."""
    kept = _documents.get(url)
    if kept and not fresh and time.monotonic() - kept[0] < METADATA_TTL_S:
        return kept[1]
    try:
        response = requests.get(url, timeout=TIMEOUT_S, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise SignInRefused("provider_unreachable", f"{url}: {error}") from None
    if not isinstance(document, dict):
        raise SignInRefused("provider_unreachable", f"{url}: not a JSON object")
    _documents[url] = (time.monotonic(), document)
    return document


def metadata(provider: Provider) -> dict[str, Any]:
    document = _get_json(provider.discovery_url)
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(name), str):
            raise SignInRefused("provider_unreachable", f"the discovery document has no {name}")
    return document


def _session(provider: Provider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(provider.client_id, provider.client_secret, scope=provider.scopes,
                         redirect_uri=redirect_uri, code_challenge_method="S256")


def begin(provider: Provider, redirect_uri: str) -> tuple[str, dict[str, str]]:
    """The provider's sign-in address, and what the browser's session must keep until it comes back
    (state, nonce and the PKCE verifier: all three are checked on return)."""
    document = metadata(provider)
    pending = {"state": generate_token(32), "nonce": generate_token(32), "verifier": generate_token(64)}
    with _session(provider, redirect_uri) as client:
        url, _state = client.create_authorization_url(
            document["authorization_endpoint"], state=pending["state"], nonce=pending["nonce"],
            code_verifier=pending["verifier"])
    return url, pending


def finish(provider: Provider, pending: dict[str, Any] | None, args: dict[str, str], redirect_uri: str, *,
           now: datetime) -> Identity:
    """Check the provider's answer (the callback's query), trade the code for tokens, check the ID token."""
    if args.get("error"):
        raise SignInRefused("provider_error", str(args.get("error"))[:200])
    if not pending or not isinstance(args.get("state"), str) \
            or not secrets.compare_digest(str(pending.get("state", "")), args["state"]):
        raise SignInRefused("state")
    if not args.get("code"):
        raise SignInRefused("provider_error", "no code")
    document = metadata(provider)
    try:
        with _session(provider, redirect_uri) as client:
            token = client.fetch_token(document["token_endpoint"], grant_type="authorization_code",
                                       code=args["code"], code_verifier=pending["verifier"], timeout=TIMEOUT_S)
    except (OAuthError, requests.RequestException, ValueError) as error:
        raise SignInRefused("token", str(error)[:200]) from None
    if not isinstance(token.get("id_token"), str):
        raise SignInRefused("token", "no ID token")
    claims = check_id_token(provider, document, token["id_token"], nonce=pending["nonce"], now=now)
    claims = _with_userinfo(provider, document, token, claims)
    return Identity(subject=claims["sub"], email=str(claims.get("email") or ""),
                    email_verified=claims.get("email_verified") in (True, "true"),
                    name=str(claims.get("name") or "")[:100], groups=_values(claims.get(provider.role_claim)))


def check_id_token(provider: Provider, document: dict[str, Any], id_token: str, *, nonce: str,
                   now: datetime) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, times and nonce are right."""
    try:
        keys = KeySet.import_key_set(cast(KeySetSerialization, _get_json(document["jwks_uri"])))  # joserfc checks it
        try:
            decoded = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
        except JoseError:
            # The provider may have rolled its keys since we fetched them: fetch once more.
            keys = KeySet.import_key_set(cast(KeySetSerialization, _get_json(document["jwks_uri"], fresh=True)))
            decoded = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
        registry = jwt.JWTClaimsRegistry(
            now=int(now.timestamp()), leeway=LEEWAY_S,
            iss={"essential": True, "value": document["issuer"]},
            aud={"essential": True, "value": provider.client_id},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
            nonce={"essential": True, "value": nonce})
        registry.validate(decoded.claims)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise SignInRefused("id_token", str(error)[:200]) from None
    claims = decoded.claims
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != provider.client_id:
        raise SignInRefused("id_token", "azp is not this client")
    if not isinstance(claims["sub"], str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise SignInRefused("id_token", "bad sub")
    return claims


def _with_userinfo(provider: Provider, document: dict[str, Any], token: dict[str, Any],
                   claims: dict[str, Any]) -> dict[str, Any]:
    """Providers that leave the email or the role claim out of the ID token give them at userinfo."""
    wanted = ("email", provider.role_claim)
    endpoint = document.get("userinfo_endpoint")
    if all(name in claims for name in wanted) or not isinstance(endpoint, str) or not token.get("access_token"):
        return claims
    try:
        response = requests.get(endpoint, timeout=TIMEOUT_S,
                                headers={"Authorization": f"Bearer {token['access_token']}"})
        response.raise_for_status()
        info = response.json()
    except (requests.RequestException, ValueError):
        return claims
    if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
        return claims  # the spec says: a different subject's answer must not be used
    return {**{name: info[name] for name in (*wanted, "email_verified") if name in info}, **claims}


def _values(claim: object) -> tuple[str, ...]:
    if isinstance(claim, str):
        return (claim,)
    if isinstance(claim, list):
        return tuple(str(value) for value in claim if isinstance(value, (str, int)))
    return ()


def role_for(provider: Provider, identity: Identity) -> Role | None:
    """The highest role any of the user's groups maps to; else the default role; else None (refused)."""
    mapped = {Role(role) for group, role in provider.role_mapping if group in identity.groups}
    for role in (Role.ADMIN, Role.RESPONDER, Role.VIEWER):
        if role in mapped:
            return role
    return Role(provider.default_role) if provider.default_role else None


def sign_in(provider: Provider, identity: Identity, *, now: datetime) -> User:
    """The console user for this identity, its role as the provider's groups say; made when allowed."""
    role = role_for(provider, identity)
    if role is None:
        raise SignInRefused("no_role", ", ".join(identity.groups))
    with transaction():
        user = db.session.scalar(select(User).where(User.oidc_subject == identity.subject))
        if user is None:
            user = _by_email(identity)
            if user is not None and user.oidc_subject not in (None, identity.subject):
                raise SignInRefused("subject_mismatch")
        if user is None:
            if not provider.create_users:
                raise SignInRefused("no_account", identity.email)
            if not identity.email or not identity.email_verified:
                raise SignInRefused("no_email")
            user = User(email=normalize_email(identity.email), name=identity.name, password_hash=NO_PASSWORD,
                        role=role, session_token=secrets.token_hex(16), created_at=now,
                        oidc_subject=identity.subject)
            db.session.add(user)
            db.session.flush()
            audit.record(Actor(label=f"sso:{user.email}", role=role, user_id=user.id), "user.create", user,
                         summary=f"{user.email} ({role}) by single sign-on", now=now)
        if not user.is_active:
            raise SignInRefused("disabled")
        actor = Actor(label=user.email, role=role, user_id=user.id)
        if user.role != role:
            audit.record(actor, "user.update", user, summary=f"{user.email}: {user.role} -> {role} by single sign-on",
                         now=now)
            user.role = role
        user.oidc_subject = identity.subject
        user.last_login_at = now
        audit.record(actor, "user.sign_in_sso", user, summary=user.email, now=now)
    return user


def _by_email(identity: Identity) -> User | None:
    """An existing user with the provider's address, only when the provider vouches for it (email_verified)."""
    if not identity.email or not identity.email_verified:
        return None
    try:
        email = normalize_email(identity.email)
    except Invalid:
        return None  # an address we cannot use matches nobody
    return db.session.scalar(select(User).where(User.email == email))
