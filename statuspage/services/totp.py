"""One-time passwords (TOTP, RFC 6238) as a second factor for password sign-in, with recovery codes.

The secret is kept encrypted (Fernet, with a key derived from the site's secret key), so a copy of the
database or a logged row does not give the codes away; changing the secret key means enrolling again.
A code is good once: the last time step used is kept, and a code from it or before is refused.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import delete, select, update

from ..database import transaction
from ..errors import Conflict, Invalid
from ..extensions import db
from ..models import RecoveryCode, SignInChallenge, User
from . import audit
from .accounts import get_user, hash_token
from .audit import Actor

RECOVERY_CODES = 10
CHALLENGE_MINUTES = 5     # the code must follow the password within this time
CHALLENGE_ATTEMPTS = 5    # wrong codes before the password must be given again
VALID_WINDOW = 1          # the step before and after the current one count too (clocks drift)


def _fernet() -> Fernet:
    secret_key = current_app.config["SETTINGS"].secret_key.encode()
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"statuspage totp secret:" + secret_key).digest()))


def _secret(user: User) -> str | None:
    if not user.totp_secret:
        return None
    try:
        return _fernet().decrypt(user.totp_secret.encode()).decode()
    except InvalidToken:
        return None  # made under another secret key: as if never enrolled


def needs_enrolment(user: User) -> bool:
    """A local account that must have a second factor (the site's setting or an admin's flag) and has none."""
    required = current_app.config["SETTINGS"].totp_required or user.totp_required
    return required and not user.has_totp


def pending_secret(user: User) -> str | None:
    """The secret waiting for its first code, if the enrolment page was opened (reading stores nothing)."""
    return None if user.has_totp else _secret(user)


def start_enrolment(user_id: int, *, now: datetime) -> str:
    """The secret to put in an authenticator app: a new one, or the one already waiting for its first code
    (so reloading the page does not change what was scanned)."""
    with transaction():
        user = get_user(user_id)
        if user.has_totp:
            raise Conflict("totp_enrolled", "A one-time-password app is already set up.")
        secret = _secret(user)
        if secret is None:
            secret = pyotp.random_base32()
            user.totp_secret = _fernet().encrypt(secret.encode()).decode()
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads (from a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["SETTINGS"].site_name)


def confirm_enrolment(user_id: int, code: str, *, by: Actor, now: datetime) -> list[str]:
    """Switch the second factor on once a code from the app is right; return the recovery codes, shown once."""
    with transaction():
        user = get_user(user_id)
        secret = _secret(user)
        if user.has_totp or secret is None:
            raise Conflict("totp_not_pending", "Start setting up the app first.")
        step = _matching_step(secret, code, now, after=None)
        if step is None:
            raise Invalid("wrong_code", "The code is not right.", field="code")
        user.totp_confirmed_at = now
        user.totp_last_step = step
        codes = _new_recovery_codes(user)
        audit.record(by, "user.totp_enrol", user, summary=user.email, now=now)
    return codes


def remove(user_id: int, *, by: Actor, now: datetime) -> User:
    """Switch the second factor off (the user, or an admin for someone who lost the device and codes)."""
    with transaction():
        user = get_user(user_id)
        user.totp_secret = None
        user.totp_confirmed_at = None
        user.totp_last_step = None
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        audit.record(by, "user.totp_remove", user, summary=user.email, now=now)
    return user


def needs_enrolment_after_removal(user: User) -> bool:
    """Whether the site or an admin requires a second factor of this user (then they cannot remove theirs)."""
    return current_app.config["SETTINGS"].totp_required or user.totp_required


def remove_with_code(user_id: int, code: str, *, by: Actor, now: datetime) -> bool:
    """The user switches their second factor off, proving they still hold it with a code; False if wrong."""
    with transaction():
        user = get_user(user_id)
        if _use_code(user, code, now=now) is None:
            return False
        remove(user_id, by=by, now=now)
    return True


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        plain = secrets.token_hex(5)
        codes.append(f"{plain[:5]}-{plain[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_token(plain)))
    return codes


def _normal(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()[:64]


def _matching_step(secret: str, code: str | None, now: datetime, *, after: int | None) -> int | None:
    """The time step whose code this is (within VALID_WINDOW of now), later than `after`; else None."""
    code = _normal(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = current + offset
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_code(user: User, code: str, *, now: datetime) -> str | None:
    """Inside a transaction: "totp" or "recovery" when the code is good (and now used up), else None."""
    secret = _secret(user)
    if secret is None or not user.has_totp:
        return None
    step = _matching_step(secret, code, now, after=user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return "totp"
    normal = _normal(code)
    if len(normal) == 10:
        recovery = db.session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == hash_token(normal),
            RecoveryCode.used_at.is_(None)))
        if recovery is not None:
            recovery.used_at = now
            return "recovery"
    return None


def recovery_codes_left(user_id: int) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user_id,
                                                                RecoveryCode.used_at.is_(None))).all())


def start_challenge(user: User, *, remember: bool, now: datetime) -> str:
    """Half a sign-in, after the right password: the secret goes in the browser's session."""
    secret = secrets.token_urlsafe(32)
    with transaction():
        db.session.execute(delete(SignInChallenge).where(
            SignInChallenge.created_at < now - timedelta(minutes=CHALLENGE_MINUTES)))
        db.session.add(SignInChallenge(user_id=user.id, secret_hash=hash_token(secret), remember=bool(remember),
                                       attempts=0, created_at=now))
    return secret


