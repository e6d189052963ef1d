"""One throttle for every password check: the log-in page, Django's admin log-in, password change and account
deletion all go through `PasswordCheck`, and password-reset mails through `reset_mail_allowed`.

Counted on the normalised username (what Django itself looks up: NFKC, so a fullwidth "ｖｉｃｔｉｍ" is
"victim", and case-folded, as sign-up refuses names differing only in case) *and* the client's address:

1. per address and username: PER_ADDRESS_AND_NAME wrong passwords in WINDOW, then that address must wait
   until its oldest failure leaves the window (a sliding window: one more guess every WINDOW /
   PER_ADDRESS_AND_NAME on average, however long the attacker keeps trying). Only the guesser waits: the
   owner at another address is not held up.
2. per address, all usernames: PER_ADDRESS (one address spraying a common password over many names).
3. per username, all addresses: PER_NAME, a much higher bar (many addresses guessing one account). Past it,
   a browser that has entered this account's password before (the signed KNOWN_DEVICE_COOKIE, set by
   `KnownDeviceMiddleware` after a right password) still gets its own per-address allowance: the owner is not
   locked out of their own account, and no CAPTCHA is needed.

Atomic: a check first records itself as a failure, then counts, and only then is the password checked (the
record is removed when it was right or refused). However many run at once, the n-th to be recorded counts
at least n, so no more than the limit are ever checked — no check-then-act race between workers.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import LoginFailure, ResetMailRequest

WINDOW = timedelta(minutes=15)
PER_ADDRESS_AND_NAME = 5
PER_ADDRESS = 30
PER_NAME = 100
KNOWN_DEVICE_COOKIE = "emojify_known"
KNOWN_DEVICE_AGE = 365 * 24 * 60 * 60  # seconds
# Password-reset mails: per email address asked for, and per client address, in RESET_WINDOW.
RESET_WINDOW = timedelta(hours=1)
RESETS_PER_EMAIL = 3
RESETS_PER_ADDRESS = 10


def normalise(username) -> str:
    """The name as Django's log-in reads it (UsernameField: stripped, NFKC), case-folded."""
    name = unicodedata.normalize("NFKC", str(username or "").strip())
    return unicodedata.normalize("NFKC", name.casefold())[:150]


def client_address(request) -> str | None:
    """REMOTE_ADDR, made the client's own by deploy.proxy.ProxiedClientAddressMiddleware behind nginx."""
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def device_mark(name: str) -> str:
    # The key salt keeps the module's old name: a new one would forget every browser marked as known.
    return salted_hmac("emojify_site.throttle.known_device", name).hexdigest()


def known_device(request, name: str) -> bool:
    cookie = request.COOKIES.get(KNOWN_DEVICE_COOKIE, "") if request is not None else ""
    return bool(cookie) and constant_time_compare(cookie, device_mark(name))


def wait_text(oldest, now) -> str:
    minutes = max(1, math.ceil((oldest + WINDOW - now).total_seconds() / 60))
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


class PasswordCheck:
    """`with PasswordCheck(request, username) as check:` around one password check; `check.passed()` once the
    password was right. Raises forms.ValidationError (code "throttled") on entry when the check may not run;
    an exception out of the block leaves the attempt counted as a failure."""

    def __init__(self, request, username):
        self.request, self.name, self.ip = request, normalise(username), client_address(request)
        self.attempt = None

    def __enter__(self) -> PasswordCheck:
        now = timezone.now()
        start = now - WINDOW
        LoginFailure.objects.filter(at__lt=start).delete()  # only the window is ever needed
        self.attempt = LoginFailure.objects.create(username=self.name, ip=self.ip)  # counted before checking
        recent = LoginFailure.objects.filter(at__gte=start)
        buckets = [(recent.filter(username=self.name, ip=self.ip), PER_ADDRESS_AND_NAME)]
        if self.ip:
            buckets.append((recent.filter(ip=self.ip), PER_ADDRESS))
        if not known_device(self.request, self.name):
            buckets.append((recent.filter(username=self.name), PER_NAME))
        for bucket, limit in buckets:
            if bucket.count() > limit:
                self.attempt.delete()  # refused unchecked: not a failure
                oldest = bucket.order_by("at").values_list("at", flat=True).first() or now
                raise forms.ValidationError(
                    f"Too many wrong passwords. Wait {wait_text(oldest, now)} and try again.", code="throttled"
                )
        return self

    def passed(self) -> None:
        """The password was right: forget this address's failures for the name, and remember the browser."""
        LoginFailure.objects.filter(username=self.name, ip=self.ip).delete()
        self.attempt = None
        if self.request is not None:
            self.request.known_device_mark = device_mark(self.name)

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is None and self.attempt is not None:
            self.attempt.delete()  # no password was checked (a field missing)
        return False


class KnownDeviceMiddleware:
    """Sets the known-device cookie on the answer to a request whose password was right (PasswordCheck)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        mark = getattr(request, "known_device_mark", None)
        if mark:
            response.set_cookie(
                KNOWN_DEVICE_COOKIE,
                mark,
                max_age=KNOWN_DEVICE_AGE,
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
        return response


def reset_mail_allowed(request, email: str) -> bool:
    """Whether a password-reset mail may go to `email` now (recorded atomically, as PasswordCheck)."""
    now = timezone.now()
    start = now - RESET_WINDOW
    ip, email = client_address(request), normalise(email)
    ResetMailRequest.objects.filter(at__lt=start).delete()
    mail = ResetMailRequest.objects.create(email=email, ip=ip)
    recent = ResetMailRequest.objects.filter(at__gte=start)
    if recent.filter(email=email).count() > RESETS_PER_EMAIL or (
        ip and recent.filter(ip=ip).count() > RESETS_PER_ADDRESS
    ):
        mail.delete()
        return False
    return True
