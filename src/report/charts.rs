//! The report's charts: stacked bar charts drawn with plotters' SVG backend
//! into strings, to be inlined in report.html. Text is emitted as SVG
//! `<text>` (plotters without its `ttf` feature estimates label widths and
//! needs no font file); the browser draws it with its own sans-serif. Amounts
//! are converted to f64 here only for geometry: the figures printed on the
//! bars are formatted from the exact decimals by the caller.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One stacked series: its name (for the legend, drawn in HTML) and colour.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub color: RGBColor,
}

/// What the axis counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Euros,
    Count,
}

/// A bar chart: one bar per category, stacked by series.
#[derive(Clone, Debug)]
pub struct Bars {
    pub title: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// `values[category][series]`, stacked in series order (negative values are drawn as 0).
    pub values: Vec<Vec<f64>>,
    /// The text written at the end of each bar.
    pub labels: Vec<String>,
    pub unit: Unit,
}

const INK: RGBColor = RGBColor(40, 44, 52);
const GRID: RGBColor = RGBColor(225, 228, 232);
const FONT: &str = "sans-serif";

/// Axis ticks: `0`, `500 €`, `12 k€`, `1.5 M€`; counts as integers.
pub(crate) fn tick(x: f64, unit: Unit) -> String {
    let suffix = if unit == Unit::Euros { " €" } else { "" };
    let a = x.abs();
    if a >= 1e6 {
        format!("{:.1} M{}", x / 1e6, suffix.trim())
    } else if a >= 1e4 {
        format!("{:.0} k{}", x / 1e3, suffix.trim())
    } else if a >= 1e3 && unit == Unit::Euros {
        format!("{:.1} k€", x / 1e3)
    } else if x.fract().abs() > 1e-9 {
        String::new()
    } else {
        format!("{x:.0}{suffix}")
    }
}

fn totals(b: &Bars) -> Vec<f64> {
    b.values.iter().map(|v| v.iter().map(|x| x.max(0.0)).sum()).collect()
}

fn axis_max(b: &Bars) -> f64 {
    let max = totals(b).into_iter().fold(0.0, f64::max);
    if max <= 0.0 {
        1.0
    } else {
        max
    }
}

/// An SVG that says there is nothing to draw.
fn empty(title: &str, size: (u32, u32)) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let _ = root.fill(&WHITE);
        let _ = root.draw(&Text::new(
            format!("{title}: nothing to show"),
            (20, size.1 as i32 / 2),
            (FONT, 18).into_font().color(&INK),
        ));
        let _ = root.present();
    }
    svg
}

