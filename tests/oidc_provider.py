"""A small but real OpenID provider for the single sign-on tests, built on Authlib's server side.

It serves discovery, JWKS, authorize and token endpoints over HTTP on loopback (werkzeug in a thread),
signs ID tokens with an RS256 key made for the test, checks PKCE and the client secret, and puts the
nonce it was sent into the ID token, as a real provider does. There is no login screen: /authorize signs
in `provider.user` (the test picks who). `provider.tamper` makes it misbehave on purpose, as an attacker
between the two would: a changed payload under the old signature, another key, another nonce, an expired
token, another issuer or audience.
"""
from __future__ import annotations

import base64
import json
import threading

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Error, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify, request
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

from tests.servers import QUICK_SHUTDOWN

CLIENT_ID = "statuspage-console"
CLIENT_SECRET = "console-client-secret"


class Client(ClientMixin):
    def __init__(self, redirect_uri: str):
        self.client_id, self.redirect_uri = CLIENT_ID, redirect_uri

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in ("openid", "email", "profile", "groups"))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return client_secret == CLIENT_SECRET

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class Code(AuthorizationCodeMixin):
    def __init__(self, code, request, user, issued_at):
        self.code, self.user, self.issued_at = code, user, issued_at
        self.redirect_uri = request.payload.redirect_uri
        self.scope = request.scope
        self.nonce = request.payload.data.get("nonce")
        self.code_challenge = request.payload.data.get("code_challenge")
        self.code_challenge_method = request.payload.data.get("code_challenge_method")

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.issued_at


class OIDCProvider:
    """Start with `start()`, stop with `stop()`; `issuer` is its base URL."""

    def __init__(self, redirect_uri: str, now):
        self.now = now  # the test's clock: ID tokens are issued and expire on it
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.user: dict = {}
        self.tamper: str | None = None
        self.codes: dict[str, Code] = {}
        self.client = Client(redirect_uri)
        self.token_requests: list[dict] = []
        self.claims_at_userinfo_only: tuple = ()  # claims left out of the ID token, given at /userinfo
        self.access_tokens: dict[str, dict] = {}
        self.app = self._make_app()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True)

    def start(self) -> OIDCProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"

    def _timestamp(self) -> int:
        return int(self.now().timestamp())

    def _make_app(self) -> Flask:
        provider = self
        app = Flask("test_oidc_provider")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 300}

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, request):
                provider.codes[code] = Code(code, request, request.user, provider._timestamp())

            def query_authorization_code(self, code, client):
                return provider.codes.get(code)

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class IDToken(OpenIDCode):
            def resolve_client_private_key(self, client):
                return provider.key if provider.tamper != "other_key" else \
                    RSAKey.generate_key(2048, parameters={"kid": "test-key"})

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "test-key"}

            def get_client_claims(self, client):
                now = provider._timestamp()
                claims = {"iss": provider.issuer, "aud": [client.get_client_id()], "iat": now, "auth_time": now,
                          "exp": now + 300}
                if provider.tamper == "expired":
                    claims.update(iat=now - 3600, exp=now - 600)
                if provider.tamper == "issuer":
                    claims["iss"] = "http://127.0.0.1:1/"
                if provider.tamper == "audience":
                    claims["aud"] = ["someone-else"]
                return claims

            def get_authorization_code_claims(self, authorization_code):
                claims = super().get_authorization_code_claims(authorization_code)
                if provider.tamper == "nonce":
                    claims["nonce"] = "not-the-nonce-you-sent"
                return claims

            def exists_nonce(self, nonce, request):
                return False

            def generate_user_info(self, user, scope):
                return UserInfo({k: v for k, v in user.items() if k not in provider.claims_at_userinfo_only})

            def encode_id_token(self, token, request):
                id_token = super().encode_id_token(token, request)
                if provider.tamper == "payload":  # make oneself an admin, keeping the provider's signature
                    header, payload, signature = id_token.split(".")
                    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
                    claims["groups"] = ["statuspage-admins"]
                    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
                    id_token = ".".join((header, payload, signature))
                return id_token

        def save_token(token, request):
            provider.access_tokens[token["access_token"]] = request.user

        server = AuthorizationServer(app, query_client=lambda client_id: provider.client
                                     if client_id == CLIENT_ID else None, save_token=save_token)
        server.register_grant(CodeGrant, [IDToken(require_nonce=True), CodeChallenge(required=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(issuer=provider.issuer, authorization_endpoint=provider.issuer + "/authorize",
                           token_endpoint=provider.issuer + "/token", jwks_uri=provider.issuer + "/jwks",
                           userinfo_endpoint=provider.issuer + "/userinfo",
                           response_types_supported=["code"], subject_types_supported=["public"],
                           id_token_signing_alg_values_supported=["RS256"],
                           code_challenge_methods_supported=["S256"],
                           token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"])

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            user = dict(provider.user)
            try:
                grant = server.get_consent_grant(end_user=user)
            except OAuth2Error as error:
                return server.handle_error_response(None, error)
            return server.create_authorization_response(grant=grant, grant_user=user)

        @app.get("/userinfo")
        def userinfo():
            scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
            user = provider.access_tokens.get(token) if scheme.lower() == "bearer" else None
            if user is None:
                return jsonify(error="invalid_token"), 401
            return jsonify(user)

        @app.post("/token")
        def issue_token():
            provider.token_requests.append(request.form.to_dict())
            return server.create_token_response()

        return app

