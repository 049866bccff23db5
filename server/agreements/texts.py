"""Version 1 of the agreement texts, published into a fresh database."""

TERMS = """\
Cutout Studio terms of service, version 1.

1. You must be 18 or older to create an account. One account per person.
2. Images are processed in your browser and never sent to us.
3. A preview export (longest side up to 1000 pixels) is free and needs no account.
   A full-resolution (HD) export costs 1 credit per image.
4. New accounts receive free credits on activation; they expire after the stated time.
   Paid credit packs expire one year after purchase. Expired credits are not refunded.
5. Credits are personal and cannot be transferred to another account.
6. We may restrict (no spending) or ban (no sign-in) an account that breaks these terms,
   and we record the reason.
7. Accounts unused for 365 days become dormant and must be re-verified by email.
8. You may cancel your account; remaining credits must be forfeited first. Cancellation
   cannot be undone, and the same email cannot register again for 10 days.
9. When these terms change you will be asked to accept the new version before you
   spend or buy credits.
"""

PRIVACY = """\
Cutout Studio privacy policy, version 1.

We never receive your images. For an HD export the app sends only a fingerprint
(a SHA-256 hash) of the image so that the export grant can name it.

We store: your email, display name and date of birth; a password hash (argon2id);
your sessions (with the browser's user agent); which agreement versions you accepted
and when; your credit purchases and spending.

When you cancel your account we erase your email, name, date of birth, password hash,
sign-in identities and sessions. Ledger and acceptance records are kept under a
pseudonymous number with no link to you, because accounting and proof of consent
require them. A keyed hash of your email is kept for 10 days to stop immediate
re-registration, then deleted.
"""

DEFAULT_TEXTS = {
    "terms": ("Terms of service", TERMS),
    "privacy": ("Privacy policy", PRIVACY),
}
