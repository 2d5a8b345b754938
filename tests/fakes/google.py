"""A stand-in for Google's OAuth endpoints: JWKS, and a token endpoint that checks PKCE."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CLIENT_ID = "test-client.apps.googleusercontent.com"
CLIENT_SECRET = "google-test-secret"
ISSUER = "https://accounts.google.com"


class FakeGoogle:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.codes: dict[str, dict[str, Any]] = {}
        self.jwks_requests = 0
        self.app = Starlette(
            routes=[
                Route("/certs", self.certs),
                Route("/token", self.token, methods=["POST"]),
            ]
        )

    async def certs(self, request: Request) -> JSONResponse:
        self.jwks_requests += 1
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk |= {"kid": self.kid, "use": "sig", "alg": "RS256"}
        return JSONResponse({"keys": [jwk]})

    def id_token(
        self,
        *,
        sub: str,
        email: str,
        email_verified: bool = True,
        aud: str = CLIENT_ID,
        iss: str = ISSUER,
        expires_in: int = 3600,
        nonce: str | None = None,
        name: str | None = "Meera Nair",
        key: Any = None,
        kid: str | None = None,
        algorithm: str = "RS256",
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": iss,
            "aud": aud,
            "sub": sub,
            "email": email,
            "email_verified": email_verified,
            "iat": now,
            "exp": now + expires_in,
        }
        if name:
            claims["name"] = name
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode(
            claims, key or self.key, algorithm=algorithm, headers={"kid": kid or self.kid}
        )

    def consent(self, authorization_url: str, *, sub: str, email: str) -> str:
        """What Google does when the user consents: remember the challenge, hand out a code."""
        from urllib.parse import parse_qs, urlsplit

        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "challenge": query["code_challenge"],
            "nonce": query["nonce"],
            "redirect_uri": query["redirect_uri"],
            "sub": sub,
            "email": email,
        }
        return code

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        grant = self.codes.pop(str(form.get("code")), None)
        if (
            grant is None
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("client_id") != CLIENT_ID
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode()
        if digest.rstrip("=") != grant["challenge"]:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "PKCE"}, status_code=400
            )
        token = self.id_token(sub=grant["sub"], email=grant["email"], nonce=grant["nonce"])
        return JSONResponse(
            {
                "id_token": token,
                "access_token": "ya29.test",
                "token_type": "Bearer",
                "expires_in": 3599,
            }
        )
