"""Write the example CRM exports of data/crm/ from the sample book.

    python data/crm/make_exports.py [FOLDER]

Takes the opportunities of one region of the sample book (data/sample) created in one
month (July 2025), and writes them as two CRMs would export them (see README.md in this folder):

* ``salesforce_opportunities.csv``: a Salesforce-style "Opportunities" report of the
  West region (UTF-8 with a byte-order mark, owners by full name, US dates, amounts such
  as "$12,500.00", probabilities in percent, "Closed Won"/"Closed Lost", two footer
  lines), and ``salesforce_stage_history.csv``, its "Opportunity History" report (one
  row per stage change, edit dates with a time of day);
* ``hubspot_deals.csv``: a HubSpot-style "Deals" export of the East region (owners by
  email, ISO date-times, plain amounts, "closedwon"/"closedlost" and stage labels such
  as "Contract Sent"), and ``roster.csv``, the sample's reps with an email each, which
  the HubSpot mapping matches owners against.

Only public names of spm_sim are used. The output is deterministic: running the script
again writes the same bytes.
"""

from __future__ import annotations

import csv
import io
import sys
import unicodedata
from pathlib import Path

import pandas as pd

from spm_sim.book import load_sample

HERE = Path(__file__).resolve().parent
#: The opportunities exported: created in this month of 2025 ...
FIRST, LAST = pd.Timestamp("2025-07-01"), pd.Timestamp("2025-07-31")
#: ... by the reps of this region, for each CRM.
REGIONS = {"salesforce": "West", "hubspot": "East"}
EMAIL_DOMAIN = "cascade-instruments.example"

SF_STAGES = {
    "Qualify": "Qualification",
    "Develop": "Needs Analysis",
    "Propose": "Proposal/Price Quote",
    "Negotiate": "Negotiation/Review",
    "won": "Closed Won",
    "lost": "Closed Lost",
}
HS_STAGES = {
    "Qualify": "Qualified To Buy",
    "Develop": "Presentation Scheduled",
    "Propose": "Decision Maker Bought-In",
    "Negotiate": "Contract Sent",
    "won": "closedwon",
    "lost": "closedlost",
}


def email(name: str) -> str:
    """'Delphine Whitcombe' -> 'delphine.whitcombe@cascade-instruments.example'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = ".".join("".join(ch for ch in part if ch.isalnum()) for part in plain.lower().split())
    return f"{local}@{EMAIL_DOMAIN}"


def us_date(day: pd.Timestamp) -> str:
    """7/14/2025: month and day without leading zeros, as a US export writes them."""
    return f"{day.month}/{day.day}/{day.year}"


def dollars(amount: float) -> str:
    return f"${amount:,.2f}"


def subset(book, region: str) -> pd.DataFrame:
    """The region's opportunities created in the month, with their status."""
    pipe = book.pipeline.copy()
    if "status" not in pipe:
        pipe["status"] = "open"
    reps = book.reps.set_index("rep_id")
    in_region = pipe["rep_id"].map(reps["region"]) == region
    created = pipe["created_date"].between(FIRST, LAST)
    return pipe.loc[in_region & created].sort_values("opportunity_id").reset_index(drop=True)


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    bom: bool = False,
    footer: tuple[str, ...] = (),
) -> None:
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    if footer:
        text.write("\r\n")
        for line in footer:
            writer.writerow([line])
    path.write_bytes(("\ufeff" if bom else "").encode() + text.getvalue().encode("utf-8"))


