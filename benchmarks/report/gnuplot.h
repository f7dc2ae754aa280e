// Figures drawn by the `gnuplot` program (Debian package gnuplot-nox; the
// pngcairo and svg terminals). A figure is data files plus a script body; the
// script and its data are kept under REPORT/gnuplot/ so that a reader can
// restyle a figure and redraw it with `cd REPORT && gnuplot gnuplot/NAME.gp`.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace bcbench {

// gnuplot failed on a figure: the message carries its exit status, the
// script's path and the end of its error output.
class FigureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Figure {
  std::string name;     // file stem: NAME.png, NAME.svg, gnuplot/NAME.gp
  std::string caption;  // one line, for the summary's link
  int width = 800;      // px of the PNG (the SVG has the same size)
  int height = 480;
  // Data files, by name under REPORT/gnuplot/; the body refers to them as
  // 'gnuplot/<name>' (gnuplot runs in the report folder).
  std::map<std::string, std::string> data;
  // Commands that draw the figure on the current terminal and output (one
  // plot, or a whole multiplot). It starts from gnuplot's defaults.
  std::string body;
};

// The path of gnuplot on PATH, if any.
std::optional<std::string> FindGnuplot();

// The script for `figure`: it draws the body once per terminal into NAME.png
// and NAME.svg, or into the files named by the variables png and svg when
// they are set (gnuplot -e "png='a';svg='b'" ...).
std::string FigureScript(const Figure& figure);

// Writes the script and data under report_dir/gnuplot/, runs `gnuplot`
// (found at `gnuplot_path`) in report_dir and moves NAME.png and NAME.svg
// into place only when gnuplot exited with status 0 and wrote both: a failed
// figure leaves no file behind. Throws FigureError.
void RenderFigure(const Figure& figure, const std::string& report_dir,
                  const std::string& gnuplot_path);

// Text as a gnuplot single-quoted string literal (quotes doubled).
std::string GnuplotQuote(const std::string& text);

}  // namespace bcbench
