//! report.html: one self-contained page (inline CSS and SVG, no script, no
//! font or image to fetch) that puts the headline figures in words on top,
//! then the charts of `charts` drawn from the report's tables, then what was
//! read. Figures in words are formatted from exact decimals: `12,345.67 €`.

use rust_decimal::Decimal;

use super::charts::{self, Bars, Series, Unit};
use super::tables::{Measures, Tables, AGE_BANDS, AMOUNT_BANDS};
use super::Report;
use plotters::style::RGBColor;

/// Colours of the statuses an overpayment can have, in `overpaid_by_status` order.
const OVERPAID_SERIES: [(&str, RGBColor); 6] = [
    ("claim: to recover", RGBColor(192, 57, 43)),
    ("review: held for a person", RGBColor(230, 126, 34)),
    ("offset inside the month", RGBColor(127, 140, 141)),
    ("time-barred", RGBColor(44, 62, 80)),
    ("written off", RGBColor(189, 195, 199)),
    ("contested: the seeker's contest upheld", RGBColor(142, 68, 173)),
];

const SMS: RGBColor = RGBColor(22, 160, 133);
const PHONE: RGBColor = RGBColor(41, 128, 185);

/// `1234567.891` → `1,234,567.89 €` (to the cent, half away from zero).
pub fn euros(d: Decimal) -> String {
    let s = crate::output::money(d);
    let (sign, s) = s.strip_prefix('-').map(|s| ("-", s)).unwrap_or(("", s.as_str()));
    let (int, frac) = s.split_once('.').unwrap_or((s, "00"));
    format!("{sign}{}.{frac} €", group(int))
}

/// Whole euros for chart labels: `12,346 €`.
pub(crate) fn whole_euros(d: Decimal) -> String {
    let r = d.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let s = r.abs().trunc().to_string();
    format!("{}{} €", if r.is_sign_negative() && !r.is_zero() { "-" } else { "" }, group(&s))
}

/// `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    group(&n.to_string())
}

fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn f(d: Decimal) -> f64 {
    // Chart geometry only: the printed figures come from the decimals.
    d.to_string().parse().unwrap_or(0.0)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

fn overpaid_series() -> Vec<Series> {
    OVERPAID_SERIES.iter().map(|(n, c)| Series { name: n.to_string(), color: *c }).collect()
}

fn overpaid_values(m: &Measures) -> Vec<f64> {
    m.overpaid_by_status().iter().map(|d| f(*d)).collect()
}

/// Overpaid amount by cause, stacked by status, largest first.
pub fn by_cause(t: &Tables) -> Bars {
    let mut causes: Vec<(String, Measures)> = Vec::new();
    for r in &t.by_cause_status {
        match causes.iter_mut().find(|(c, _)| *c == r.cause) {
            Some((_, m)) => *m += &r.m,
            None => causes.push((r.cause.clone(), r.m.clone())),
        }
    }
    causes.retain(|(_, m)| m.overpaid > Decimal::ZERO);
    causes.sort_by(|a, b| b.1.overpaid.cmp(&a.1.overpaid).then(a.0.cmp(&b.0)));
    Bars {
        title: "Overpaid amount by cause".into(),
        categories: causes.iter().map(|(c, _)| c.replace('_', " ")).collect(),
        series: overpaid_series(),
        values: causes.iter().map(|(_, m)| overpaid_values(m)).collect(),
        labels: causes.iter().map(|(_, m)| whole_euros(m.overpaid)).collect(),
        unit: Unit::Euros,
    }
}

pub fn by_month(t: &Tables) -> Bars {
    Bars {
        title: "Overpaid amount by month of payment".into(),
        categories: t.by_month.iter().map(|r| r.key.clone()).collect(),
        series: overpaid_series(),
        values: t.by_month.iter().map(|r| overpaid_values(&r.m)).collect(),
        labels: t.by_month.iter().map(|r| whole_euros(r.m.overpaid)).collect(),
        unit: Unit::Euros,
    }
}

fn band_name(label: &str) -> String {
    match label {
        "0-100" => "< 100 €".into(),
        "100-500" => "100–500 €".into(),
        "500-1000" => "500–1k €".into(),
        "1000-5000" => "1k–5k €".into(),
        "5000+" => "≥ 5k €".into(),
        other => other.into(),
    }
}

pub(crate) fn by_band(t: &Tables) -> Bars {
    let rows: Vec<(String, Measures)> = AMOUNT_BANDS
        .iter()
        .map(|b| {
            let m = t
                .by_amount_band
                .iter()
                .find(|r| r.direction == "overpaid" && r.band == *b)
                .map(|r| r.m.clone())
                .unwrap_or_default();
            (band_name(b.label), m)
        })
        .collect();
    Bars {
        title: "Overpaid amount by amount band".into(),
        categories: rows.iter().map(|(n, _)| n.clone()).collect(),
        series: overpaid_series(),
        values: rows.iter().map(|(_, m)| overpaid_values(m)).collect(),
        labels: rows.iter().map(|(_, m)| plural(m.findings, "finding", "findings")).collect(),
        unit: Unit::Euros,
    }
}

pub fn by_region(t: &Tables) -> Bars {
    let mut rows: Vec<_> = t.by_region.iter().filter(|r| r.m.overpaid > Decimal::ZERO).collect();
    rows.sort_by(|a, b| b.m.overpaid.cmp(&a.m.overpaid).then(a.key.cmp(&b.key)));
    Bars {
        title: "Overpaid amount by region".into(),
        categories: rows.iter().map(|r| if r.key.is_empty() { "(no agency)".into() } else { r.key.clone() }).collect(),
        series: overpaid_series(),
        values: rows.iter().map(|r| overpaid_values(&r.m)).collect(),
        labels: rows.iter().map(|r| whole_euros(r.m.overpaid)).collect(),
        unit: Unit::Euros,
    }
}

/// The agencies shown in the calls chart; the others are counted in a note.
pub(crate) const TOP_AGENCIES: usize = 25;

pub fn calls(t: &Tables) -> Bars {
    let mut rows: Vec<_> = t.notices_by_agency.iter().collect();
    rows.sort_by(|a, b| {
        (b.calls_to_expect(), b.phone).cmp(&(a.calls_to_expect(), a.phone)).then(a.agency_id.cmp(&b.agency_id))
    });
    rows.truncate(TOP_AGENCIES);
    Bars {
        title: "Calls to expect per agency".into(),
        categories: rows
            .iter()
            .map(|r| if r.agency_id.is_empty() { "(no agency)".into() } else { r.agency_id.clone() })
            .collect(),
        series: vec![
            Series { name: "SMS sent: the seeker calls the agency (calls to expect)".into(), color: SMS },
            Series { name: "phone: the agency calls the seeker".into(), color: PHONE },
        ],
        values: rows.iter().map(|r| vec![r.calls_to_expect() as f64, r.phone as f64]).collect(),
        labels: rows
            .iter()
            .map(|r| format!("{} to expect, {} to make", count(r.calls_to_expect()), count(r.phone)))
            .collect(),
        unit: Unit::Count,
    }
}

pub(crate) fn time_bar(t: &Tables) -> Bars {
    let name = |h: &super::tables::Horizon| {
        if h.months == 0 {
            "already past".to_string()
        } else {
            format!("within {} months", h.months)
        }
    };
    Bars {
        title: "Claims becoming time-barred".into(),
        categories: t.time_bar.iter().map(name).collect(),
        series: vec![
            Series { name: OVERPAID_SERIES[0].0.into(), color: OVERPAID_SERIES[0].1 },
            Series { name: OVERPAID_SERIES[1].0.into(), color: OVERPAID_SERIES[1].1 },
        ],
        values: t.time_bar.iter().map(|h| vec![f(h.claim.amount), f(h.review.amount)]).collect(),
        labels: t.time_bar.iter().map(|h| whole_euros(h.claim.amount + h.review.amount)).collect(),
        unit: Unit::Euros,
    }
}

fn age_name(label: &str) -> String {
    match label {
        "0-1" => "< 1 month".into(),
        "1-3" => "1–3 months".into(),
        "3-6" => "3–6 months".into(),
        "6-12" => "6–12 months".into(),
        "12+" => "≥ 12 months".into(),
        other => other.into(),
    }
}

pub fn review_backlog(t: &Tables) -> Bars {
    Bars {
        title: "Review backlog by age".into(),
        categories: AGE_BANDS.iter().map(|b| age_name(b.label)).collect(),
        series: vec![Series { name: "overpaid amount in review".into(), color: OVERPAID_SERIES[1].1 }],
        values: t.review_backlog.iter().map(|r| vec![f(r.overpaid)]).collect(),
        labels: t.review_backlog.iter().map(|r| plural(r.seeker_months, "seeker-month", "seeker-months")).collect(),
        unit: Unit::Euros,
    }
}

fn legend(series: &[Series]) -> String {
    let items: String = series
        .iter()
        .map(|s| {
            let RGBColor(r, g, b) = s.color;
            format!("<span><i style=\"background:rgb({r},{g},{b})\"></i>{}</span>", esc(&s.name))
        })
        .collect();
    format!("<div class=\"legend\">{items}</div>")
}

fn figure(class: &str, bars: &Bars, svg: String, note: &str) -> String {
    let note = if note.is_empty() { String::new() } else { format!("<p class=\"note\">{note}</p>") };
    format!(
        "<figure class=\"{class}\">\n<h2>{}</h2>\n{}\n{svg}\n{note}</figure>\n",
        esc(&bars.title),
        legend(&bars.series)
    )
}

fn card(label: &str, value: &str, detail: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"detail\">{}</div></div>\n",
        esc(label),
        esc(value),
        detail
    )
}

