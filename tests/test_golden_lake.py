"""The cleaning results reach the lake: articles carry the fields, embeds and removed the audit."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLES, Cli

pytestmark = pytest.mark.slow


def test_fields_embeds_and_removed_lines_land_in_their_tables(cli: Cli) -> None:
    res = cli("load", str(SAMPLES))
    assert res.code == 0, res.stderr
    enab = cli.sql_json(
        "select title, outlet, published_at::date::varchar as day, published_precision, date_note, body "
        "from articles where input_ref like '%004_85a3b68c139dd4d8.txt'"
    )
    assert len(enab) == 1
    row = enab[0]
    assert row["outlet"] == "Enab Baladi" and row["day"] == "2020-06-07" and row["published_precision"] == "day"
    assert "ع ع ع" not in str(row["body"]) and "اضغط هنا للمساهمة" not in str(row["body"])

    kinds = cli.sql_json("select kind, count(*) as n from embeds group by 1 order by 1")
    assert {str(r["kind"]) for r in kinds} >= {"caption", "short_link", "tweet"}
    tweet = cli.sql_json("select author, posted_at::varchar as t from embeds where url like '%1269371331553918981'")
    assert tweet == [{"author": "@OIRSpox", "t": "2020-06-06 20:51:23.878+00"}]

    rules = {str(r["rule"]) for r in cli.sql_json("select distinct rule from removed")}
    assert rules >= {"share_buttons", "font_size_toggle", "related_block", "donation_appeal", "short_link", "tweet_text", "seo_suffix"}
    undated = cli.sql_json("select count(*) as n from articles where published_at is null and date_note is null")
    assert undated == [{"n": 0}]  # every empty date says why
