"""`newsbot status` after an issue went out at its own time: the regular issues already
published are not named as the next firing's."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.factories import issue
from tests.test_status import make_archive, newsbot, steps


def test_an_issue_sent_at_its_own_time_hides_no_regular_issue_sent_before(
    tmp_path: Path,
) -> None:
    # #203 went out at a firing, then #204 at its own time: nothing is waiting for the cron.
    yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(microsecond=0)
    db = make_archive(
        tmp_path / "a.db",
        more=[issue(204, publish_at=yesterday)],
        ledger=[*steps(203, "discord", "111", sent=1), *steps(204, "discord", "111", sent=1)],
    )
    code, out, err = newsbot(db, "status", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["schedule"]["timed_issue"] is None
    assert payload["next_firing"]["by"] == "schedule"
    assert payload["next_firing"]["issue"] is None, "#203 and #202 were published already"

    code, out, err = newsbot(db, "status")
    assert code == 0, err
    assert "whatever is new by then (no archived issue is waiting)" in out
