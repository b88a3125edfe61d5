"""API tokens: random bearer secrets that the registry keeps only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.store.columns import utc_now
from candor.store.errors import StoreError
from candor.store.tables import ApiToken, Developer, TokenScope

#: Tokens carry this prefix so that secret scanners and people recognise a leaked Candor token.
TOKEN_PREFIX = "candor_"  # noqa: S105 (a public marker, not a secret)

#: Bytes of randomness in each token.
TOKEN_RANDOM_BYTES = 32


def token_sha256(token: str) -> bytes:
    """The hash under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).digest()


class ApiTokens:
    """Issuing, checking and revoking bearer tokens."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def issue(self, scope: TokenScope, developer: Developer | None = None) -> tuple[str, ApiToken]:
        """A new token and its row. The token text is returned once and never stored."""
        if scope is TokenScope.PUBLISH and developer is None:
            raise StoreError("a publish token must belong to a developer")
        token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_RANDOM_BYTES)
        row = ApiToken(token_sha256=token_sha256(token), scope=scope.value, developer=developer)
        self.session.add(row)
        self.session.flush()
        return token, row

    def authenticate(self, token: str) -> ApiToken | None:
        """The live token row matching ``token``; None for an unknown, malformed or revoked token."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        presented = token_sha256(token)
        row = self.session.scalars(select(ApiToken).where(ApiToken.token_sha256 == presented)).one_or_none()
        # The lookup finds the row by hash; the constant-time comparison keeps the final decision free of
        # timing differences, whatever the database's index does.
        if row is None or not hmac.compare_digest(row.token_sha256, presented):
            return None
        if row.revoked_at is not None:
            return None
        return row

    def revoke(self, row: ApiToken) -> None:
        """Stop accepting this token."""
        if row.revoked_at is None:
            row.revoked_at = utc_now()
            self.session.flush()