def challenge_user_id(secret: str | None) -> int | None:
    """The account a half sign-in is for (its per-account limit), or None."""
    if not secret:
        return None
    return db.session.scalar(select(SignInChallenge.user_id).where(
        SignInChallenge.secret_hash == hash_token(secret)))


class ChallengeResult:
    """What became of a code: `user` when signed in; else `expired` (start again) or a wrong code."""

    def __init__(self, user: User | None = None, *, expired: bool = False, remember: bool = False):
        self.user, self.expired, self.remember = user, expired, remember


def answer_challenge(secret: str | None, code: str, *, now: datetime) -> ChallengeResult:
    """Check the code for a half sign-in. Every try is counted in the row before the code is looked at, in
    one UPDATE ... WHERE attempts < CHALLENGE_ATTEMPTS: parallel tries cannot read the same count (on
    PostgreSQL the row stays locked until this one commits), so no password buys more than that many
    guesses. A wrong code at the last allowed try ends the challenge."""
    with transaction():
        claimed = db.session.execute(
            update(SignInChallenge)
            .where(SignInChallenge.secret_hash == hash_token(secret or ""),
                   SignInChallenge.attempts < CHALLENGE_ATTEMPTS,
                   SignInChallenge.created_at >= now - timedelta(minutes=CHALLENGE_MINUTES))
            .values(attempts=SignInChallenge.attempts + 1)
            .returning(SignInChallenge.id, SignInChallenge.user_id, SignInChallenge.attempts,
                       SignInChallenge.remember),
            execution_options={"synchronize_session": False}).first() if secret else None
        if claimed is None:
            return ChallengeResult(expired=True)  # none, too old, or its tries used up
        user = get_user(claimed.user_id)
        if not user.is_active:
            _end_challenge(claimed.id)
            return ChallengeResult(expired=True)
        used = _use_code(user, code, now=now)
        if used is None:
            if claimed.attempts >= CHALLENGE_ATTEMPTS:
                _end_challenge(claimed.id)
                audit.record(Actor.for_user(user), "user.totp_locked", user, summary=user.email, now=now)
                return ChallengeResult(expired=True)
            return ChallengeResult()
        _end_challenge(claimed.id)
        user.last_login_at = now
        if used == "recovery":
            audit.record(Actor.for_user(user), "user.recovery_code", user,
                         summary=f"{user.email}: {recovery_codes_left(user.id)} left", now=now)
    return ChallengeResult(user, remember=claimed.remember)


def _end_challenge(challenge_id: int) -> None:
    db.session.execute(delete(SignInChallenge).where(SignInChallenge.id == challenge_id),
                       execution_options={"synchronize_session": False})