def salesforce(book, out: Path) -> int:
    opps = subset(book, REGIONS["salesforce"])
    reps = book.reps.set_index("rep_id")
    names = book.accounts.set_index("account_id")["name"]
    rows = []
    for o in opps.itertuples():
        closed = o.status in ("won", "lost")
        stage = SF_STAGES[o.status if closed else o.stage]
        prob = {"won": 100, "lost": 0}.get(o.status, round(o.probability * 100))
        rows.append(
            [
                reps.loc[o.rep_id, "name"],
                names[o.account_id],
                o.account_id,
                f"{names[o.account_id]} - {o.product}",
                o.opportunity_id,
                stage,
                o.product,
                dollars(o.amount),
                str(prob),
                us_date(o.created_date),
                us_date(o.closed_date if closed else o.expected_close_date),
                o.deal_id if o.status == "won" else "",
                "USD",
            ]
        )
    header = [
        "Opportunity Owner", "Account Name", "Account ID", "Opportunity Name", "Opportunity ID",
        "Stage", "Product Name", "Amount", "Probability (%)", "Created Date", "Close Date",
        "Order Number", "Opportunity Currency",
    ]  # fmt: skip
    footer = ("Cascade Instruments - internal report", "Written by data/crm/make_exports.py")
    write_csv(out / "salesforce_opportunities.csv", header, rows, bom=True, footer=footer)
    history = book.stage_history
    history = history.loc[history["opportunity_id"].isin(set(opps["opportunity_id"]))]
    hrows = []
    for h in history.itertuples():
        hrows.append(
            [
                h.opportunity_id,
                SF_STAGES[h.stage],
                "" if pd.isna(h.amount) else dollars(h.amount),
                "" if pd.isna(h.expected_close_date) else us_date(h.expected_close_date),
                f"{us_date(h.date)}, 9:00 AM",
            ]
        )
    for o in opps.loc[opps["status"] != "open"].itertuples():  # the close events
        hrows.append(
            [o.opportunity_id, SF_STAGES[o.status], dollars(o.amount), us_date(o.closed_date),
             f"{us_date(o.closed_date)}, 5:30 PM"]
        )  # fmt: skip
    hrows.sort(key=lambda r: (r[0], pd.Timestamp(r[4].split(",")[0]), r[4].endswith("PM")))
    hheader = ["Opportunity ID", "To Stage", "Amount", "Close Date", "Edit Date"]
    write_csv(out / "salesforce_stage_history.csv", hheader, hrows, bom=True, footer=footer)
    return len(rows)


def hubspot(book, out: Path) -> int:
    opps = subset(book, REGIONS["hubspot"])
    names = book.accounts.set_index("account_id")["name"]
    emails = book.reps.set_index("rep_id")["name"].map(email)
    rows = []
    for o in opps.itertuples():
        closed = o.status in ("won", "lost")
        rows.append(
            [
                o.opportunity_id,
                f"{names[o.account_id]} - {o.product}",
                HS_STAGES[o.status if closed else o.stage],
                "Sales Pipeline",
                f"{o.amount:.2f}".rstrip("0").rstrip("."),
                f"{(o.closed_date if closed else o.expected_close_date):%Y-%m-%d} 17:00",
                f"{o.created_date:%Y-%m-%d} 09:00",
                emails[o.rep_id],
                o.account_id,
                names[o.account_id],
                o.product,
                o.deal_id if o.status == "won" else "",
            ]
        )
    header = [
        "Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date", "Create Date",
        "Deal owner", "Associated Company IDs", "Associated Company", "Product line",
        "Booking ID",
    ]  # fmt: skip
    write_csv(out / "hubspot_deals.csv", header, rows)
    roster = book.reps.drop(columns=["email"], errors="ignore")
    roster.insert(2, "email", roster["name"].map(email))
    keep = [c for c in roster.columns if roster[c].notna().any()]
    roster = roster[keep]
    for col in ("hire_date", "term_date"):
        roster[col] = roster[col].dt.strftime("%Y-%m-%d")
    for col in ("base_salary", "target_incentive"):
        roster[col] = roster[col].map(lambda v: f"{v:.0f}" if float(v).is_integer() else f"{v}")
    roster.to_csv(out / "roster.csv", index=False, lineterminator="\n", float_format="%.5f")
    return len(rows)


def main(out: Path = HERE) -> None:
    """Write the four files into ``out`` (default: this folder)."""
    book = load_sample()
    n_sf = salesforce(book, out)
    n_hs = hubspot(book, out)
    print(f"wrote {n_sf} Salesforce and {n_hs} HubSpot opportunities to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
