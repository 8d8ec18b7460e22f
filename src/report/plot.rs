//! What every chart shares (run, comparison and sweep charts): the bundled font, the palette,
//! the legend style and drawing one chart as both PNG and SVG. Drawn with plotters and a bundled
//! font (no system libraries).

use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

/// DejaVu Sans (Bitstream Vera license, see assets/fonts/LICENSE-DejaVu.txt).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

pub fn register_font() {
    REGISTER.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            eprintln!("warning: the bundled chart font could not be loaded; charts will have no text");
        }
    });
}

/// Draw one chart twice, as `DIR/NAME.png` and `DIR/NAME.svg`: `$draw` is called with the
/// drawing area of each backend (the drawing functions are generic over it).
macro_rules! png_and_svg {
    ($dir:expr, $name:expr, $size:expr, |$root:ident| $draw:expr) => {{
        let png = $dir.join(format!("{}.png", $name));
        {
            let $root = plotters::prelude::BitMapBackend::new(&png, $size).into_drawing_area();
            $draw.map_err(std::io::Error::other)?;
        }
        let svg = $dir.join(format!("{}.svg", $name));
        {
            let $root = plotters::prelude::SVGBackend::new(&svg, $size).into_drawing_area();
            $draw.map_err(std::io::Error::other)?;
        }
    }};
}
pub(crate) use png_and_svg;

/// The charts' colours (matplotlib's tab10), shared by the run, sweep and comparison charts.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Draw the legend in kubesim's style and write the chart out.
pub fn finish<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .position(position)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)
}