const CSS: &str = r#"
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #282c34; background: #f4f5f7; margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 28px; margin: 8px 0 4px; }
.sub { color: #5c6370; margin: 0 0 18px; }
.lead { font-size: 17px; line-height: 1.6; background: #fff; border-left: 4px solid #c0392b; padding: 14px 18px; margin: 0 0 18px; border-radius: 4px; }
.lead b { white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin-bottom: 22px; }
.card { background: #fff; border-radius: 6px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.card .label { font-size: 13px; color: #5c6370; text-transform: uppercase; letter-spacing: .03em; }
.card .value { font-size: 24px; font-weight: 600; margin: 4px 0; white-space: nowrap; }
.card .detail { font-size: 13px; color: #5c6370; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
figure { background: #fff; margin: 0; padding: 12px 14px 10px; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
figure.wide { grid-column: 1 / -1; }
figure h2 { font-size: 16px; margin: 0 0 6px; }
figure svg { width: 100%; height: auto; display: block; }
.legend { font-size: 12px; color: #5c6370; margin-bottom: 4px; }
.legend span { margin-right: 14px; white-space: nowrap; }
.legend i { display: inline-block; width: 11px; height: 11px; margin-right: 5px; vertical-align: -1px; border-radius: 2px; }
.note { font-size: 12px; color: #5c6370; margin: 6px 0 0; }
table { border-collapse: collapse; background: #fff; font-size: 13px; width: 100%; }
th, td { padding: 5px 8px; border-bottom: 1px solid #e1e4e8; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
section { margin-top: 22px; }
section h2 { font-size: 16px; }
footer { color: #5c6370; font-size: 12px; margin-top: 18px; line-height: 1.5; }
"#;

/// The whole page.
pub fn page(r: &Report) -> String {
    let t = &r.tables;
    let h = &t.headline;
    let within12 =
        t.time_bar.iter().find(|x| x.months == 12).map(|x| x.claim.amount + x.review.amount).unwrap_or_default();
    let owed = -h.status("owed").amount;
    let months: Vec<&str> = t.by_month.iter().map(|m| m.key.as_str()).collect();
    let span = match (months.first(), months.last()) {
        (Some(a), Some(b)) if a != b => format!("months {a} to {b}"),
        (Some(a), _) => format!("month {a}"),
        _ => "no finding".into(),
    };

    let mut html = String::with_capacity(256 * 1024);
    html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    html += &format!("<title>Overpayment report as of {}</title>\n", r.as_of);
    html += &format!("<style>{CSS}</style>\n</head>\n<body>\n<main>\n");
    html += &format!("<h1>Overpayment report as of {}</h1>\n", r.as_of);
    html += &format!(
        "<p class=\"sub\">{} read, {span}; each seeker-month counted once, from the newest run that reconciled it.</p>\n",
        plural(r.runs.len() as u64, "run", "runs")
    );

    html += &format!(
        "<p class=\"lead\">Seekers were overpaid <b>{}</b> in {}. <b>{}</b> can be claimed now, <b>{}</b> is in review, \
         <b>{}</b> is time-barred, <b>{}</b> is offset inside its month and <b>{}</b> written off. \
         Seekers are owed <b>{}</b>. {}: <b>{} by SMS</b> (as many calls for their agencies to expect) \
         and <b>{} by phone</b>, <b>{}</b> on average per notified seeker. <b>{}</b> of claims and reviews becomes time-barred \
         within 12 months.</p>\n",
        euros(h.overpaid.amount),
        plural(h.overpaid.findings, "finding", "findings"),
        euros(h.status("claim").amount),
        euros(h.status("review").amount),
        euros(h.status("time_barred").amount),
        euros(h.status("offset").amount),
        euros(h.status("written_off").amount),
        euros(owed),
        if h.notices == h.seekers_notified {
            let verb = if h.seekers_notified == 1 { "is" } else { "are" };
            format!("<b>{}</b> {verb} to be notified", plural(h.seekers_notified, "seeker", "seekers"))
        } else {
            // Several runs may notify the same seeker (one notice a month).
            format!(
                "<b>{}</b> go to <b>{}</b>",
                plural(h.notices, "notice", "notices"),
                plural(h.seekers_notified, "seeker", "seekers")
            )
        },
        count(h.sms),
        count(h.phone),
        h.average_per_seeker.map(euros).unwrap_or_else(|| "nothing".into()),
        euros(within12),
    );

    html += "<div class=\"cards\">\n";
    html += &card("Overpaid", &euros(h.overpaid.amount), &plural(h.overpaid.findings, "finding", "findings"));
    html += &card(
        "Claimable now",
        &euros(h.status("claim").amount),
        &plural(h.status("claim").findings, "finding", "findings"),
    );
    html += &card(
        "In review",
        &euros(h.status("review").amount),
        &plural(h.status("review").findings, "finding held", "findings held"),
    );
    html += &card("Owed to seekers", &euros(owed), &plural(h.status("owed").findings, "finding", "findings"));
    html += &card(
        "Time-barred",
        &euros(h.status("time_barred").amount),
        &format!("{} more within 12 months", esc(&euros(within12))),
    );
    html += &card(
        "Seekers to notify",
        &count(h.seekers_notified),
        &if h.notices == h.seekers_notified {
            format!("{} by SMS · {} by phone", count(h.sms), count(h.phone))
        } else {
            format!("{}: {} by SMS · {} by phone", plural(h.notices, "notice", "notices"), count(h.sms), count(h.phone))
        },
    );
    html += &card("Calls to expect", &count(h.sms), "SMS recipients call their agency");
    html += &card(
        "Average per notified seeker",
        &h.average_per_seeker.map(euros).unwrap_or_else(|| "—".into()),
        &format!("{} notified in all", esc(&euros(h.notified_net))),
    );
    html += "</div>\n";

    html += "<div class=\"charts\">\n";
    let b = by_cause(t);
    html += &figure("wide", &b, charts::horizontal(&b, 1140), "Positive findings only, stacked by status.");
    let b = by_month(t);
    html += &figure("", &b, charts::vertical(&b, (560, 340)), "The month the payment was for.");
    let b = by_band(t);
    html += &figure(
        "",
        &b,
        charts::vertical(&b, (560, 340)),
        "Band of each overpaid finding's amount: [0, 100), [100, 500), [500, 1,000), [1,000, 5,000), 5,000 and over.",
    );
    let b = time_bar(t);
    html += &figure(
        "",
        &b,
        charts::vertical(&b, (560, 340)),
        &format!(
            "Overpayments in claim or review still recoverable on {} and time-barred within 3, 6, 12 months \
             (prescription date before {}); cumulative. Already past: prescription date before {}.",
            r.as_of,
            t.time_bar.iter().filter(|h| h.months > 0).map(|h| h.until.to_string()).collect::<Vec<_>>().join(", "),
            r.as_of
        ),
    );
    let b = review_backlog(t);
    html += &figure(
        "",
        &b,
        charts::vertical(&b, (560, 340)),
        "Age: whole months from the first day of the finding's month to the report date.",
    );
    let b = calls(t);
    let more = t.notices_by_agency.len().saturating_sub(TOP_AGENCIES);
    let note = if more > 0 {
        format!("The {TOP_AGENCIES} agencies with the most calls; {more} more in notices_by_agency.csv.")
    } else {
        "Each SMS recipient is expected to call their agency back; phone notices are calls the agency makes.".into()
    };
    html += &figure("wide", &b, charts::horizontal(&b, 1140), &note);
    let b = by_region(t);
    html += &figure("wide", &b, charts::horizontal(&b, 1140), "Region: the first segment of the agency id.");
    html += "</div>\n";

    html += "<section>\n<h2>Becoming time-barred: what to pursue first</h2>\n<table>\n";
    html += "<tr><th>horizon</th><th>prescription date</th><th>claim</th><th>review</th><th>total</th></tr>\n";
    for x in &t.time_bar {
        let dates = match x.from {
            Some(from) => format!("from {from} to before {}", x.until),
            None => format!("before {}", x.until),
        };
        html += &format!(
            "<tr><td>{}</td><td>{dates}</td><td class=\"n\">{} ({})</td><td class=\"n\">{} ({})</td><td class=\"n\">{}</td></tr>\n",
            if x.months == 0 { "already past".to_string() } else { format!("within {} months", x.months) },
            euros(x.claim.amount),
            count(x.claim.findings),
            euros(x.review.amount),
            count(x.review.findings),
            euros(x.claim.amount + x.review.amount),
        );
    }
    html += "</table>\n</section>\n";

    html += "<section>\n<h2>Runs read</h2>\n<table>\n<tr><th>#</th><th>run folder</th><th>as of</th><th>months</th>\
             <th>precedence</th><th>findings kept / read</th><th>notices kept / read</th></tr>\n";
    for run in &r.runs {
        html += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{} / {}</td><td class=\"n\">{} / {}</td></tr>\n",
            run.position,
            esc(&run.path.display().to_string()),
            run.as_of,
            esc(&run.months.as_ref().map(|m| m.join(" ")).unwrap_or_default()),
            run.precedence,
            count(run.findings_kept),
            count(run.findings),
            count(run.notices_kept),
            count(run.notices),
        );
    }
    html += "</table>\n</section>\n";
    html +=
        "<footer>When runs cover the same seeker-month, the one with the latest as_of counts (between equal as_of, \
             the one named last); its notice counts when it wins the seeker's latest notified month. \
             Tables: by_cause_status, by_agency, by_region, by_month, by_amount_band, by_basis, notices_by_agency, \
             time_bar_horizon, review_backlog, summary (.csv and .parquet), runs.csv.</footer>\n";
    html += "</main>\n</body>\n</html>\n";
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn figures_read_well() {
        assert_eq!(euros(dec!(1234567.891)), "1,234,567.89 €");
        assert_eq!(euros(dec!(-273.6)), "-273.60 €");
        assert_eq!(euros(dec!(0)), "0.00 €");
        assert_eq!(euros(dec!(999.99)), "999.99 €");
        assert_eq!(whole_euros(dec!(12345.5)), "12,346 €");
        assert_eq!(whole_euros(dec!(-0.4)), "0 €");
        assert_eq!(count(1161), "1,161");
        assert_eq!(count(100), "100");
    }
}
