"""``rootcause campaigns forget-token-progress``: untie personal tokens from the unfinished
questionnaires of campaigns that are over (closed, or past their close date)."""

from __future__ import annotations

import click

from web.cli_common import session_scope_cli


@click.command("forget-token-progress")
def forget_token_progress_command() -> None:
    """Clear what ties personal tokens to unfinished answers in campaigns that are closed or
    past their close date (closing a campaign on its page does this at once; run this daily,
    e.g. from cron, for campaigns that simply run out). Safe to repeat."""
    # Imported here: `rootcause --help` must not load the instrument models nor the
    # database (tests/web/test_cli_startup.py).
    from surveys import audit
    from surveys.tokens import forget_progress

    with session_scope_cli() as session:
        cleared = forget_progress(session)
        audit.record(
            session,
            "token_progress_forgotten",
            target="campaigns closed or past their close date",
            details={"tokens": cleared},
        )
    click.echo(f"Личных кодов отвязано от незавершённых анкет: {cleared}.")