/// The category axis: plotters' integer ranges include their end, so 0..n−1
/// gives n segments; a lone category sits in the middle of three.
fn segments(n: usize) -> std::ops::Range<i32> {
    if n == 1 {
        -1..1
    } else {
        0..n as i32 - 1
    }
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Horizontal bars, first category on top; the height follows the number of categories.
pub(crate) fn horizontal(b: &Bars, width: u32) -> String {
    let n = b.categories.len();
    let row_px = if n > 12 { 22 } else { 30 };
    let height = row_px * (segments(n).len() as u32 + 1) + 60;
    if n == 0 {
        return empty(&b.title, (width, 120));
    }
    let longest = b.categories.iter().map(|c| c.chars().count()).max().unwrap_or(0) as u32;
    let label_area = (longest * 8 + 16).clamp(60, 300);
    let mut svg = String::new();
    let drawn = (|| -> DrawResult {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let max = axis_max(b) * 1.22;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(label_area)
            .build_cartesian_2d(0f64..max, segments(n).into_segmented())?;
        let names: Vec<String> = b.categories.iter().rev().cloned().collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(GRID)
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if *i >= 0 => names.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .x_labels(6)
            .x_label_formatter(&|x| tick(*x, b.unit))
            .label_style((FONT, 15).into_font().color(&INK))
            .draw()?;
        let row = |c: usize| (n - 1 - c) as i32;
        for (s, series) in b.series.iter().enumerate() {
            let bars = (0..n).filter_map(|c| {
                let x0: f64 = b.values[c][..s].iter().map(|x| x.max(0.0)).sum();
                let v = b.values[c][s].max(0.0);
                (v > 0.0).then(|| {
                    let mut r = Rectangle::new(
                        [(x0, SegmentValue::Exact(row(c))), (x0 + v, SegmentValue::Exact(row(c) + 1))],
                        series.color.filled(),
                    );
                    r.set_margin(row_px / 6, row_px / 6, 0, 0);
                    r
                })
            });
            chart.draw_series(bars)?;
        }
        let style = TextStyle::from((FONT, 15).into_font()).color(&INK).pos(Pos::new(HPos::Left, VPos::Center));
        let totals = totals(b);
        chart.draw_series((0..n).map(|c| {
            EmptyElement::at((totals[c], SegmentValue::CenterOf(row(c))))
                + Text::new(b.labels[c].clone(), (6, 0), style.clone())
        }))?;
        root.present()?;
        Ok(())
    })();
    match drawn {
        Ok(()) => svg,
        Err(e) => empty(&format!("{} (not drawn: {e})", b.title), (width, 120)),
    }
}

/// Vertical bars, categories left to right; with many categories only some are labelled.
pub(crate) fn vertical(b: &Bars, size: (u32, u32)) -> String {
    let n = b.categories.len();
    if n == 0 {
        return empty(&b.title, size);
    }
    // Label one category in `every`, a step of 1, 2, 3, 4, 6 or a multiple of
    // 12 (months fall on quarters or years), so that the labels do not overlap.
    let slot = (size.0 as f64 - 100.0) / n as f64;
    let label = b.categories.iter().map(|c| c.chars().count()).max().unwrap_or(1) as f64 * 6.5 + 8.0;
    let raw = (label / slot).ceil().max(1.0) as usize;
    let every = [1, 2, 3, 4, 6].into_iter().find(|s| *s >= raw).unwrap_or(raw.div_ceil(12) * 12);
    let mut svg = String::new();
    let drawn = (|| -> DrawResult {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)?;
        let max = axis_max(b) * 1.15;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(64)
            .build_cartesian_2d(segments(n).into_segmented(), 0f64..max)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(GRID)
            .x_labels(n)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if *i >= 0 && (*i as usize).is_multiple_of(every) => {
                    b.categories.get(*i as usize).cloned().unwrap_or_default()
                }
                _ => String::new(),
            })
            .y_labels(6)
            .y_label_formatter(&|y| tick(*y, b.unit))
            .label_style((FONT, 15).into_font().color(&INK))
            .draw()?;
        // Bars at most 90 px wide, with a gap of at least 15 % of their slot.
        let slot = (size.0 as f64 - 90.0) / (segments(n).len() + 1) as f64;
        let gap = (slot * 0.15).max((slot - 90.0) / 2.0).max(1.0) as u32;
        for (s, series) in b.series.iter().enumerate() {
            let bars = (0..n).filter_map(|c| {
                let y0: f64 = b.values[c][..s].iter().map(|x| x.max(0.0)).sum();
                let v = b.values[c][s].max(0.0);
                (v > 0.0).then(|| {
                    let i = c as i32;
                    let mut r = Rectangle::new(
                        [(SegmentValue::Exact(i), y0), (SegmentValue::Exact(i + 1), y0 + v)],
                        series.color.filled(),
                    );
                    r.set_margin(0, 0, gap, gap);
                    r
                })
            });
            chart.draw_series(bars)?;
        }
        if totals(b).iter().all(|t| *t <= 0.0) {
            let (w, h) = root.dim_in_pixel();
            root.draw(&Text::new(
                "nothing here",
                (w as i32 / 2, h as i32 / 2 - 20),
                TextStyle::from((FONT, 18).into_font()).color(&INK.mix(0.6)).pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
        if n <= 14 {
            let style = TextStyle::from((FONT, 14).into_font()).color(&INK).pos(Pos::new(HPos::Center, VPos::Bottom));
            let totals = totals(b);
            chart.draw_series((0..n).map(|c| {
                EmptyElement::at((SegmentValue::CenterOf(c as i32), totals[c]))
                    + Text::new(b.labels[c].clone(), (0, -4), style.clone())
            }))?;
        }
        root.present()?;
        Ok(())
    })();
    match drawn {
        Ok(()) => svg,
        Err(e) => empty(&format!("{} (not drawn: {e})", b.title), size),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.0, Unit::Euros), "0 €");
        assert_eq!(tick(500.0, Unit::Euros), "500 €");
        assert_eq!(tick(2500.0, Unit::Euros), "2.5 k€");
        assert_eq!(tick(25000.0, Unit::Euros), "25 k€");
        assert_eq!(tick(1_500_000.0, Unit::Euros), "1.5 M€");
        assert_eq!(tick(12.0, Unit::Count), "12");
        assert_eq!(tick(2.5, Unit::Count), "");
    }
}
