"""Texts of the mails the server sends."""

from server.context import Context


async def send(ctx: Context, to: str, subject: str, body: str) -> bool:
    from server.mail import send_safely

    return await send_safely(ctx.mailer, to, subject, body)


def activation(ctx: Context, token: str) -> tuple[str, str]:
    link = ctx.link(f"/links/activate?token={token}")
    return "Activate your Cutout Studio account", (
        f"Welcome to Cutout Studio.\n\nOpen this link to activate your account:\n{link}\n\n"
        f"Activation adds {ctx.settings.free_credits} free credits, valid for "
        f"{ctx.settings.free_credit_days} days.\nIf you did not sign up, ignore this mail.\n"
    )


def password_reset(ctx: Context, token: str) -> tuple[str, str]:
    link = ctx.link(f"/links/reset-password?token={token}")
    minutes = ctx.settings.reset_token_ttl_s // 60
    return "Reset your Cutout Studio password", (
        f"Open this link to choose a new password (it works once, for {minutes} minutes):\n{link}\n\n"
        "If you did not ask for this, ignore this mail; your password stays as it is.\n"
    )


def reverify(ctx: Context, token: str) -> tuple[str, str]:
    link = ctx.link(f"/links/reverify?token={token}")
    return "Confirm your email to use Cutout Studio again", (
        "Your account was unused for a long time. Open this link to confirm your email "
        f"address and continue:\n{link}\n"
    )


def cancellation_confirm(ctx: Context, token: str, forfeit: int) -> tuple[str, str]:
    link = ctx.link(f"/links/cancel?token={token}")
    forfeit_line = f"Your remaining {forfeit} credits will be forfeited.\n" if forfeit else ""
    return "Confirm the cancellation of your Cutout Studio account", (
        f"You asked to cancel your account. Open this link to confirm:\n{link}\n\n{forfeit_line}"
        "Cancellation cannot be undone. If you did not ask for it, ignore this mail and change your password.\n"
    )


def cancellation_done(ctx: Context) -> tuple[str, str]:
    days = ctx.settings.email_block_days
    return "Your Cutout Studio account is cancelled", (
        "Your account has been cancelled and your personal data erased.\n"
        f"This email address can be used to register again after {days} days.\n"
    )
