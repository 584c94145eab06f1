//! A horizontal bar chart in SVG that reads without colour: each series has its own fill pattern
//! (solid, hatched), every bar carries its number, and the same figures are in a table beside it.

use leptos::prelude::*;

/// One group of bars: its label and one value per series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarGroup {
    /// The group's label.
    pub label: String,
    /// One value per series, in the order of the chart's `series`.
    pub values: Vec<u64>,
}

const ROW: u32 = 22;
const GAP: u32 = 14;
const LABEL_WIDTH: u32 = 130;
const BAR_WIDTH: u32 = 330;
const PATTERNS: [&str; 2] = ["url(#bar-solid)", "url(#bar-hatched)"];

/// Horizontal bars per group, one bar per series.
#[component]
pub fn BarChart(
    /// What the chart shows, for screen readers and as its caption.
    title: String,
    /// The series' names (at most two: solid, hatched).
    series: Vec<&'static str>,
    /// The groups.
    groups: Vec<BarGroup>,
) -> impl IntoView {
    let max = groups
        .iter()
        .flat_map(|g| g.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let per_group = ROW * series.len() as u32 + GAP;
    let legend_height = 26;
    let height = legend_height + per_group * groups.len() as u32;
    let width = LABEL_WIDTH + BAR_WIDTH + 80;
    let scale = |v: u64| -> u32 {
        let w = (v as f64 / max as f64 * f64::from(BAR_WIDTH)).round() as u32;
        if v > 0 {
            w.max(2)
        } else {
            0
        }
    };
    let legend = series
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let x = LABEL_WIDTH + i as u32 * 150;
            view! {
                <rect x=x y=4 width=16 height=14 fill=PATTERNS[i % 2] stroke="currentColor" />
                <text x=x + 22 y=16>{*name}</text>
            }
        })
        .collect_view();
    let bars = groups
        .iter()
        .enumerate()
        .map(|(gi, g)| {
            let top = legend_height + gi as u32 * per_group;
            let label_y = top + ROW * series.len() as u32 / 2 + 5;
            let group_bars = g
                .values
                .iter()
                .enumerate()
                .map(|(si, v)| {
                    let y = top + si as u32 * ROW;
                    let w = scale(*v);
                    view! {
                        <rect x=LABEL_WIDTH y=y + 2 width=w height=ROW - 6 fill=PATTERNS[si % 2] stroke="currentColor" />
                        <text x=LABEL_WIDTH + w + 6 y=y + ROW - 8>{v.to_string()}</text>
                    }
                })
                .collect_view();
            view! {
                <text x=0 y=label_y>{g.label.clone()}</text>
                {group_bars}
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg
                viewBox=format!("0 0 {width} {height}")
                role="img"
                aria-label=title.clone()
                xmlns="http://www.w3.org/2000/svg"
            >
                <defs>
                    <pattern id="bar-solid" width="6" height="6" patternUnits="userSpaceOnUse">
                        <rect width="6" height="6" fill="currentColor" />
                    </pattern>
                    <pattern id="bar-hatched" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                        <rect width="6" height="6" fill="white" />
                        <line x1="0" y1="0" x2="0" y2="6" stroke="currentColor" stroke-width="3" />
                    </pattern>
                </defs>
                {legend}
                {bars}
            </svg>
            <figcaption>{title}</figcaption>
        </figure>
    }
}
